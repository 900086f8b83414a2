/** Nix binary caches: substitute from them, copy to them. */
export { BinaryCache, DEFAULT_CACHE_PRIORITY, type BinaryCacheSettings } from "./binaryCache.js";
export { Substituter, type SubstituterOptions, type Substitute } from "./substituter.js";
export { copyToCache, type CopyToCacheOptions } from "./copyToCache.js";
export { parseCacheUrl, type CacheUrl } from "./cacheUrl.js";
export { parseCacheInfo, writeCacheInfo, type CacheInfo } from "./cacheInfo.js";
export { compress, decompress, narFileSuffix, parseCompression, type Compression } from "./compression.js";
export { defaultConfigPath, loadConfig, parseConfig, resolveSettings, substituterFromFlags, type SubstituterFlags, type SubstituterSettings } from "./config.js";
export { BinaryCacheError, CacheIntegrityError, UntrustedNarInfoError, SubstituteNotFoundError, CacheConfigError } from "./errors.js";
export type { CacheTransport } from "./transport.js";
