/**
 * Store paths as Nix 2.8 validates and computes them (libstore/path.cc,
 * store-api.cc). A store path is `<storeDir>/<hashPart>-<name>` where the
 * hash part is 32 nix32 characters (160 bits) of a folded sha256 over
 * `<type>:sha256:<base16 inner hash>:<storeDir>:<name>`.
 */
import { posix } from "node:path";
import { BadStorePathError } from "./errors.js";
import { compressHash, hashData, printHash, type Hash } from "./hash.js";
import { nix32Encode } from "./nixbase32.js";

export const DEFAULT_STORE_DIR = "/nix/store";
/** Characters in a store path's hash part. */
export const STORE_PATH_HASH_LENGTH = 32;
/** Longest name Nix accepts (255 minus the hash part and dash, minus ".drv"-ish headroom Nix keeps). */
export const STORE_PATH_MAX_NAME_LENGTH = 211;
export const DRV_EXTENSION = ".drv";

/** A parsed store path base name: `<hashPart>-<name>`. */
export interface StorePath {
  readonly hashPart: string;
  readonly name: string;
}

export type FileIngestionMethod = "flat" | "recursive";

/** Nix's checkName: non-empty, at most 211 chars, `[a-zA-Z0-9+\-._?=]` (2.8 allows a leading dot). */
export function checkStorePathName(name: string, pathForMessage: string = name): void {
  if (name.length === 0) throw new BadStorePathError(`store path '${pathForMessage}' has an empty name`, pathForMessage);
  if (name.length > STORE_PATH_MAX_NAME_LENGTH)
    throw new BadStorePathError(
      `store path '${pathForMessage}' has a name longer than ${STORE_PATH_MAX_NAME_LENGTH} characters`,
      pathForMessage,
    );
  for (const c of name) {
    if (!isNameChar(c))
      throw new BadStorePathError(`store path '${pathForMessage}' contains illegal character '${c}'`, pathForMessage);
  }
}

/**
 * What is wrong with a store path name, in current Nix's words (checkName: "name 'x' contains
 * illegal character '~'"), for the evaluator's messages; undefined for a valid name.
 */
export function storePathNameProblem(name: string): string | undefined {
  if (name.length === 0) return "name must not be empty";
  if (name.length > STORE_PATH_MAX_NAME_LENGTH) return `name '${name}' must be no longer than ${STORE_PATH_MAX_NAME_LENGTH} characters`;
  for (const c of name) if (!isNameChar(c)) return `name '${name}' contains illegal character '${c}'`;
  return undefined;
}

function isNameChar(c: string): boolean {
  return (
    (c >= "0" && c <= "9") ||
    (c >= "a" && c <= "z") ||
    (c >= "A" && c <= "Z") ||
    c === "+" ||
    c === "-" ||
    c === "." ||
    c === "_" ||
    c === "?" ||
    c === "="
  );
}

/** Nix's `StorePath(baseName)` constructor. Like Nix, the 33rd character is not checked to be '-'. */
export function parseStorePathBaseName(baseName: string): StorePath {
  if (baseName.length < STORE_PATH_HASH_LENGTH + 1)
    throw new BadStorePathError(`'${baseName}' is too short to be a valid store path`, baseName);
  const hashPart = baseName.slice(0, STORE_PATH_HASH_LENGTH);
  for (const c of hashPart) {
    if (c === "e" || c === "o" || c === "u" || c === "t" || !((c >= "0" && c <= "9") || (c >= "a" && c <= "z")))
      throw new BadStorePathError(`store path '${baseName}' contains illegal base-32 character '${c}'`, baseName);
  }
  const name = baseName.slice(STORE_PATH_HASH_LENGTH + 1);
  checkStorePathName(name, baseName);
  return { hashPart, name };
}

/** Nix's canonPath for absolute paths: collapse '//', '.', '..' and trailing '/'. */
export function canonPath(path: string): string {
  if (!path.startsWith("/")) throw new BadStorePathError(`not an absolute path: '${path}'`, path);
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return "/" + out.join("/");
}

/** Nix's `Store::parseStorePath`: a full path directly inside `storeDir`. */
export function parseStorePath(path: string, storeDir = DEFAULT_STORE_DIR): StorePath {
  const p = canonPath(path);
  if (posix.dirname(p) !== storeDir) throw new BadStorePathError(`path '${p}' is not in the Nix store`, path);
  return parseStorePathBaseName(posix.basename(p));
}

export function isStorePath(path: string, storeDir = DEFAULT_STORE_DIR): boolean {
  try {
    parseStorePath(path, storeDir);
    return true;
  } catch {
    return false;
  }
}

/**
 * Split `<storeDir>/<hash>-<name>/rest` into the store path and the rest
 * (Nix's `toStorePath`, used for paths inside store objects).
 */
export function splitStorePath(path: string, storeDir = DEFAULT_STORE_DIR): { storePath: string; rest: string } {
  if (!path.startsWith(storeDir + "/"))
    throw new BadStorePathError(`path '${path}' is not in the Nix store`, path);
  const slash = path.indexOf("/", storeDir.length + 1);
  const storePath = slash < 0 ? path : path.slice(0, slash);
  parseStorePath(storePath, storeDir);
  return { storePath, rest: slash < 0 ? "" : path.slice(slash) };
}

export function printStorePath(sp: StorePath, storeDir = DEFAULT_STORE_DIR): string {
  return `${storeDir}/${sp.hashPart}-${sp.name}`;
}

export function isDerivationPath(path: string): boolean {
  return path.endsWith(DRV_EXTENSION);
}

/**
 * Nix's `makeStorePath(type, hash, name)`. `innerHash` is a Hash (printed as
 * `sha256:<base16>`) or an already printed string. Returns the full path.
 */
export function makeStorePath(type: string, innerHash: Hash | string, name: string, storeDir = DEFAULT_STORE_DIR): string {
  const printed = typeof innerHash === "string" ? innerHash : printHash(innerHash, "base16", true);
  const s = `${type}:${printed}:${storeDir}:${name}`;
  const hashPart = nix32Encode(compressHash(hashData("sha256", s), 20));
  const path = `${storeDir}/${hashPart}-${name}`;
  checkStorePathName(name, `${hashPart}-${name}`);
  return path;
}

/** Sorted, de-duplicated references, as Nix's StorePathSet orders them. */
export function sortStorePaths(paths: Iterable<string>): string[] {
  return [...new Set(paths)].sort(compareBytes);
}

/** Byte-order comparison of strings (as std::string's operator<), not UTF-16 order. */
export function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

function makeType(type: string, references: Iterable<string>, hasSelfReference: boolean): string {
  let s = type;
  for (const r of sortStorePaths(references)) s += ":" + r;
  if (hasSelfReference) s += ":self";
  return s;
}

/** `name` suffixed with `-<output>` unless the output is "out" (Nix's outputPathName). */
export function outputPathName(drvName: string, outputName: string): string {
  return outputName === "out" ? drvName : `${drvName}-${outputName}`;
}

/** A "text:" path (builtins.toFile, .drv files). `hash` is the sha256 of the contents. */
export function makeTextPath(name: string, hash: Hash, references: Iterable<string> = [], storeDir = DEFAULT_STORE_DIR): string {
  if (hash.algo !== "sha256") throw new TypeError("text paths need a sha256 hash");
  return makeStorePath(makeType("text", references, false), hash, name, storeDir);
}

/** The store path of a text file with these contents (Nix's computeStorePathForText). */
export function computeTextPath(
  name: string,
  contents: string | Uint8Array,
  references: Iterable<string> = [],
  storeDir = DEFAULT_STORE_DIR,
): string {
  return makeTextPath(name, hashData("sha256", contents), references, storeDir);
}

/**
 * Nix's `makeFixedOutputPath`. Recursive sha256 is a "source" path (which
 * may have references and a self reference); anything else hashes
 * `fixed:out:[r:]<algo>:<base16>:` into an "output:out" path and allows no
 * references.
 */
export function makeFixedOutputPath(
  method: FileIngestionMethod,
  hash: Hash,
  name: string,
  options: { references?: Iterable<string>; hasSelfReference?: boolean } = {},
  storeDir = DEFAULT_STORE_DIR,
): string {
  const references = [...(options.references ?? [])];
  if (hash.algo === "sha256" && method === "recursive")
    return makeStorePath(makeType("source", references, options.hasSelfReference ?? false), hash, name, storeDir);
  if (references.length > 0 || options.hasSelfReference)
    throw new TypeError("fixed-output paths other than recursive sha256 cannot have references");
  const inner = hashData("sha256", `fixed:out:${method === "recursive" ? "r:" : ""}${printHash(hash, "base16", true)}:`);
  return makeStorePath("output:out", inner, name, storeDir);
}

/** A "source" path: a NAR-hashed (sha256) copy of a file system object (`"${./dir}"`, builtins.path). */
export function makeSourcePath(
  name: string,
  narHash: Hash,
  references: Iterable<string> = [],
  hasSelfReference = false,
  storeDir = DEFAULT_STORE_DIR,
): string {
  return makeFixedOutputPath("recursive", narHash, name, { references, hasSelfReference }, storeDir);
}

/** Output path of an input-addressed derivation: `output:<id>` over its hashDerivationModulo. */
export function makeOutputPath(outputName: string, hashModulo: Hash, drvName: string, storeDir = DEFAULT_STORE_DIR): string {
  return makeStorePath(`output:${outputName}`, hashModulo, outputPathName(drvName, outputName), storeDir);
}
