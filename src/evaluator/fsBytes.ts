/**
 * File-system access with Nix byte-string paths (see values.ts): a byte
 * string is turned into the exact bytes of the OS path.
 */
import { readFileSync, statSync } from "node:fs";
import { EvalError } from "./evalError.js";

let storeLocation: { prefix: string; toRealPath: (storePath: string) => string } | undefined;

/**
 * Where logical store paths are on disk: a store kept outside /nix/store
 * (e.g. `--store DIR`) still hands the evaluator paths under /nix/store.
 * Set by the Evaluator for the store it evaluates against.
 */
export function setStoreLocation(storeDir: string, toRealPath: (storePath: string) => string): void {
  storeLocation = { prefix: `${storeDir}/`, toRealPath };
}

/** The OS path for a byte-string path. */
export function fsPath(bytesPath: string): Buffer {
  const p = storeLocation !== undefined && bytesPath.startsWith(storeLocation.prefix) ? storeLocation.toRealPath(bytesPath) : bytesPath;
  return Buffer.from(p, "latin1");
}

/**
 * A regular file's contents (symlinks followed) as a byte string: what readFile, hashFile and
 * import read. Anything else is an EvalError in current Nix's words, without opening it (reading
 * a FIFO would wait for a writer); a missing file is the stat's ENOENT error.
 */
export function readRegularFile(bytesPath: string): string {
  const p = fsPath(bytesPath);
  if (!statSync(p).isFile()) throw new EvalError(`file '${bytesPath}' is not a regular file`);
  return readFileSync(p).toString("latin1");
}
