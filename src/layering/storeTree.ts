import { createReadStream } from "node:fs";
import { lstat, readdir, readlink } from "node:fs/promises";
import { join } from "node:path";

/**
 * Read access to the files of store paths (Nix's FSAccessor), for
 * `why-depends --precise`. Paths are absolute store paths or files below
 * them. The store can implement it over its real directory or over NARs.
 */
export interface StoreTreeReader {
  lstat(path: string): Promise<"directory" | "regular" | "symlink">;
  readDirectory(path: string): Promise<string[]>;
  /** The file's bytes as a stream of chunks, so large files are never held whole. */
  readFile(path: string): AsyncIterable<Uint8Array>;
  readLink(path: string): Promise<string>;
}

/**
 * A StoreTreeReader over a real directory tree: `/nix/store/x` is read from
 * `root + /nix/store/x` (root "" for the real store, "/tmp/s" for a store
 * opened with `--store /tmp/s`).
 */
export function localStoreTree(root = ""): StoreTreeReader {
  const real = (p: string) => (root === "" ? p : join(root, p));
  return {
    async lstat(p) {
      const st = await lstat(real(p));
      if (st.isDirectory()) return "directory";
      if (st.isSymbolicLink()) return "symlink";
      if (st.isFile()) return "regular";
      throw new Error(`'${p}' has an unsupported file type`);
    },
    readDirectory: (p) => readdir(real(p)),
    readFile: (p) => createReadStream(real(p), { highWaterMark: 1 << 16 }),
    readLink: (p) => readlink(real(p)),
  };
}

/** Where a hash occurs: its first occurrence in one file or symlink target. */
export interface HashHit {
  hash: string;
  /** Path inside the store path, without a leading slash; "/" for the store path itself. */
  file: string;
  kind: "regular" | "symlink";
  /**
   * For a file: up to 32 bytes before the hash, the hash, up to 32 bytes after
   * (one char per byte, latin1). For a symlink: the whole target.
   */
  context: string;
  /** Offset of the hash in `context`. */
  offset: number;
}

const MARGIN = 32;

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * Walks `storePath` as Nix 2.8's why-depends does (directory entries in byte
 * order, depth first) and reports, per file and per hash, the first place the
 * hash occurs, with the context Nix shows. Hits come in walk order, and for
 * one file in the order of `hashes`.
 * (A local search: src/store/format/refScan.ts had not landed when this was written.)
 */
export async function findHashes(reader: StoreTreeReader, storePath: string, hashes: readonly string[]): Promise<HashHit[]> {
  const hits: HashHit[] = [];
  const visit = async (p: string): Promise<void> => {
    const type = await reader.lstat(p);
    const file = p === storePath ? "/" : p.slice(storePath.length + 1);
    if (type === "directory") {
      const names = (await reader.readDirectory(p)).sort(compareBytes);
      for (const name of names) await visit(`${p}/${name}`);
    } else if (type === "regular") {
      for (const h of await scanFile(reader.readFile(p), hashes)) hits.push({ ...h, file, kind: "regular" });
    } else {
      const target = await reader.readLink(p);
      for (const hash of hashes) {
        const pos = target.indexOf(hash);
        if (pos >= 0) hits.push({ hash, file, kind: "symlink", context: target, offset: pos });
      }
    }
  };
  await visit(storePath);
  return hits;
}

/**
 * First occurrence of each hash in a byte stream, with MARGIN bytes of
 * context each side. Keeps only a small tail of earlier chunks, so memory
 * does not grow with the file.
 */
async function scanFile(
  chunks: AsyncIterable<Uint8Array>,
  hashes: readonly string[],
): Promise<Omit<HashHit, "file" | "kind">[]> {
  const needles = hashes.map((h) => Buffer.from(h, "latin1"));
  const longest = needles.reduce((m, n) => Math.max(m, n.length), 0);
  const keep = MARGIN + longest - 1; // enough for a hash straddling chunks plus its left margin
  const found: ({ start: number; offset: number; end: number; bytes: Buffer } | undefined)[] = hashes.map(() => undefined);
  let window = Buffer.alloc(0);
  let windowStart = 0; // absolute offset of window[0]
  for await (const chunk of chunks) {
    const data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    // Extend contexts still waiting for their right margin.
    for (const f of found) {
      if (f && f.bytes.length < f.end - f.start) {
        const need = f.end - f.start - f.bytes.length;
        f.bytes = Buffer.concat([f.bytes, data.subarray(0, need)]);
      }
    }
    window = Buffer.concat([window, data]);
    needles.forEach((needle, i) => {
      if (found[i] || needle.length === 0) return;
      const at = window.indexOf(needle);
      if (at < 0) return;
      const pos = windowStart + at;
      const start = Math.max(0, pos - MARGIN);
      const end = pos + needle.length + MARGIN;
      found[i] = { start, offset: pos - start, end, bytes: Buffer.from(window.subarray(start - windowStart, end - windowStart)) };
    });
    if (window.length > keep) {
      windowStart += window.length - keep;
      window = Buffer.from(window.subarray(window.length - keep));
    }
  }
  const result: Omit<HashHit, "file" | "kind">[] = [];
  found.forEach((f, i) => {
    if (f) result.push({ hash: hashes[i]!, context: f.bytes.toString("latin1"), offset: f.offset });
  });
  return result;
}
