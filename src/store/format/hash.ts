/**
 * Nix's `Hash`: an algorithm plus digest bytes, printed and parsed in the
 * four encodings Nix knows (base16, nix32, base64, SRI), with the same
 * acceptance rules and error texts as Nix 2.8's libutil/hash.cc.
 */
import type { Hash as NodeHash } from "node:crypto";
import { BadHashError } from "./errors.js";
import { nix32DecodeOrUndefined, nix32Encode, nix32EncodedLength } from "./nixbase32.js";

// Loaded on first use: node:crypto is ~5 ms of start-up, and most small evaluations never hash.
const createHash = (algo: string): NodeHash => (process.getBuiltinModule("node:crypto") as typeof import("node:crypto")).createHash(algo);

export type HashAlgo = "md5" | "sha1" | "sha256" | "sha512";
export const HASH_ALGOS: readonly HashAlgo[] = ["md5", "sha1", "sha256", "sha512"];

/** Encodings of a hash as text. "sri" is `<algo>-<base64>`. */
export type HashEncoding = "base16" | "nix32" | "base64" | "sri";

export interface Hash {
  readonly algo: HashAlgo;
  readonly bytes: Buffer;
}

const SIZES: Record<HashAlgo, number> = { md5: 16, sha1: 20, sha256: 32, sha512: 64 };

export function hashSize(algo: HashAlgo): number {
  return SIZES[algo];
}
export function base16Length(algo: HashAlgo): number {
  return SIZES[algo] * 2;
}
export function nix32Length(algo: HashAlgo): number {
  return nix32EncodedLength(SIZES[algo]);
}
export function base64Length(algo: HashAlgo): number {
  return ((4 * SIZES[algo]) / 3 + 3) & ~3;
}

export function parseHashAlgoOrUndefined(s: string): HashAlgo | undefined {
  return (HASH_ALGOS as readonly string[]).includes(s) ? (s as HashAlgo) : undefined;
}

export function parseHashAlgo(s: string): HashAlgo {
  const algo = parseHashAlgoOrUndefined(s);
  if (!algo) throw new BadHashError(`unknown hash algorithm '${s}'`);
  return algo;
}

/** Hash of a string (UTF-8) or bytes. */
export function hashData(algo: HashAlgo, data: string | Uint8Array): Hash {
  return { algo, bytes: createHash(algo).update(data).digest() };
}

/** An all-zero hash, as Nix's `Hash(type)` (used for empty `outputHash`). */
export function zeroHash(algo: HashAlgo): Hash {
  return { algo, bytes: Buffer.alloc(SIZES[algo]) };
}

/** Incremental hashing that also counts bytes, like Nix's HashSink. */
export class HashSink {
  private readonly inner: NodeHash;
  size = 0;
  constructor(readonly algo: HashAlgo) {
    this.inner = createHash(algo);
  }
  update(chunk: Uint8Array): this {
    this.size += chunk.length;
    this.inner.update(chunk);
    return this;
  }
  finish(): { hash: Hash; size: number } {
    return { hash: { algo: this.algo, bytes: this.inner.digest() }, size: this.size };
  }
}


export function toBase16(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/**
 * Print as Nix's `Hash::to_string(base, includeType)`: SRI always carries
 * the algorithm (`sha256-…`), the others as `<algo>:` only when asked.
 */
export function printHash(hash: Hash, encoding: HashEncoding, includeAlgo = false): string {
  const prefix = encoding === "sri" ? `${hash.algo}-` : includeAlgo ? `${hash.algo}:` : "";
  switch (encoding) {
    case "base16":
      return prefix + toBase16(hash.bytes);
    case "nix32":
      return prefix + nix32Encode(hash.bytes);
    case "base64":
    case "sri":
      return prefix + toBase64(hash.bytes);
  }
}

/** Nix's `printHash16or32`: base16 for md5, nix32 otherwise (used in `nix-hash`, narinfo). */
export function printHash16or32(hash: Hash): string {
  return printHash(hash, hash.algo === "md5" ? "base16" : "nix32");
}

/** Nix's lenient base64 decoder: stops at '=', skips '\n', rejects other non-alphabet characters. */
export function nixBase64Decode(s: string): Buffer {
  const out: number[] = [];
  let d = 0;
  let bits = 0;
  for (const ch of s) {
    if (ch === "=") break;
    if (ch === "\n") continue;
    const digit = BASE64_DIGITS.indexOf(ch);
    // Nix 2.8's boost::format prints the %c argument as nothing: keep its exact text.
    if (digit < 0) throw new BadHashError("invalid character in Base64 string: ''");
    bits += 6;
    d = ((d << 6) | digit) & 0xffff;
    if (bits >= 8) {
      out.push((d >> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}
const BASE64_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/**
 * Nix's `Hash(rest, type, isSRI)`: choose the encoding from the length
 * (base16, then nix32, then base64), SRI is always base64.
 */
export function parseHashUnprefixed(rest: string, algo: HashAlgo, isSri = false): Hash {
  const size = SIZES[algo];
  if (!isSri && rest.length === base16Length(algo)) {
    const bytes = Buffer.alloc(size);
    for (let i = 0; i < size; i++) {
      const hi = hexDigit(rest.charCodeAt(i * 2));
      const lo = hexDigit(rest.charCodeAt(i * 2 + 1));
      if (hi < 0 || lo < 0) throw new BadHashError(`invalid base-16 hash '${rest}'`);
      bytes[i] = (hi << 4) | lo;
    }
    return { algo, bytes };
  }
  if (!isSri && rest.length === nix32Length(algo)) {
    const bytes = nix32DecodeOrUndefined(rest, size);
    if (!bytes) throw new BadHashError(`invalid base-32 hash '${rest}'`);
    return { algo, bytes };
  }
  if (isSri || rest.length === base64Length(algo)) {
    const bytes = nixBase64Decode(rest);
    if (bytes.length !== size) throw new BadHashError(`invalid ${isSri ? "SRI" : "base-64"} hash '${rest}'`);
    return { algo, bytes };
  }
  throw new BadHashError(`hash '${rest}' has wrong length for hash type '${algo}'`);
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** Split `algo:` or (failing that) `algo-` off the front, as Nix's getParsedTypeAndSRI. */
function splitAlgoPrefix(s: string): { algo?: HashAlgo; isSri: boolean; rest: string } {
  let sep = s.indexOf(":");
  let isSri = false;
  if (sep < 0) {
    sep = s.indexOf("-");
    if (sep >= 0) isSri = true;
  }
  if (sep < 0) return { isSri: false, rest: s };
  const name = s.slice(0, sep);
  const algo = parseHashAlgoOrUndefined(name);
  if (!algo) throw new BadHashError(`unknown hash algorithm '${name}'`);
  return { algo, isSri, rest: s.slice(sep + 1) };
}

/** Nix's `Hash::parseAny`: optional `algo:`/`algo-` prefix; `algo` supplies or must agree with it. */
export function parseHashAny(s: string, algo?: HashAlgo): Hash {
  const p = splitAlgoPrefix(s);
  if (!p.algo && !algo)
    throw new BadHashError(
      `hash '${p.rest}' does not include a type, nor is the type otherwise known from context`,
    );
  if (p.algo && algo && p.algo !== algo) throw new BadHashError(`hash '${s}' should have type '${algo}'`);
  return parseHashUnprefixed(p.rest, (p.algo ?? algo)!, p.isSri);
}

/** Nix's `Hash::parseAnyPrefixed`: the string itself must name the algorithm. */
export function parseHashAnyPrefixed(s: string): Hash {
  const p = splitAlgoPrefix(s);
  if (!p.algo) throw new BadHashError(`hash '${p.rest}' does not include a type`);
  return parseHashUnprefixed(p.rest, p.algo, p.isSri);
}

/** Nix's `Hash::parseSRI`: exactly `<algo>-<base64>`. */
export function parseHashSri(s: string): Hash {
  const sep = s.indexOf("-");
  if (sep < 0) throw new BadHashError(`hash '${s}' is not SRI`);
  return parseHashUnprefixed(s.slice(sep + 1), parseHashAlgo(s.slice(0, sep)), true);
}

/**
 * Nix's `newHashAllowEmpty` (used for `outputHash`): an empty string gives
 * the all-zero hash and Nix warns "found empty hash, assuming '<sri>'";
 * `emptyWarning` carries that text so the caller can print it.
 */
export function parseHashAllowEmpty(s: string, algo?: HashAlgo): { hash: Hash; emptyWarning?: string } {
  if (s === "") {
    if (!algo) throw new BadHashError("empty hash requires explicit hash type");
    const hash = zeroHash(algo);
    return { hash, emptyWarning: `found empty hash, assuming '${printHash(hash, "sri")}'` };
  }
  return { hash: parseHashAny(s, algo) };
}

/** Nix's `compressHash`: XOR-fold the digest into `newSize` bytes (store path hash parts use 20). */
export function compressHash(hash: Hash, newSize: number): Buffer {
  const out = Buffer.alloc(newSize);
  for (let i = 0; i < hash.bytes.length; i++) out[i % newSize]! ^= hash.bytes[i]!;
  return out;
}

export function hashEquals(a: Hash, b: Hash): boolean {
  return a.algo === b.algo && a.bytes.equals(b.bytes);
}

