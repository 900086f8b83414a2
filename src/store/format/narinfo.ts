/**
 * `.narinfo` files of binary caches, parsed and written as Nix 2.8 does
 * (libstore/nar-info.cc), so a parsed file writes back byte for byte.
 * References and the deriver are base names (`<hash>-<name>`), as on disk.
 */
import { NarInfoParseError } from "./errors.js";
import { parseHashAnyPrefixed, printHash, type Hash } from "./hash.js";
import { compareBytes, DEFAULT_STORE_DIR, parseStorePath, parseStorePathBaseName } from "./storePath.js";

export interface NarInfo {
  /** Full store path. */
  storePath: string;
  /** Relative URL of the (compressed) NAR, e.g. `nar/<filehash>.nar.xz`. */
  url: string;
  /** "xz", "bzip2", "zstd", "none"...; Nix reads a missing field as "bzip2". */
  compression: string;
  fileHash?: Hash;
  fileSize?: number;
  narHash: Hash;
  narSize: number;
  /** Base names of referenced store paths. */
  references: string[];
  /** Base name of the deriver (`<hash>-<name>.drv`), if known. */
  deriver?: string;
  system?: string;
  /** `keyname:base64sig` signatures. */
  sigs: string[];
  /** Content address, e.g. `text:sha256:…` or `fixed:r:sha256:…`. */
  ca?: string;
}

const DIGITS = /^[0-9]+$/;

/** Nix's NarInfo constructor. `source` names the file in errors. */
export function parseNarInfo(text: string, options: { storeDir?: string; source?: string } = {}): NarInfo {
  const storeDir = options.storeDir ?? DEFAULT_STORE_DIR;
  let storePath: string | undefined;
  let narHash: Hash | undefined;
  const info: Partial<NarInfo> & { references: string[]; sigs: string[] } = { references: [], sigs: [] };
  let sawReferences = false;
  let pos = 0;
  let line = 1;
  const fail = (detail: string): never => {
    throw new NarInfoParseError(detail, line, options.source);
  };
  const hashField = (v: string): Hash => {
    try {
      return parseHashAnyPrefixed(v);
    } catch (e) {
      return fail((e as Error).message);
    }
  };
  const intField = (name: string, v: string): number => {
    if (!DIGITS.test(v) || !Number.isSafeInteger(Number(v))) fail(`${name} '${v}' is not a number`);
    return Number(v);
  };
  const baseName = (v: string): string => {
    try {
      parseStorePathBaseName(v);
    } catch (e) {
      fail((e as Error).message);
    }
    return v;
  };

  while (pos < text.length) {
    const colon = text.indexOf(":", pos);
    const nl = text.indexOf("\n", pos);
    if (colon < 0 || (nl >= 0 && nl < colon)) fail("expected 'Name: value'");
    const name = text.slice(pos, colon);
    // Like Nix: the value starts two characters after the colon (": ").
    const eol = text.indexOf("\n", colon + 2);
    if (eol < 0) fail("line does not end with a newline");
    const value = text.slice(colon + 2, eol);
    switch (name) {
      case "StorePath":
        try {
          parseStorePath(value, storeDir);
        } catch (e) {
          fail((e as Error).message);
        }
        storePath = value;
        break;
      case "URL":
        info.url = value;
        break;
      case "Compression":
        info.compression = value;
        break;
      case "FileHash":
        info.fileHash = hashField(value);
        break;
      case "FileSize":
        info.fileSize = intField(name, value);
        break;
      case "NarHash":
        narHash = hashField(value);
        break;
      case "NarSize":
        info.narSize = intField(name, value);
        break;
      case "References":
        if (sawReferences && info.references.length > 0) fail("duplicate References field");
        sawReferences = true;
        for (const r of value.split(" ")) if (r !== "") info.references.push(baseName(r));
        break;
      case "Deriver":
        if (value !== "unknown-deriver") info.deriver = baseName(value);
        break;
      case "System":
        info.system = value;
        break;
      case "Sig":
        info.sigs.push(value);
        break;
      case "CA":
        if (info.ca !== undefined) fail("duplicate CA field");
        info.ca = value;
        break;
      default:
        break; // Nix ignores unknown fields
    }
    for (let i = pos; i < eol; i++) if (text.charCodeAt(i) === 10) line++;
    line++;
    pos = eol + 1;
  }
  if (!storePath) fail("missing StorePath");
  if (!narHash) fail("missing NarHash");
  if (!info.url) fail("missing URL");
  if (!info.narSize) fail("missing or zero NarSize");
  return {
    storePath: storePath!,
    url: info.url!,
    compression: info.compression || "bzip2",
    fileHash: info.fileHash,
    fileSize: info.fileSize,
    narHash: narHash!,
    narSize: info.narSize!,
    references: info.references,
    deriver: info.deriver,
    system: info.system,
    sigs: info.sigs,
    ca: info.ca,
  };
}

/** Nix's `NarInfo::to_string`. Hashes are written as `<algo>:<nix32>`; references and signatures sorted. */
export function writeNarInfo(info: NarInfo): string {
  let s = `StorePath: ${info.storePath}\n`;
  s += `URL: ${info.url}\n`;
  s += `Compression: ${info.compression}\n`;
  if (info.fileHash) s += `FileHash: ${printHash(info.fileHash, "nix32", true)}\n`;
  if (info.fileSize !== undefined) s += `FileSize: ${info.fileSize}\n`;
  s += `NarHash: ${printHash(info.narHash, "nix32", true)}\n`;
  s += `NarSize: ${info.narSize}\n`;
  s += `References: ${[...new Set(info.references)].sort(compareBytes).join(" ")}\n`;
  if (info.deriver) s += `Deriver: ${info.deriver}\n`;
  if (info.system) s += `System: ${info.system}\n`;
  for (const sig of [...new Set(info.sigs)].sort(compareBytes)) s += `Sig: ${sig}\n`;
  if (info.ca) s += `CA: ${info.ca}\n`;
  return s;
}

/**
 * Nix's `ValidPathInfo::fingerprint`, the signed text:
 * `1;<storePath>;<narHash as sha256:nix32>;<narSize>;<full reference paths, comma-separated>`.
 */
export function narInfoFingerprint(
  info: Pick<NarInfo, "storePath" | "narHash" | "narSize" | "references">,
  storeDir = DEFAULT_STORE_DIR,
): string {
  if (!info.narSize) throw new TypeError(`cannot calculate fingerprint of path '${info.storePath}' because its size is not known`);
  const refs = [...new Set(info.references)].sort(compareBytes).map((r) => (r.startsWith("/") ? r : `${storeDir}/${r}`));
  return `1;${info.storePath};${printHash(info.narHash, "nix32", true)};${info.narSize};${refs.join(",")}`;
}
