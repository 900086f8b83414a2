/**
 * NAR (Nix ARchive) serialisation, byte-identical to Nix 2.8's dumpPath
 * (libutil/archive.cc), and a streaming parser/unpacker.
 *
 * Wire format: every token is a string = u64 little-endian length, bytes,
 * zero padding to 8. `nix-archive-1 ( type regular [executable ""] contents
 * <data> )`, `( type symlink target <t> )`, `( type directory entry ( name
 * <n> node <node> ) ... )`, directory entries sorted by byte order.
 *
 * The serialiser is a synchronous generator of chunks: the evaluator
 * (synchronous) hashes paths with it, and `narStream` wraps it in a Readable
 * that reads one chunk per pull. Memory stays bounded: file contents are
 * read in CHUNK_SIZE pieces.
 */
import { closeSync, fstatSync, lstatSync, openSync, readdirSync, readlinkSync, readSync, type Stats } from "node:fs";
import { Readable } from "node:stream";
import { NarUnsupportedFileError } from "./errors.js";
import { HashSink, type Hash, type HashAlgo } from "./hash.js";

export const NAR_MAGIC = "nix-archive-1";
/** Size of file-content reads and of the chunks the serialiser yields. */
const CHUNK_SIZE = 1 << 20;

export type NarFileType = "regular" | "directory" | "symlink" | "unknown";

/**
 * Decides per directory entry (never the root) whether it goes into the NAR,
 * as Nix's PathFilter; `path` is the entry's full path, `type` its lstat type.
 */
export type NarFilter = (path: string, type: NarFileType) => boolean;

export function fileTypeOf(st: Stats): NarFileType {
  return st.isFile() ? "regular" : st.isDirectory() ? "directory" : st.isSymbolicLink() ? "symlink" : "unknown";
}

/** Accumulates small tokens into one buffer so the generator yields large chunks. */
class TokenBuffer {
  private buf: Buffer;
  private len = 0;

  constructor(private readonly initialSize = CHUNK_SIZE) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  get length(): number {
    return this.len;
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(bigger, 0, 0, this.len);
    this.buf = bigger;
  }

  u64(n: number): void {
    this.ensure(8);
    this.buf.writeUInt32LE(n % 0x100000000, this.len);
    this.buf.writeUInt32LE(Math.floor(n / 0x100000000), this.len + 4);
    this.len += 8;
  }

  padding(n: number): void {
    const pad = (8 - (n % 8)) % 8;
    if (pad === 0) return;
    this.ensure(pad);
    this.buf.fill(0, this.len, this.len + pad);
    this.len += pad;
  }

  /** A NAR string token. */
  str(s: string | Uint8Array): void {
    const bytes = typeof s === "string" ? Buffer.from(s, "utf8") : s;
    this.u64(bytes.length);
    this.ensure(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    this.padding(bytes.length);
  }

  /** Room for `n` raw bytes; returns the buffer and offset to write them at. */
  reserve(n: number): { buf: Buffer; at: number } {
    this.ensure(n);
    const at = this.len;
    this.len += n;
    return { buf: this.buf, at };
  }

  /** Hand the filled part over to the consumer and start a fresh buffer. */
  take(): Buffer {
    const out = this.buf.subarray(0, this.len);
    this.buf = Buffer.allocUnsafe(this.initialSize);
    this.len = 0;
    return out;
  }
}

const tokens = (t: TokenBuffer, ...ss: string[]) => ss.forEach((s) => t.str(s));

function* dumpContents(path: Buffer, size: number, t: TokenBuffer): Generator<Buffer> {
  t.str("contents");
  t.u64(size);
  const fd = openSync(path, "r");
  try {
    let left = size;
    // Small files go into the token buffer; large ones are yielded chunk by chunk.
    if (size <= CHUNK_SIZE / 4) {
      const { buf, at } = t.reserve(size);
      readFully(fd, buf, at, size, path);
      left = 0;
    } else {
      if (t.length > 0) yield t.take();
      while (left > 0) {
        const n = Math.min(left, CHUNK_SIZE);
        const chunk = Buffer.allocUnsafe(n);
        readFully(fd, chunk, 0, n, path);
        left -= n;
        yield chunk;
      }
    }
    // Nix reads exactly st_size bytes; a file that grew is detected here.
    if (readSync(fd, Buffer.alloc(1), 0, 1, null) !== 0)
      throw new NarUnsupportedFileError(`file '${path}' has changed size while being copied`, path.toString());
  } finally {
    closeSync(fd);
  }
  t.padding(size);
}

function readFully(fd: number, buf: Buffer, at: number, n: number, path: Buffer): void {
  let done = 0;
  while (done < n) {
    const r = readSync(fd, buf, at + done, n - done, null);
    if (r === 0) throw new NarUnsupportedFileError(`file '${path}' has changed size while being copied`, path.toString());
    done += r;
  }
}

function* dump(path: Buffer, st: Stats, t: TokenBuffer, filter: NarFilter | undefined): Generator<Buffer> {
  t.str("(");
  if (st.isFile()) {
    t.str("type");
    t.str("regular");
    if (st.mode & 0o100) tokens(t, "executable", "");
    yield* dumpContents(path, st.size, t);
  } else if (st.isDirectory()) {
    tokens(t, "type", "directory");
    const names = readdirSync(path, { encoding: "buffer" }).sort(Buffer.compare);
    for (const name of names) {
      const child = Buffer.concat([path, SLASH, name]);
      const cst = lstatSync(child);
      if (filter && !filter(child.toString("utf8"), fileTypeOf(cst))) continue;
      tokens(t, "entry", "(", "name");
      t.str(name);
      t.str("node");
      yield* dump(child, cst, t, filter);
      t.str(")");
      if (t.length >= CHUNK_SIZE) yield t.take();
    }
  } else if (st.isSymbolicLink()) {
    tokens(t, "type", "symlink", "target");
    t.str(readlinkSync(path, { encoding: "buffer" }));
  } else {
    throw new NarUnsupportedFileError(`file '${path}' has an unsupported type`, path.toString());
  }
  t.str(")");
}
const SLASH = Buffer.from("/");

export interface DumpOptions {
  filter?: NarFilter;
}

/** The NAR of a file system object, as a synchronous generator of chunks (Nix's dumpPath). */
export function* narChunks(path: string, options: DumpOptions = {}): Generator<Buffer> {
  const t = new TokenBuffer();
  t.str(NAR_MAGIC);
  const p = Buffer.from(path);
  yield* dump(p, lstatSync(p), t, options.filter);
  if (t.length > 0) yield t.take();
}

/** The NAR of a file system object as a Readable (chunks are produced on demand). */
export function narStream(path: string, options: DumpOptions = {}): Readable {
  return Readable.from(narChunks(path, options), { objectMode: false });
}

/**
 * The NAR of `path` as a Readable that hashes and counts what it emits:
 * `result()` gives {hash, size} once the stream has ended (one pass for
 * storing a NAR and recording its narHash/narSize).
 */
export function narStreamHashed(
  path: string,
  options: DumpOptions & { algo?: HashAlgo } = {},
): { stream: Readable; result(): NarHashResult } {
  const sink = new HashSink(options.algo ?? "sha256");
  let final: NarHashResult | undefined;
  function* hashed(): Generator<Buffer> {
    for (const chunk of narChunks(path, options)) {
      sink.update(chunk);
      yield chunk;
    }
    final = sink.finish();
  }
  return {
    stream: Readable.from(hashed(), { objectMode: false }),
    result() {
      if (!final) throw new Error("narStreamHashed: result() before the stream ended");
      return final;
    },
  };
}

/** The NAR of a single regular file with these contents (e.g. a text file added to the store). */
export function narOfContents(contents: string | Uint8Array, executable = false): Buffer {
  const t = new TokenBuffer(256);
  t.str(NAR_MAGIC);
  tokens(t, "(", "type", "regular");
  if (executable) tokens(t, "executable", "");
  t.str("contents");
  t.str(typeof contents === "string" ? Buffer.from(contents, "utf8") : contents);
  t.str(")");
  return t.take();
}

export interface NarHashResult {
  hash: Hash;
  /** NAR size in bytes. */
  size: number;
}

/** Hash and size of the NAR of `path`, synchronously (Nix's hashPath). */
export function narHashPathSync(path: string, options: DumpOptions & { algo?: HashAlgo } = {}): NarHashResult {
  const sink = new HashSink(options.algo ?? "sha256");
  for (const chunk of narChunks(path, options)) sink.update(chunk);
  return sink.finish();
}

/** Like {@link narHashPathSync} but yields to the event loop between chunks. */
export async function narHashPath(path: string, options: DumpOptions & { algo?: HashAlgo } = {}): Promise<NarHashResult> {
  const sink = new HashSink(options.algo ?? "sha256");
  for await (const chunk of narStream(path, options)) sink.update(chunk as Buffer);
  return sink.finish();
}

/** Hash of a regular file's bytes, read in chunks (Nix's hashFile, for flat ingestion). */
export function hashFileSync(path: string, algo: HashAlgo = "sha256"): Hash {
  const sink = new HashSink(algo);
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.allocUnsafe(Math.min(CHUNK_SIZE, Math.max(1, fstatSync(fd).size)));
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      sink.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return sink.finish().hash;
}
