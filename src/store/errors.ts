import { NixociError } from "../errors.js";

/** A store operation failed; `storePath` names the path involved when there is one. */
export class StoreError extends NixociError {
  constructor(
    message: string,
    readonly storePath?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A path that is not (or no longer) registered as valid. */
export class InvalidPathError extends StoreError {}

/** Content that does not match the hash it was promised to have. */
export class HashMismatchError extends StoreError {}

/** A builder failed or its outputs were rejected; `drvPath` is the derivation being built. */
export class BuildError extends StoreError {
  /** As nix-store -r: 100 when a builder failed, 102 on a fixed-output hash mismatch, else 1. */
  override readonly exitCode: number;
  constructor(
    message: string,
    readonly drvPath: string,
    options?: { cause?: unknown; exitCode?: number },
  ) {
    super(message, drvPath, options);
    this.exitCode = options?.exitCode ?? 1;
  }
}

/** Several builds failed (with keepGoing) or a dependency failed. */
export class BuildFailures extends StoreError {
  constructor(
    message: string,
    readonly failures: readonly BuildError[],
  ) {
    super(message);
  }
}

/** A lock could not be acquired or was lost. */
export class LockError extends StoreError {}
