/**
 * Content-addressed layer cache: blobs in `<dir>/blobs/sha256/<hex>` and an
 * index `<dir>/index/<key-hash>.json` → {mediaType, digest, diffId, size}.
 * The key says what went into a layer (its sorted store paths and every
 * option that changes bytes). Store paths are immutable, so a key never needs
 * invalidating: a layer is tarred once and reused by every later image.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileLayer, type Layer } from "./image.js";
import { blobFile, writeLayerBlob, type LayerBlobOptions, type LayerInfo } from "./layerBlob.js";
import { encodeJson, sha256Digest } from "./spec.js";
import type { TarEntry } from "./tarEntries.js";

/** Bump when the tar writer's output changes for the same input, so old entries are not reused. */
const LAYER_FORMAT_VERSION = 1;

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME !== undefined && env.XDG_CACHE_HOME !== "" ? env.XDG_CACHE_HOME : join(homedir(), ".cache");
  return join(base, "nixoci");
}

export class LayerCache {
  readonly blobDir: string;
  private readonly indexDir: string;
  /** How many layers were tarred / found, for tests and progress output. */
  readonly stats = { built: 0, reused: 0 };
  private readonly inFlight = new Map<string, Promise<LayerInfo>>();

  constructor(readonly dir: string = defaultCacheDir()) {
    this.blobDir = join(dir, "blobs");
    this.indexDir = join(dir, "index");
  }

  /** Path of a blob in the cache. */
  blobPath(digest: string): string {
    return blobFile(this.blobDir, digest);
  }

  /**
   * The layer for `key`: from the index when its blob is still present,
   * otherwise built from `entries()` (called only then) and recorded.
   */
  async layer(key: unknown, entries: () => AsyncIterable<TarEntry>, opts: LayerBlobOptions = {}): Promise<Layer> {
    const info = await this.layerInfo(key, entries, opts);
    return fileLayer(this.blobPath(info.digest), info.mediaType, info);
  }

  async layerInfo(key: unknown, entries: () => AsyncIterable<TarEntry>, opts: LayerBlobOptions = {}): Promise<LayerInfo> {
    const keyHash = sha256Digest(
      encodeJson({
        v: LAYER_FORMAT_VERSION,
        key,
        compression: opts.compression ?? "gzip",
        level: opts.level ?? null,
        mtime: opts.mtime ?? null,
        owner: opts.owner ?? null,
        perms: opts.perms ?? [],
      }),
    ).slice("sha256:".length);
    const pending = this.inFlight.get(keyHash);
    if (pending !== undefined) return pending;
    const p = this.lookupOrBuild(keyHash, entries, opts);
    this.inFlight.set(keyHash, p);
    try {
      return await p;
    } finally {
      this.inFlight.delete(keyHash);
    }
  }

  private async lookupOrBuild(keyHash: string, entries: () => AsyncIterable<TarEntry>, opts: LayerBlobOptions): Promise<LayerInfo> {
    const indexFile = join(this.indexDir, `${keyHash}.json`);
    const known = await readFile(indexFile, "utf8").then(
      (t) => JSON.parse(t) as LayerInfo,
      () => undefined,
    );
    if (known !== undefined && existsSync(this.blobPath(known.digest))) {
      this.stats.reused++;
      return known;
    }
    const info = await writeLayerBlob(entries(), this.blobDir, opts);
    this.stats.built++;
    await mkdir(this.indexDir, { recursive: true });
    const tmp = `${indexFile}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
    await writeFile(tmp, encodeJson(info));
    await rename(tmp, indexFile);
    return info;
  }
}
