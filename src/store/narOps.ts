/**
 * What the store needs from the NAR format (src/store/format): hashing a
 * path's NAR (sync for the evaluator's adds, async for build outputs), the
 * same pass scanning for references, flat file hashes, NAR restore.
 */
import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";
import {
  hashFileSync as formatHashFileSync,
  HashSink,
  narHashPathSync,
  narStream,
  NIX32_DIGIT,
  parseStorePath,
  unpackNar,
  type Hash,
  type HashAlgo,
  type NarFilter,
} from "./format/index.js";

export function narHashOfPathSync(path: string, filter?: NarFilter): { hash: Hash; size: number } {
  return narHashPathSync(path, { filter });
}

export function hashFileSync(algo: HashAlgo, path: string): Hash {
  return formatHashFileSync(path, algo);
}

export async function hashFileAsync(algo: HashAlgo, path: string): Promise<Hash> {
  const sink = new HashSink(algo);
  for await (const chunk of createReadStream(path)) sink.update(chunk as Buffer);
  return sink.finish().hash;
}

const HASH_LEN = 32;

/**
 * Finds which of a set of store-path hash parts occur in a byte stream, as
 * Nix's RefScanSink: every 32-byte window of nix32 digits is looked up;
 * 31 bytes carry over between chunks so a hash split across them is found.
 */
export class ReferenceScanner {
  private tail = Buffer.alloc(0);
  readonly found = new Set<string>();

  constructor(private readonly hashParts: ReadonlySet<string>) {}

  update(chunk: Buffer): void {
    if (this.hashParts.size === 0 || this.found.size === this.hashParts.size) return;
    const buf = this.tail.length > 0 ? Buffer.concat([this.tail, chunk]) : chunk;
    for (let i = 0; i + HASH_LEN <= buf.length; ) {
      let j = HASH_LEN - 1;
      while (j >= 0 && NIX32_DIGIT[buf[i + j]!]! >= 0) j--;
      if (j >= 0) {
        i += j + 1;
        continue;
      }
      const s = buf.toString("latin1", i, i + HASH_LEN);
      if (this.hashParts.has(s)) this.found.add(s);
      i++;
    }
    this.tail = Buffer.from(buf.subarray(Math.max(0, buf.length - (HASH_LEN - 1))));
  }
}

/** NAR hash/size of `path` and which of `candidates` (store paths) its NAR mentions, in one pass. */
export async function narHashAndReferences(
  path: string,
  candidates: ReadonlySet<string>,
  algo: HashAlgo = "sha256",
): Promise<{ hash: Hash; size: number; references: Set<string> }> {
  const byHash = new Map<string, string>();
  for (const c of candidates) byHash.set(parseStorePath(c).hashPart, c);
  const scanner = new ReferenceScanner(new Set(byHash.keys()));
  const sink = new HashSink(algo);
  for await (const chunk of narStream(path)) {
    sink.update(chunk as Buffer);
    scanner.update(chunk as Buffer);
  }
  const { hash, size } = sink.finish();
  return { hash, size, references: new Set([...scanner.found].map((h) => byHash.get(h)!)) };
}

export async function restoreNarTo(source: Readable, dest: string): Promise<void> {
  await unpackNar(source, dest);
}
