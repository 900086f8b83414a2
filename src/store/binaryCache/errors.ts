import { StoreError } from "../errors.js";

/**
 * A binary cache operation failed. `cacheUrl` names the cache, `storePath`
 * the path involved (if any), `httpStatus` the HTTP status of a failed request.
 */
export class BinaryCacheError extends StoreError {
  constructor(
    message: string,
    readonly cacheUrl: string,
    storePath?: string,
    options?: { cause?: unknown; httpStatus?: number },
  ) {
    super(message, storePath, options);
    this.httpStatus = options?.httpStatus;
  }
  readonly httpStatus?: number;
}

/** Data from a cache that does not match what its narinfo promises (FileHash/FileSize/NarHash/NarSize, corrupt NAR). */
export class CacheIntegrityError extends BinaryCacheError {}

/** A narinfo without a signature from a trusted key while signatures are required. */
export class UntrustedNarInfoError extends BinaryCacheError {}

/** A path asked for that no configured cache has. */
export class SubstituteNotFoundError extends StoreError {}

/** A bad cache URL, parameter or config file setting. */
export class CacheConfigError extends StoreError {}
