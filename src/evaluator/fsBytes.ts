/**
 * File-system access with Nix byte-string paths (see values.ts): a byte
 * string is turned into the exact bytes of the OS path.
 */
import { readFileSync } from "node:fs";

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

/** A file's contents as a byte string. */
export function readBytes(bytesPath: string): string {
  return readFileSync(fsPath(bytesPath)).toString("latin1");
}

/** A Nix source file's text as a byte string (the parser works on bytes, as Nix's does). */
export function readSourceFile(bytesPath: string): string {
  return readFileSync(fsPath(bytesPath)).toString("latin1");
}
