/**
 * Flake references printed as Nix 2.8 prints them (`nix flake metadata`,
 * `nix registry list`): each input type's `toURL`, then `dir` added to the
 * query. 2.8 differs from current Nix (lib/flakeRef.ts follows current Nix):
 * query values are percent-encoded with lower-case hex and a wider set of
 * kept characters, paths are not encoded, a git URL keeps any extra query
 * parameters it was given (even `dir`), and github refs carry no query.
 */
import type { FlakeRefAttrs } from "./lockFile.js";

/** Nix 2.8's percentEncode: alphanumerics and `-._~!$&'()*+,;=:@` are kept. */
export function percentEncode28(s: string): string {
  let out = "";
  for (const byte of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9]/.test(c) || "-._~!$&'()*+,;=:@".includes(c)) out += c;
    else out += `%${byte.toString(16).padStart(2, "0")}`;
  }
  return out;
}

interface Url {
  scheme: string;
  authority?: string;
  path: string;
  query: Map<string, string>;
}

function parseUrl(url: string): Url {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?/.exec(url);
  if (!m) return { scheme: "", path: url, query: new Map() };
  const query = new Map<string, string>();
  for (const part of (m[4] ?? "").split("&")) {
    const eq = part.indexOf("=");
    if (eq > 0) query.set(decodeURIComponent(part.slice(0, eq)), decodeURIComponent(part.slice(eq + 1)));
  }
  return { scheme: m[1]!, authority: m[2], path: m[3]!, query };
}

function render(u: Url): string {
  // std::map: keys sorted bytewise.
  const q = [...u.query.keys()]
    .sort()
    .map((k) => `${percentEncode28(k)}=${percentEncode28(u.query.get(k)!)}`)
    .join("&");
  return `${u.scheme}:${u.authority !== undefined ? `//${u.authority}` : ""}${u.path}${q ? `?${q}` : ""}`;
}

const scalar = (v: string | number | boolean): string => (typeof v === "boolean" ? (v ? "1" : "0") : String(v));

/** The input's URL without `dir` (Nix 2.8's InputScheme::toURL). */
function inputUrl(ref: FlakeRefAttrs): Url {
  switch (ref.type) {
    case "git": {
      const u = parseUrl(String(ref.url));
      if (u.scheme !== "git") u.scheme = `git+${u.scheme}`;
      if (typeof ref.rev === "string") u.query.set("rev", ref.rev);
      if (typeof ref.ref === "string") u.query.set("ref", ref.ref);
      if (ref.shallow === true) u.query.set("shallow", "1");
      return u;
    }
    case "path": {
      const query = new Map<string, string>();
      for (const [k, v] of Object.entries(ref)) if (k !== "path" && k !== "type" && k !== "dir") query.set(k, scalar(v));
      return { scheme: "path", path: String(ref.path), query };
    }
    case "tarball":
    case "file": {
      const u = parseUrl(String(ref.url));
      if (typeof ref.narHash === "string") u.query.set("narHash", ref.narHash);
      if (ref.type === "file") u.scheme = `file+${u.scheme}`;
      return u;
    }
    case "github":
    case "gitlab":
    case "sourcehut": {
      let path = `${String(ref.owner)}/${String(ref.repo)}`;
      if (typeof ref.ref === "string") path += `/${ref.ref}`;
      if (typeof ref.rev === "string") path += `/${ref.rev}`;
      return { scheme: String(ref.type), path, query: new Map() };
    }
    case "indirect": {
      let path = String(ref.id);
      if (typeof ref.ref === "string") path += `/${ref.ref}`;
      if (typeof ref.rev === "string") path += `/${ref.rev}`;
      return { scheme: "flake", path, query: new Map() };
    }
    default: {
      const u = parseUrl(String(ref.url ?? ""));
      return u;
    }
  }
}

/** `FlakeRef::to_string()` of Nix 2.8. */
export function flakeRefToString28(ref: FlakeRefAttrs): string {
  const u = inputUrl(ref);
  if (typeof ref.dir === "string" && ref.dir !== "") u.query.set("dir", ref.dir);
  return render(u);
}

/**
 * Nix 2.8 keeps every query parameter of a git URL it did not consume in the
 * `url` attribute, `dir` included: `git+file:///r?dir=sub` has url
 * `file:///r?dir=sub` and dir `sub` (registry.json, `nix flake metadata --json`).
 */
export function withDirInGitUrl(ref: FlakeRefAttrs): FlakeRefAttrs {
  if (ref.type !== "git" || typeof ref.dir !== "string" || ref.dir === "") return ref;
  const u = parseUrl(String(ref.url));
  if (u.query.has("dir")) return ref;
  u.query.set("dir", ref.dir);
  return { ...ref, url: render(u) };
}
