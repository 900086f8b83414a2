/**
 * Nix's ed25519 signing keys and detached signatures (libstore/crypto.cc)
 * on node:crypto. Key text is `<name>:<base64>`; a secret key is libsodium's
 * 64 bytes (seed ‖ public key), a public key 32 bytes, a signature
 * `<name>:<base64 of 64 bytes>`.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";
import { SignatureKeyError } from "./errors.js";
import { nixBase64Decode, toBase64 } from "./hash.js";
import { narInfoFingerprint, type NarInfo } from "./narinfo.js";

export interface SecretKey {
  name: string;
  /** 64 bytes: seed followed by the public key. */
  key: Buffer;
}
export interface PublicKey {
  name: string;
  /** 32 bytes. */
  key: Buffer;
}

// DER prefixes that wrap raw ed25519 keys as PKCS#8 / SPKI for node:crypto.
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

function splitKey(s: string, what: string): { name: string; data: Buffer } {
  const colon = s.indexOf(":");
  const name = colon > 0 ? s.slice(0, colon) : "";
  const rest = colon > 0 ? s.slice(colon + 1) : "";
  if (name === "" || rest === "") throw new SignatureKeyError(`${what} is corrupt`);
  try {
    return { name, data: nixBase64Decode(rest.trimEnd()) };
  } catch (e) {
    throw new SignatureKeyError(`${what} is corrupt: ${(e as Error).message}`);
  }
}

export function parseSecretKey(text: string): SecretKey {
  const { name, data } = splitKey(text, "secret key");
  if (data.length !== 64) throw new SignatureKeyError("secret key is not valid");
  return { name, key: data };
}

export function parsePublicKey(text: string): PublicKey {
  const { name, data } = splitKey(text, "public key");
  if (data.length !== 32) throw new SignatureKeyError("public key is not valid");
  return { name, key: data };
}

export function formatKey(k: SecretKey | PublicKey): string {
  return `${k.name}:${toBase64(k.key)}`;
}

/** `nix key convert-secret-to-public`. */
export function publicKeyOf(sk: SecretKey): PublicKey {
  return { name: sk.name, key: Buffer.from(sk.key.subarray(32)) };
}

/** `nix key generate-secret --key-name <name>`. */
export function generateSecretKey(name: string): SecretKey {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const seed = privateKey.export({ format: "der", type: "pkcs8" }).subarray(PKCS8_PREFIX.length);
  const pk = publicKey.export({ format: "der", type: "spki" }).subarray(SPKI_PREFIX.length);
  return { name, key: Buffer.concat([seed, pk]) };
}

function privateKeyObject(sk: SecretKey): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, sk.key.subarray(0, 32)]), format: "der", type: "pkcs8" });
}
function publicKeyObject(pk: PublicKey): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pk.key]), format: "der", type: "spki" });
}

/** Nix's `SecretKey::signDetached`: `<name>:<base64 signature>`. */
export function signDetached(sk: SecretKey, data: string | Uint8Array): string {
  return `${sk.name}:${toBase64(sign(null, Buffer.from(data), privateKeyObject(sk)))}`;
}

/** Nix's `verifyDetached`: false for an unknown key name or a bad signature; throws on a malformed one. */
export function verifyDetached(data: string | Uint8Array, sig: string, keys: Iterable<PublicKey>): boolean {
  const colon = sig.indexOf(":");
  if (colon <= 0) return false;
  const name = sig.slice(0, colon);
  const key = [...keys].find((k) => k.name === name);
  if (!key) return false;
  let raw: Buffer;
  try {
    raw = nixBase64Decode(sig.slice(colon + 1));
  } catch {
    throw new SignatureKeyError("signature is not valid");
  }
  if (raw.length !== 64) throw new SignatureKeyError("signature is not valid");
  return verify(null, Buffer.from(data), publicKeyObject(key), raw);
}

/** Add a signature over the fingerprint (Nix's ValidPathInfo::sign). */
export function signNarInfo(info: NarInfo, sk: SecretKey, storeDir?: string): NarInfo {
  const sig = signDetached(sk, narInfoFingerprint(info, storeDir));
  return { ...info, sigs: [...new Set([...info.sigs, sig])] };
}

/** How many of the narinfo's signatures verify with these keys (Nix's checkSignatures). */
export function countValidSignatures(info: NarInfo, keys: Iterable<PublicKey>, storeDir?: string): number {
  const fp = narInfoFingerprint(info, storeDir);
  const list = [...keys];
  return info.sigs.filter((s) => {
    try {
      return verifyDetached(fp, s, list);
    } catch {
      return false;
    }
  }).length;
}
