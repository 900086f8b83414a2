/**
 * File-system access with Nix byte-string paths (see values.ts): a byte
 * string is turned into the exact bytes of the OS path.
 */
import { readFileSync } from "node:fs";

/** The OS path for a byte-string path. */
export function fsPath(bytesPath: string): Buffer {
  return Buffer.from(bytesPath, "latin1");
}

/** A file's contents as a byte string. */
export function readBytes(bytesPath: string): string {
  return readFileSync(fsPath(bytesPath)).toString("latin1");
}

/** A Nix source file's text, decoded as UTF-8 for the parser. */
export function readSourceFile(bytesPath: string): string {
  return readFileSync(fsPath(bytesPath)).toString("utf8");
}
