/**
 * `nix copy --to <cache>` (Nix 2.8's BinaryCacheStore::addToStoreCommon):
 * for each path of the closure the cache lacks, stream its NAR through the
 * compressor into a staged file while hashing both sides, publish it as
 * `nar/<nix32 FileHash>.nar<suffix>`, then write `<hash>.narinfo` (signed
 * with the cache's secret-key) once the narinfos of its references exist.
 */
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  HashSink,
  hashEquals,
  narStreamHashed,
  parseHashAnyPrefixed,
  printHash,
  signNarInfo,
  writeNarInfo,
  type NarInfo,
} from "../format/index.js";
import { HashMismatchError } from "../errors.js";
import type { LocalStore } from "../localStore.js";
import { topoSortPaths } from "../queryFormat.js";
import type { BinaryCache } from "./binaryCache.js";
import { compress, narFileSuffix } from "./compression.js";
import { concurrencyLimit } from "./limit.js";

export interface CopyToCacheOptions {
  /** Uploads at once (default 4). */
  readonly concurrency?: number;
  /** Progress lines ("copying path '…' to '…'..."); default: stderr. */
  readonly onProgress?: (line: string) => void;
}

const baseName = (p: string) => p.slice(p.lastIndexOf("/") + 1);

/** Copy the closure of `paths` to `cache`; returns the paths that were written (the cache lacked them). */
export async function copyToCache(
  store: LocalStore,
  cache: BinaryCache,
  paths: readonly string[],
  options: CopyToCacheOptions = {},
): Promise<string[]> {
  await cache.init({ forWriting: true });
  const onProgress = options.onProgress ?? ((line: string) => process.stderr.write(line + "\n"));
  const limit = concurrencyLimit(Math.max(1, options.concurrency ?? 4));
  const closure = topoSortPaths(store, store.computeClosure(paths)).reverse(); // dependencies first
  const present = await Promise.all(closure.map((p) => limit(() => cache.transport.exists(cache.narInfoFileFor(p)))));
  const todo = closure.filter((_, i) => !present[i]);
  if (todo.length > 0) onProgress(`copying ${todo.length} paths...`);

  const written = new Map<string, Promise<void>>();
  for (const p of todo) {
    const deps = store
      .queryReferences(p)
      .filter((r) => r !== p)
      .map((r) => written.get(r))
      .filter((d): d is Promise<void> => d !== undefined);
    written.set(
      p,
      (async () => {
        const narInfo = await limit(() => {
          onProgress(`copying path '${p}' to '${cache.uri}'...`);
          return uploadNar(store, cache, p);
        });
        // A narinfo is a promise that the references are in the cache too.
        await Promise.all(deps);
        await cache.transport.putBytes(cache.narInfoFileFor(p), Buffer.from(writeNarInfo(narInfo)), "text/x-nix-narinfo");
      })(),
    );
  }
  const results = await Promise.allSettled(written.values());
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  return todo;
}

/** Compress and publish the NAR of `storePath`; returns its (signed) narinfo, not yet written. */
async function uploadNar(store: LocalStore, cache: BinaryCache, storePath: string): Promise<NarInfo> {
  const { compression, compressionLevel, parallelCompression, secretKey } = cache.settings;
  const pathInfo = store.queryPathInfo(storePath);
  const staging = await cache.transport.stagingDir();
  try {
    const staged = join(staging, "nar");
    const nar = narStreamHashed(store.toRealPath(storePath));
    const fileSink = new HashSink("sha256");
    const hashing = new Transform({
      transform(chunk: Buffer, _enc, done) {
        fileSink.update(chunk);
        done(null, chunk);
      },
    });
    await pipeline(compress(compression, nar.stream, { level: compressionLevel, parallel: parallelCompression }), hashing, createWriteStream(staged));
    const narResult = nar.result();
    const narHash = parseHashAnyPrefixed(pathInfo.narHash);
    // Never publish a store object that no longer matches its registration.
    if (!hashEquals(narResult.hash, narHash) || narResult.size !== pathInfo.narSize)
      throw new HashMismatchError(
        `path '${storePath}' was modified! expected hash '${printHash(narHash, "nix32", true)}', got '${printHash(narResult.hash, "nix32", true)}'`,
        storePath,
      );
    const file = fileSink.finish();
    const url = `nar/${printHash(file.hash, "nix32")}.nar${narFileSuffix(compression)}`;
    if (await cache.transport.exists(url)) await rm(staged, { force: true });
    else await cache.transport.putFile(url, staged, "application/x-nix-nar");
    let info: NarInfo = {
      storePath,
      url,
      compression,
      fileHash: file.hash,
      fileSize: file.size,
      narHash,
      narSize: pathInfo.narSize,
      references: pathInfo.references.map(baseName),
      deriver: pathInfo.deriver ? baseName(pathInfo.deriver) : undefined,
      sigs: [...pathInfo.sigs],
      ca: pathInfo.ca,
    };
    if (secretKey) info = signNarInfo(info, secretKey);
    return info;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
