/**
 * The only door from the evaluator to a Nix store. The evaluator computes
 * derivations and store paths with the pure functions of `src/store/format`;
 * it asks an implementation of this interface to make paths exist.
 * Everything is synchronous: evaluation is synchronous, and so are the
 * store's SQLite and file-system operations.
 *
 * Implementations: the real local store (`src/store`), and an in-memory one
 * for evaluation-only use (`nixoci instantiate` without a store) and tests.
 */
export interface EvalStore {
  /** Logical store directory used for all hashing, normally "/nix/store". */
  readonly storeDir: string;

  /**
   * Add a text file with the given references (store paths) and return its
   * store path (a "text:" path). Used for `builtins.toFile` and `.drv` files.
   * Writing is idempotent; in read-only mode (`--readonly-mode`) only the path is computed.
   */
  addTextToStore(name: string, text: string, references: readonly string[]): string;

  /**
   * Copy a file system object into the store and return its store path.
   * `method` "recursive" hashes the NAR serialisation (a source path, as `"${./dir}"`
   * or `builtins.path` do); "flat" hashes a regular file's bytes.
   * `filter(path, type)` decides per entry, as `builtins.filterSource`/`builtins.path`.
   * `expectedHash` (sha256, as `builtins.path { sha256 = ...; }`) must match or it throws.
   */
  addPathToStore(
    srcPath: string,
    options: {
      name: string;
      method: "recursive" | "flat";
      filter?: (path: string, type: "regular" | "directory" | "symlink" | "unknown") => boolean;
      expectedHash?: string;
    },
  ): string;

  /** Whether the store path is valid (registered). */
  isValidPath(storePath: string): boolean;

  /**
   * Build derivation outputs now, for import from derivation (reading a file an output holds while
   * evaluating). Only a store that can build has it; blocks until the outputs are valid or throws.
   */
  buildPaths?(requests: readonly { drvPath: string; output: string }[]): void;

  /**
   * Where a logical store path's contents are on this machine's disk
   * (differs from the logical path for a store kept outside /nix/store).
   */
  toRealPath(storePath: string): string;
}
