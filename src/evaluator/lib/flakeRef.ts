/**
 * Flake references: the URL-like strings of `inputs.*.url`, the CLI and
 * `builtins.parseFlakeRef`, and their attribute-set form (flake.lock's
 * "original"/"locked", `builtins.flakeRefToString`). Rules follow current
 * Nix's libflake/libfetchers (facts checked against Nix 2.8's
 * `nix registry add`, which stores the parsed attributes, where 2.8 agrees).
 *
 * Not handled here: the search for an enclosing git repository/flake.nix for
 * plain paths on the CLI (see flake/installable.ts), and registry lookup.
 */
import { isAbsolute, resolve } from "node:path";
import { FlakeRefError } from "./libErrors.js";

/** A flake reference in attribute form; integers are JS numbers (revCount, lastModified). */
export type FlakeRefAttrs = Record<string, string | number | boolean>;

const FLAKE_ID = "[a-zA-Z][a-zA-Z0-9_-]*";
const REV = "[0-9a-fA-F]{40}";
const REF = "[a-zA-Z0-9@][a-zA-Z0-9_.\\/@+-]*";
const revRegex = new RegExp(`^${REV}$`);
const flakeIdRef = new RegExp(`^(${FLAKE_ID})(?:/(?:(${REV})|(?:(${REF})(?:/(${REV}))?)))?(?:#(.*))?$`);
const ARCHIVE_EXTENSIONS = [".zip", ".tar", ".tgz", ".tar.gz", ".tar.xz", ".tar.bz2", ".tar.zst"];
const INT_ATTRS = new Set(["revCount", "lastModified"]);
const BOOL_ATTRS = new Set(["shallow", "submodules", "allRefs", "lfs", "exportIgnore", "verifyCommit"]);

/** RFC 3986 unreserved characters are never encoded; `keep` adds more. */
function percentEncode(s: string, keep = ""): string {
  let out = "";
  for (const byte of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-._~]/.test(c) || keep.includes(c)) out += c;
    else out += "%" + byte.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

function percentDecode(s: string, whole: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new FlakeRefError(`invalid URI parameter '${s}'`, whole);
  }
}

function encodeQuery(q: Record<string, string>): string {
  return Object.keys(q)
    .sort()
    .map((k) => `${percentEncode(k, ":@/?")}=${percentEncode(q[k]!, ":@/?")}`)
    .join("&");
}

/** Characters Nix tolerates unescaped in queries/fragments for backwards compatibility. */
const lenient = (s: string): string => s.replace(/[ "^`{|}<>\\]/g, (c) => percentEncode(c));

function decodeQuery(query: string, whole: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (query === "") return out;
  for (const part of lenient(query).split("&")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue; // Nix warns and ignores parameters without '='.
    out[percentDecode(part.slice(0, eq).replaceAll("+", " "), whole)] = percentDecode(
      part.slice(eq + 1).replaceAll("+", " "),
      whole,
    );
  }
  return out;
}

interface ParsedUrl {
  scheme: string;
  /** "//authority" part, without the slashes, or null when absent. */
  authority: string | null;
  /** Raw (still percent-encoded) path. */
  path: string;
  query: Record<string, string>;
  fragment: string;
}

function parseUrl(s: string): ParsedUrl | null {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):(\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/.exec(s);
  if (m === null) return null;
  return {
    scheme: m[1]!.toLowerCase(),
    authority: m[2] === undefined ? null : m[3]!,
    path: m[4]!,
    query: decodeQuery(m[5] ?? "", s),
    fragment: percentDecode(lenient(m[6] ?? ""), s),
  };
}

const segments = (u: ParsedUrl, whole: string): string[] =>
  u.path
    .split("/")
    .filter((x) => x !== "")
    .map((x) => percentDecode(x, whole));

function renderUrl(scheme: string, authority: string | null, path: string, query: Record<string, string>): string {
  const q = encodeQuery(query);
  return `${scheme}:${authority === null ? "" : "//" + authority}${path}${q === "" ? "" : "?" + q}`;
}

/** Attributes common to all inputs, given in the query string. */
function genericAttr(attrs: FlakeRefAttrs, name: string, value: string, whole: string): void {
  if (INT_ATTRS.has(name)) {
    if (!/^[0-9]+$/.test(value)) throw new FlakeRefError(`attribute '${name}' must be an integer`, whole);
    attrs[name] = Number(value);
  } else if (BOOL_ATTRS.has(name)) attrs[name] = value === "1" || value === "true";
  else attrs[name] = value;
}

function gitArchive(u: ParsedUrl, whole: string): FlakeRefAttrs {
  const path = segments(u, whole);
  const attrs: FlakeRefAttrs = { type: u.scheme };
  if (path.length < 2) throw new FlakeRefError(`URL '${whole}' is invalid`, whole);
  if (path.length === 3) attrs[revRegex.test(path[2]!) ? "rev" : "ref"] = path[2]!;
  else if (path.length > 3) attrs.ref = path.slice(2).join("/");
  for (const [name, value] of Object.entries(u.query)) {
    if (name === "rev" || name === "ref") {
      if (name in attrs) {
        throw new FlakeRefError(
          `URL '${whole}' contains multiple ${name === "rev" ? "commit hashes" : "branch/tag names"}`,
          whole,
        );
      }
      attrs[name] = value;
    } else if (name === "host" || name === "narHash") attrs[name] = value;
    else throw new FlakeRefError(`URL '${whole}' contains unknown parameter '${name}'`, whole);
  }
  attrs.owner = path[0]!;
  attrs.repo = path[1]!;
  return attrs;
}

/** Query parameters a git URL turns into attributes; everything else stays in `url`. */
const GIT_STRING_ATTRS = ["rev", "ref", "keytype", "publicKey", "publicKeys"];
const GIT_BOOL_ATTRS = ["shallow", "submodules", "lfs", "exportIgnore", "allRefs", "verifyCommit"];

function fromUrl(u: ParsedUrl, whole: string, baseDir: string | undefined): FlakeRefAttrs {
  const { scheme } = u;
  if (scheme === "flake") {
    const path = segments(u, whole);
    if (path.length < 1 || path.length > 3) throw new FlakeRefError(`flake URL '${whole}' is invalid`, whole);
    const attrs: FlakeRefAttrs = { type: "indirect", id: path[0]! };
    if (!new RegExp(`^${FLAKE_ID}$`).test(path[0]!)) throw new FlakeRefError(`'${path[0]}' is not a valid flake ID`, whole);
    if (path.length === 2) attrs[revRegex.test(path[1]!) ? "rev" : "ref"] = path[1]!;
    if (path.length === 3) {
      if (!revRegex.test(path[2]!)) throw new FlakeRefError(`in flake URL '${whole}', '${path[2]}' is not a commit hash`, whole);
      attrs.ref = path[1]!;
      attrs.rev = path[2]!;
    }
    return attrs;
  }
  if (scheme === "github" || scheme === "gitlab" || scheme === "sourcehut") return gitArchive(u, whole);
  if (scheme === "path") {
    let path = percentDecode(u.path, whole);
    if (u.authority !== null && u.authority !== "") throw new FlakeRefError(`path URL '${whole}' should not have an authority`, whole);
    if (baseDir !== undefined && !isAbsolute(path)) path = resolve(baseDir, path);
    const attrs: FlakeRefAttrs = { type: "path", path };
    for (const [name, value] of Object.entries(u.query)) {
      if (!["rev", "narHash", "revCount", "lastModified"].includes(name)) {
        throw new FlakeRefError(`path URL '${whole}' has unsupported parameter '${name}'`, whole);
      }
      genericAttr(attrs, name, value, whole);
    }
    return attrs;
  }
  if (scheme === "git" || scheme.startsWith("git+")) {
    const inner = scheme === "git" ? "git" : scheme.slice(4);
    if (!["http", "https", "ssh", "git", "file"].includes(inner)) throw new FlakeRefError(`input '${whole}' is unsupported`, whole);
    const attrs: FlakeRefAttrs = { type: "git" };
    const rest: Record<string, string> = {};
    for (const [name, value] of Object.entries(u.query)) {
      if (GIT_STRING_ATTRS.includes(name)) attrs[name] = value;
      else if (GIT_BOOL_ATTRS.includes(name)) attrs[name] = value === "1";
      else rest[name] = value;
    }
    let path = u.path;
    if (inner === "file" && baseDir !== undefined && !path.startsWith("/")) path = resolve(baseDir, percentDecode(path, whole));
    attrs.url = renderUrl(inner, u.authority, path, rest);
    return attrs;
  }
  if (scheme.startsWith("hg+")) {
    const attrs: FlakeRefAttrs = { type: "hg" };
    const rest: Record<string, string> = {};
    for (const [name, value] of Object.entries(u.query)) {
      if (["ref", "rev", "narHash", "revCount"].includes(name)) genericAttr(attrs, name, value, whole);
      else rest[name] = value;
    }
    attrs.url = renderUrl(scheme.slice(3), u.authority, u.path, rest);
    return attrs;
  }
  const transport = scheme.replace(/^(tarball|file)\+/, "");
  if (["http", "https", "file"].includes(transport)) {
    // As a flake, a plain URL is a tarball unless "file+" asks for a single file.
    const type = scheme.startsWith("file+") ? "file" : "tarball";
    const attrs: FlakeRefAttrs = { type };
    const rest: Record<string, string> = {};
    for (const [name, value] of Object.entries(u.query)) {
      if (["narHash", "rev", "revCount", "lastModified", "unpack"].includes(name)) genericAttr(attrs, name, value, whole);
      else rest[name] = value;
    }
    attrs.url = renderUrl(transport, u.authority, u.path, rest);
    return attrs;
  }
  throw new FlakeRefError(`input '${whole}' is unsupported`, whole);
}

/** Split `ref#fragment` (the attribute path) and parse the reference. */
export function parseFlakeRefWithFragment(s: string, baseDir?: string): { ref: FlakeRefAttrs; fragment: string } {
  const id = flakeIdRef.exec(s);
  if (id !== null) {
    const hash = s.indexOf("#");
    const path = hash < 0 ? s : s.slice(0, hash);
    const ref = fromUrl({ scheme: "flake", authority: null, path, query: {}, fragment: "" }, s, baseDir);
    return { ref, fragment: percentDecode(lenient(id[5] ?? ""), s) };
  }
  const url = parseUrl(s);
  if (url !== null) {
    const dir = url.query.dir;
    delete url.query.dir;
    const ref = fromUrl(url, s, baseDir);
    if (dir !== undefined && dir !== "") ref.dir = dir;
    return { ref, fragment: url.fragment };
  }
  // A plain path, absolute or relative to baseDir.
  const m = /^([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/.exec(s)!;
  let path = m[1]!;
  if (baseDir !== undefined) path = resolve(baseDir, path);
  else if (!isAbsolute(path)) throw new FlakeRefError(`flake reference '${s}' is not an absolute path`, s);
  const query = decodeQuery(m[2] ?? "", s);
  const u: ParsedUrl = { scheme: "path", authority: null, path: encodeURI(path), query, fragment: "" };
  const dir = query.dir;
  delete query.dir;
  const ref = fromUrl(u, s, baseDir);
  ref.path = path;
  if (dir !== undefined && dir !== "") ref.dir = dir;
  return { ref, fragment: percentDecode(lenient(m[3] ?? ""), s) };
}

/** `builtins.parseFlakeRef`: a reference without an attribute path. */
export function parseFlakeRef(s: string, baseDir?: string): FlakeRefAttrs {
  const { ref, fragment } = parseFlakeRefWithFragment(s, baseDir);
  if (fragment !== "") throw new FlakeRefError(`unexpected fragment '${fragment}' in flake reference '${s}'`, s);
  return ref;
}

const str = (attrs: FlakeRefAttrs, name: string): string => {
  const v = attrs[name];
  if (typeof v !== "string") throw new FlakeRefError(`attribute '${name}' is missing or not a string`, JSON.stringify(attrs));
  return v;
};

function extraQuery(attrs: FlakeRefAttrs, names: string[]): Record<string, string> {
  const q: Record<string, string> = {};
  for (const n of names) {
    const v = attrs[n];
    if (v === undefined) continue;
    if (typeof v === "number" && v < 0) throw new FlakeRefError(`negative value given for flake ref attr ${n}: ${v}`, "");
    q[n] = typeof v === "boolean" ? (v ? "1" : "0") : String(v);
  }
  return q;
}

/** Split a URL string back into parts so attributes can be merged into its query. */
function withQuery(url: string, prefix: string, extra: Record<string, string>): string {
  const u = parseUrl(url);
  if (u === null) throw new FlakeRefError(`invalid URL '${url}'`, url);
  const path = u.path
    .split("/")
    .map((seg) => percentEncode(percentDecode(seg, url), ":@"))
    .join("/");
  return renderUrl(prefix + u.scheme, u.authority, path, { ...u.query, ...extra });
}

/** `builtins.flakeRefToString`: the canonical URL form of an attribute-set reference. */
export function flakeRefToString(attrs: FlakeRefAttrs): string {
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === "number" && v < 0) throw new FlakeRefError(`negative value given for flake ref attr ${k}: ${v}`, "");
  }
  const type = str(attrs, "type");
  const dir = extraQuery(attrs, ["dir"]);
  switch (type) {
    case "indirect": {
      const path = [str(attrs, "id"), attrs.ref, attrs.rev].filter((x) => x !== undefined).map((x) => percentEncode(String(x), ":@"));
      return renderUrl("flake", null, path.join("/"), { ...dir, ...extraQuery(attrs, ["narHash"]) });
    }
    case "github":
    case "gitlab":
    case "sourcehut": {
      const path = [str(attrs, "owner"), str(attrs, "repo"), attrs.ref, attrs.rev].filter((x) => x !== undefined);
      return renderUrl(type, null, path.map((x) => percentEncode(String(x), ":@")).join("/"), {
        ...dir,
        ...extraQuery(attrs, ["narHash", "host"]),
      });
    }
    case "path":
      return renderUrl("path", null, percentEncode(str(attrs, "path"), ":@/"), {
        ...dir,
        ...extraQuery(attrs, ["rev", "narHash", "revCount", "lastModified"]),
      });
    case "git": {
      const url = str(attrs, "url");
      // Booleans are written only when set (allRefs never).
      const flags = GIT_BOOL_ATTRS.filter((k) => k !== "allRefs" && attrs[k] === true);
      const extra = { ...dir, ...extraQuery(attrs, ["rev", "ref", "keytype", "publicKey", "publicKeys"]) };
      for (const f of flags) extra[f] = "1";
      return withQuery(url, url.startsWith("git:") ? "" : "git+", extra);
    }
    case "tarball":
    case "file": {
      const url = str(attrs, "url");
      const extra = { ...dir, ...extraQuery(attrs, ["narHash", "rev", "revCount", "lastModified"]) };
      const isArchive = ARCHIVE_EXTENSIONS.some((e) => (parseUrl(url)?.path ?? "").endsWith(e));
      const prefix = type === "file" ? "file+" : isArchive ? "" : "tarball+";
      return withQuery(url, prefix, extra);
    }
    case "hg":
      return withQuery(str(attrs, "url"), "hg+", { ...dir, ...extraQuery(attrs, ["ref", "rev", "narHash", "revCount"]) });
  }
  throw new FlakeRefError(`unsupported input type '${type}'`, JSON.stringify(attrs));
}

/** Split `flakeref#attrpath` at the first '#'. */
export function splitFlakeRefAttrPath(s: string): { ref: string; attrPath: string } {
  const i = s.indexOf("#");
  return i < 0 ? { ref: s, attrPath: "" } : { ref: s.slice(0, i), attrPath: s.slice(i + 1) };
}
