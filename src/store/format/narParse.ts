/**
 * Streaming NAR parser and unpacker. Accepts what Nix 2.8's `parseDump`
 * accepts (same grammar loop, same checks: magic, zero padding, sorted and
 * valid entry names) and reports problems as NarParseError with the byte
 * offset. End of input anywhere is an error, so a truncated NAR never hangs.
 * File contents are streamed: memory does not grow with file size.
 */
import { chmod, mkdir, open, symlink } from "node:fs/promises";
import { NarParseError } from "./errors.js";
import { HashSink, type Hash, type HashAlgo } from "./hash.js";
import { NAR_MAGIC } from "./nar.js";

/** Longest token other than file contents we accept (names, symlink targets). */
const MAX_TOKEN = 1 << 20;

/**
 * `path` is relative to the NAR root ("" for the root itself), decoded as
 * UTF-8; `rawPath` keeps the exact bytes (names need not be UTF-8).
 */
export type NarEntry =
  | { type: "directory"; path: string; rawPath: Buffer }
  | { type: "symlink"; path: string; rawPath: Buffer; target: string; rawTarget: Buffer }
  | {
      type: "regular";
      path: string;
      rawPath: Buffer;
      executable: boolean;
      size: number;
      /** Must be consumed (or left alone: it is skipped) before asking for the next entry. */
      contents: AsyncIterable<Buffer>;
    };

/** Pull-based byte reader over an async iterable of chunks, counting the offset and hashing what it consumes. */
class NarReader {
  private chunks: Buffer[] = [];
  private available = 0;
  /** Offset of the next unread byte. */
  offset = 0;
  private done = false;
  private readonly it: AsyncIterator<Uint8Array | string>;

  constructor(
    source: AsyncIterable<Uint8Array | string>,
    private readonly hash: HashSink,
  ) {
    this.it = source[Symbol.asyncIterator]();
  }

  private async pull(): Promise<boolean> {
    if (this.done) return false;
    const r = await this.it.next();
    if (r.done) {
      this.done = true;
      return false;
    }
    const b = typeof r.value === "string" ? Buffer.from(r.value) : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
    if (b.length > 0) {
      this.chunks.push(b);
      this.available += b.length;
    }
    return true;
  }

  private async need(n: number, what: string): Promise<void> {
    while (this.available < n) {
      if (!(await this.pull())) throw new NarParseError(`unexpected end of NAR while reading ${what}`, this.offset + this.available);
    }
  }

  /** Up to `max` bytes that are already buffered or arrive next (at least 1). */
  private async some(max: number, what: string): Promise<Buffer> {
    await this.need(1, what);
    const head = this.chunks[0]!;
    const n = Math.min(max, head.length);
    const out = head.subarray(0, n);
    if (n === head.length) this.chunks.shift();
    else this.chunks[0] = head.subarray(n);
    this.available -= n;
    this.offset += n;
    this.hash.update(out);
    return out;
  }

  async take(n: number, what: string): Promise<Buffer> {
    if (n === 0) return Buffer.alloc(0);
    await this.need(n, what);
    if (this.chunks[0]!.length >= n) return this.some(n, what);
    const parts: Buffer[] = [];
    let left = n;
    while (left > 0) {
      const b = await this.some(left, what);
      parts.push(b);
      left -= b.length;
    }
    return Buffer.concat(parts);
  }

  async u64(what: string): Promise<number> {
    const at = this.offset;
    const b = await this.take(8, what);
    const hi = b.readUInt32LE(4);
    if (hi >= 0x200000) throw new NarParseError(`length of ${what} too large`, at);
    return hi * 0x100000000 + b.readUInt32LE(0);
  }

  async padding(len: number): Promise<void> {
    const pad = (8 - (len % 8)) % 8;
    if (pad === 0) return;
    const at = this.offset;
    const b = await this.take(pad, "padding");
    if (b.some((x) => x !== 0)) throw new NarParseError("non-zero padding", at);
  }

  async bytes(what: string, max = MAX_TOKEN): Promise<Buffer> {
    const at = this.offset;
    const len = await this.u64(what);
    if (len > max) throw new NarParseError(`${what} is too long (${len} bytes)`, at);
    const b = await this.take(len, what);
    await this.padding(len);
    return b;
  }

  async str(what: string): Promise<string> {
    return (await this.bytes(what)).toString("utf8");
  }

  /** Stream `size` content bytes, then check the padding. */
  async *contents(size: number): AsyncGenerator<Buffer> {
    let left = size;
    while (left > 0) {
      const b = await this.some(left, "file contents");
      left -= b.length;
      yield b;
    }
    await this.padding(size);
  }

  /** Whether any bytes follow. */
  async atEnd(): Promise<boolean> {
    return this.available === 0 && !(await this.pull()) && this.available === 0;
  }
}

function bad(detail: string, at: number): never {
  throw new NarParseError(`bad archive: ${detail}`, at);
}

async function* parseNode(r: NarReader, rawPath: Buffer): AsyncGenerator<NarEntry> {
  const path = rawPath.toString("utf8");
  let at = r.offset;
  if ((await r.str("open tag")) !== "(") bad("expected open tag", at);
  let type: "unknown" | "regular" | "directory" | "symlink" = "unknown";
  let executable = false;
  let sawContents = false;
  let prevName: Buffer | undefined;
  for (;;) {
    at = r.offset;
    const s = await r.str("field name");
    if (s === ")") break;
    if (s === "type") {
      if (type !== "unknown") bad("multiple type fields", at);
      const tAt = r.offset;
      const t = await r.str("file type");
      if (t === "regular" || t === "directory" || t === "symlink") type = t;
      else bad(`unknown file type ${t}`, tAt);
      if (type === "directory") yield { type: "directory", path, rawPath };
    } else if (s === "contents" && type === "regular") {
      if (sawContents) bad("multiple contents fields", at);
      sawContents = true;
      const size = await r.u64("file size");
      const body = r.contents(size);
      let consumed = false;
      const contents: AsyncIterable<Buffer> = {
        [Symbol.asyncIterator]: () => {
          if (consumed) throw new Error(`contents of NAR entry '${path}' can only be read once`);
          consumed = true;
          return body;
        },
      };
      yield { type: "regular", path, rawPath, executable, size, contents };
      if (!consumed) for await (const _ of body) void _; // skip what the consumer did not read
    } else if (s === "executable" && type === "regular") {
      const vAt = r.offset;
      if ((await r.str("executable marker")) !== "") bad("executable marker has non-empty value", vAt);
      if (sawContents) bad("executable marker after contents", at);
      executable = true;
    } else if (s === "entry" && type === "directory") {
      const oAt = r.offset;
      if ((await r.str("open tag")) !== "(") bad("expected open tag", oAt);
      let name: Buffer | undefined;
      for (;;) {
        const fAt = r.offset;
        const f = await r.str("field name");
        if (f === ")") break;
        if (f === "name") {
          const nAt = r.offset;
          name = await r.bytes("entry name");
          const text = name.toString("utf8");
          if (name.length === 0 || text === "." || text === ".." || name.includes(0x2f) || name.includes(0))
            throw new NarParseError(`NAR contains invalid file name '${text}'`, nAt);
          if (prevName && Buffer.compare(name, prevName) <= 0)
            throw new NarParseError(
              Buffer.compare(name, prevName) === 0 ? `NAR directory has duplicate entry '${text}'` : "NAR directory is not sorted",
              nAt,
            );
          prevName = name;
        } else if (f === "node") {
          if (!name) bad("entry name missing", fAt);
          const child = rawPath.length === 0 ? name : Buffer.concat([rawPath, SLASH, name]);
          yield* parseNode(r, child);
        } else bad(`unknown field ${f}`, fAt);
      }
    } else if (s === "target" && type === "symlink") {
      const rawTarget = await r.bytes("symlink target");
      yield { type: "symlink", path, rawPath, target: rawTarget.toString("utf8"), rawTarget };
    } else bad(`unknown field ${s}`, at);
  }
  // A regular file without a contents field is an empty file, as Nix restores it.
  if (type === "regular" && !sawContents)
    yield { type: "regular", path, rawPath, executable, size: 0, contents: emptyContents() };
  if (type === "unknown") bad("node without a type", at);
}

const SLASH = Buffer.from("/");

async function* emptyContents(): AsyncGenerator<Buffer> {}

export interface ParseNarOptions {
  /** Hash of the NAR bytes consumed, reported by `result()`. Default sha256. */
  algo?: HashAlgo;
  /** Fail if bytes follow the NAR (default true; Nix ignores them when a NAR is embedded in a longer stream). */
  requireEnd?: boolean;
}

/**
 * Parse a NAR into entries in stream order (root path is ""). `result()`
 * gives the hash and size of the consumed NAR once iteration has finished.
 */
export function parseNar(
  source: AsyncIterable<Uint8Array | string>,
  options: ParseNarOptions = {},
): AsyncIterable<NarEntry> & { result(): { hash: Hash; size: number } } {
  const sink = new HashSink(options.algo ?? "sha256");
  let final: { hash: Hash; size: number } | undefined;
  const r = new NarReader(source, sink);
  async function* run(): AsyncGenerator<NarEntry> {
    let magic: string;
    try {
      magic = await r.str("magic");
    } catch (e) {
      throw new NarParseError("input doesn't look like a Nix archive", 0, { cause: e });
    }
    if (magic !== NAR_MAGIC) throw new NarParseError("input doesn't look like a Nix archive", 0);
    yield* parseNode(r, Buffer.alloc(0));
    if ((options.requireEnd ?? true) && !(await r.atEnd())) throw new NarParseError("trailing data after NAR", r.offset);
    final = sink.finish();
  }
  const gen = run();
  return {
    [Symbol.asyncIterator]: () => gen,
    result() {
      if (!final) throw new Error("parseNar: result() before the NAR was fully read");
      return final;
    },
  };
}

/**
 * Restore a NAR into `dest`, which must not exist (Nix's restorePath):
 * directories and files are created with the umask applied, executables
 * get +x for everyone. Returns the NAR's hash and size.
 */
export async function unpackNar(
  source: AsyncIterable<Uint8Array | string>,
  dest: string,
  options: ParseNarOptions = {},
): Promise<{ hash: Hash; size: number }> {
  const nar = parseNar(source, options);
  const root = Buffer.from(dest);
  for await (const entry of nar) {
    // Byte paths: entry names need not be UTF-8. Names were validated (no '/', '.', '..').
    const p = entry.rawPath.length === 0 ? root : Buffer.concat([root, SLASH, entry.rawPath]);
    if (entry.type === "directory") await mkdir(p, { mode: 0o777 });
    else if (entry.type === "symlink") await symlink(entry.rawTarget, p);
    else {
      const fh = await open(p, "wx", 0o666);
      try {
        for await (const chunk of entry.contents) await fh.write(chunk);
        if (entry.executable) {
          const { mode } = await fh.stat();
          await chmod(p, mode | 0o111);
        }
      } finally {
        await fh.close();
      }
    }
  }
  return nar.result();
}
