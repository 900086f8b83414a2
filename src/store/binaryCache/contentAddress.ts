/**
 * Content-addressed paths (`ca` field: `text:sha256:…`, `fixed:[r:]algo:…`)
 * are trusted without a signature when their store path follows from the
 * content address, as Nix's ValidPathInfo::isContentAddressed; the content
 * itself is then checked against the address after unpacking.
 */
import { lstatSync } from "node:fs";
import {
  hashEquals,
  hashFileSync,
  makeFixedOutputPath,
  makeTextPath,
  narHashPathSync,
  parseHashAnyPrefixed,
  parseStorePath,
  type Hash,
} from "../format/index.js";

interface ParsedCa {
  method: "text" | "flat" | "recursive";
  hash: Hash;
}

function parseCa(ca: string): ParsedCa | undefined {
  try {
    if (ca.startsWith("text:")) return { method: "text", hash: parseHashAnyPrefixed(ca.slice(5)) };
    if (ca.startsWith("fixed:r:")) return { method: "recursive", hash: parseHashAnyPrefixed(ca.slice(8)) };
    if (ca.startsWith("fixed:")) return { method: "flat", hash: parseHashAnyPrefixed(ca.slice(6)) };
  } catch {
    return undefined;
  }
  return undefined;
}

/** Whether `storePath` is what its content address (with these references) makes. */
export function pathMatchesContentAddress(storePath: string, ca: string | undefined, references: readonly string[]): boolean {
  if (!ca) return false;
  const parsed = parseCa(ca);
  if (!parsed) return false;
  const name = parseStorePath(storePath).name;
  const others = references.filter((r) => r !== storePath);
  const hasSelfReference = others.length !== references.length;
  try {
    if (parsed.method === "text") return !hasSelfReference && makeTextPath(name, parsed.hash, others) === storePath;
    return makeFixedOutputPath(parsed.method, parsed.hash, name, { references: others, hasSelfReference }) === storePath;
  } catch {
    return false;
  }
}

/** Whether the unpacked object at `physicalPath` (whose NAR hash is `narHash`) has this content address. */
export function contentMatchesAddress(physicalPath: string, ca: string, narHash: Hash): boolean {
  const parsed = parseCa(ca);
  if (!parsed) return false;
  if (parsed.method === "recursive") {
    if (parsed.hash.algo === narHash.algo) return hashEquals(parsed.hash, narHash);
    return hashEquals(parsed.hash, narHashPathSync(physicalPath, { algo: parsed.hash.algo }).hash);
  }
  if (!lstatSync(physicalPath).isFile()) return false;
  return hashEquals(parsed.hash, hashFileSync(physicalPath, parsed.hash.algo));
}
