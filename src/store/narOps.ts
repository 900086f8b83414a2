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
  parseStorePath,
  RefScanner,
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

/** NAR hash/size of `path` and which of `candidates` (store paths) its NAR mentions, in one pass. */
export async function narHashAndReferences(
  path: string,
  candidates: ReadonlySet<string>,
  algo: HashAlgo = "sha256",
): Promise<{ hash: Hash; size: number; references: Set<string> }> {
  const byHash = new Map<string, string>();
  for (const c of candidates) byHash.set(parseStorePath(c).hashPart, c);
  const scanner = new RefScanner(byHash.keys());
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
