/**
 * One binary cache (Nix's BinaryCacheStore): `nix-cache-info`, narinfo
 * lookup by hash part, NAR download. Writing is in copyToCache.ts.
 */
import type { Readable } from "node:stream";
import { DEFAULT_STORE_DIR, parseNarInfo, parseSecretKey, parseStorePath, type NarInfo, type SecretKey } from "../format/index.js";
import { readFileSync } from "node:fs";
import { parseCacheInfo, writeCacheInfo } from "./cacheInfo.js";
import { parseCacheUrl, type CacheUrl } from "./cacheUrl.js";
import { parseCompression, type Compression } from "./compression.js";
import { BinaryCacheError, CacheConfigError } from "./errors.js";
import { FileTransport } from "./fileTransport.js";
import { HttpTransport } from "./httpTransport.js";
import { readAllText, type CacheTransport } from "./transport.js";

/** Nix 2.8's default priority (StoreConfig::priority) of a cache without a Priority line; lower is preferred. */
export const DEFAULT_CACHE_PRIORITY = 0;

export interface BinaryCacheSettings {
  /** `compression` parameter; Nix 2.8's default is xz. */
  readonly compression: Compression;
  readonly compressionLevel?: number;
  readonly parallelCompression: boolean;
  /** `secret-key` parameter: narinfos written are signed with it. */
  readonly secretKey?: SecretKey;
}

function settingsFrom(url: CacheUrl): BinaryCacheSettings {
  const p = url.params;
  let secretKey: SecretKey | undefined;
  const keyFile = p.get("secret-key");
  if (keyFile) {
    let text: string;
    try {
      text = readFileSync(keyFile, "utf8");
    } catch (err) {
      throw new CacheConfigError(`cannot read secret key file '${keyFile}': ${(err as Error).message}`);
    }
    secretKey = parseSecretKey(text);
  }
  const level = p.get("compression-level");
  return {
    compression: parseCompression(p.get("compression") ?? "xz"),
    compressionLevel: level === undefined ? undefined : Number(level),
    parallelCompression: p.get("parallel-compression") === "true",
    secretKey,
  };
}

export class BinaryCache {
  readonly uri: string;
  readonly transport: CacheTransport;
  readonly settings: BinaryCacheSettings;
  priority = DEFAULT_CACHE_PRIORITY;
  wantMassQuery = false;
  private initialised?: Promise<void>;

  constructor(url: string) {
    const parsed = parseCacheUrl(url);
    this.uri = parsed.uri;
    this.settings = settingsFrom(parsed);
    this.transport = parsed.scheme === "file" ? new FileTransport(parsed.path) : new HttpTransport(parsed.uri);
  }

  /**
   * Read `nix-cache-info` (once). A cache for another store dir is refused.
   * A missing file is an error for reading, and is written for `forWriting`
   * (as `nix copy --to` creates a cache).
   */
  init(options: { forWriting?: boolean } = {}): Promise<void> {
    this.initialised ??= this.doInit(options.forWriting ?? false);
    return this.initialised;
  }

  private async doInit(forWriting: boolean): Promise<void> {
    if (forWriting && this.transport instanceof FileTransport) await this.transport.createLayout();
    const stream = await this.transport.get("nix-cache-info");
    if (!stream) {
      if (!forWriting) throw new BinaryCacheError(`'${this.uri}' does not appear to be a binary cache`, this.uri);
      await this.transport.putBytes("nix-cache-info", Buffer.from(writeCacheInfo(DEFAULT_STORE_DIR)), "text/x-nix-cache-info");
      return;
    }
    const info = parseCacheInfo(await readAllText(stream));
    if (info.storeDir !== undefined && info.storeDir !== DEFAULT_STORE_DIR)
      throw new BinaryCacheError(
        `binary cache '${this.uri}' is for Nix stores with prefix '${info.storeDir}', not '${DEFAULT_STORE_DIR}'`,
        this.uri,
      );
    if (info.priority !== undefined) this.priority = info.priority;
    if (info.wantMassQuery !== undefined) this.wantMassQuery = info.wantMassQuery;
  }

  narInfoFileFor(storePath: string): string {
    return `${parseStorePath(storePath).hashPart}.narinfo`;
  }

  /** The narinfo of `storePath`, or undefined if the cache does not have it. */
  async queryNarInfo(storePath: string): Promise<NarInfo | undefined> {
    await this.init();
    const file = this.narInfoFileFor(storePath);
    const stream = await this.transport.get(file);
    if (!stream) return undefined;
    const text = await readAllText(stream);
    let info: NarInfo;
    try {
      info = parseNarInfo(text, { source: `${this.uri}/${file}` });
    } catch (err) {
      throw new BinaryCacheError(`${(err as Error).message}`, this.uri, storePath, { cause: err });
    }
    // Lookup is by hash part only: a narinfo for another name is not this path (Nix's goodStorePath).
    if (info.storePath !== storePath) return undefined;
    return info;
  }

  /** The (compressed) NAR file a narinfo points to. */
  async fetchNar(info: NarInfo): Promise<Readable> {
    const stream = await this.transport.get(info.url);
    if (!stream)
      throw new BinaryCacheError(
        `NAR '${info.url}' of path '${info.storePath}' is missing from binary cache '${this.uri}'`,
        this.uri,
        info.storePath,
      );
    return stream;
  }

  close(): void {
    this.transport.close();
  }
}
