/**
 * ImageSettings: everything a user can say about an image, filled by the CLI
 * from flags and from a flake package's `passthru.nixoci` attribute set
 * (after evaluation, as plain JSON-like values). `parseImageSettings`
 * validates such a value with messages that name the attribute and the
 * expected type; `mergeImageSettings` lets flags override the flake.
 *
 * passthru.nixoci attributes (all optional):
 *   name, tag            string             image reference parts
 *   entrypoint, cmd      string | [string]  (a string is a one-element list)
 *   env                  { K = "v"; } | [ "K=v" ]
 *   ports                [ 8080 "8080/tcp" "53/udp" ]
 *   user, workingDir, stopSignal   string
 *   labels, annotations  { k = "v"; }
 *   volumes              [ "/data" ]
 *   maxLayers            int (1..127)
 *   layering             string (strategy name, interpreted by src/layering)
 *   disallow             [ string ]      store paths (or names) that must not be in the closure
 *   created              "now" | RFC 3339 | int seconds (default SOURCE_DATE_EPOCH / 1)
 *   copyToRoot           [ path ]        packages linked into / (see customisation.ts)
 *   linkDirs             [ string ]      default [ "bin" ]
 *   addUser              { name; uid; gid; group?; home?; shell? }
 *   tmp                  bool (default true)
 *   caCertificates       path
 *   perms                [ { regex; mode?; uid?; gid?; uname?; gname?; } ]  mode as int or octal string "0755"
 */
import { NixociError } from "../errors.js";
import type { UserAccount } from "./customisation.js";
import type { PermRule } from "./layerTar.js";

export interface ImageSettings {
  name?: string;
  tag?: string;
  entrypoint?: string[];
  cmd?: string[];
  /** In order of first appearance. */
  env?: Record<string, string>;
  /** Normalised as `<port>/<proto>`. */
  ports?: string[];
  user?: string;
  workingDir?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  volumes?: string[];
  stopSignal?: string;
  maxLayers?: number;
  layering?: string;
  disallow?: string[];
  /** Seconds since the epoch, or "now". */
  created?: number | "now";
  copyToRoot?: string[];
  linkDirs?: string[];
  addUser?: UserAccount;
  tmp?: boolean;
  caCertificates?: string;
  perms?: PermRule[];
}

/** A settings value of the wrong type or shape; `attribute` names it (e.g. `passthru.nixoci.ports[1]`). */
export class ImageSettingsError extends NixociError {
  constructor(
    readonly attribute: string,
    message: string,
  ) {
    super(`${attribute}: ${message}`);
  }
}

const describe = (v: unknown): string =>
  v === null ? "null" : Array.isArray(v) ? "a list" : typeof v === "object" ? "an attribute set" : `${typeof v} ${JSON.stringify(v)}`;

function str(v: unknown, at: string): string {
  if (typeof v !== "string") throw new ImageSettingsError(at, `expected a string, got ${describe(v)}`);
  return v;
}

function strList(v: unknown, at: string, allowSingle = false): string[] {
  if (allowSingle && typeof v === "string") return [v];
  if (!Array.isArray(v)) throw new ImageSettingsError(at, `expected a list of strings${allowSingle ? " or a string" : ""}, got ${describe(v)}`);
  return v.map((x, i) => str(x, `${at}[${i}]`));
}

function strAttrs(v: unknown, at: string): Record<string, string> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new ImageSettingsError(at, `expected an attribute set of strings, got ${describe(v)}`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) out[k] = str(x, `${at}.${k}`);
  return out;
}

function int(v: unknown, at: string, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v)) throw new ImageSettingsError(at, `expected an integer, got ${describe(v)}`);
  if (v < min || v > max) throw new ImageSettingsError(at, `must be between ${min} and ${max}, got ${v}`);
  return v;
}

function attrs(v: unknown, at: string): Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new ImageSettingsError(at, `expected an attribute set, got ${describe(v)}`);
  return v as Record<string, unknown>;
}

function parseEnv(v: unknown, at: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      const s = str(x, `${at}[${i}]`);
      const eq = s.indexOf("=");
      if (eq <= 0) throw new ImageSettingsError(`${at}[${i}]`, `expected "NAME=value", got ${JSON.stringify(s)}`);
      out[s.slice(0, eq)] = s.slice(eq + 1);
    });
    return out;
  }
  const a = strAttrs(v, at);
  for (const k of Object.keys(a)) {
    if (k === "" || k.includes("=")) throw new ImageSettingsError(`${at}.${k}`, "an environment variable name must be non-empty and without '='");
  }
  return a;
}

export function normalisePort(v: unknown, at: string): string {
  const s = typeof v === "number" ? String(v) : str(v, at);
  const m = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/.exec(s);
  if (m === null || Number(m[1]) < 1 || Number(m[1]) > 65535) {
    throw new ImageSettingsError(at, `expected a port like 8080 or "8080/tcp" (udp, sctp), got ${JSON.stringify(v)}`);
  }
  return `${Number(m[1])}/${m[2] ?? "tcp"}`;
}

function parseCreated(v: unknown, at: string): number | "now" {
  if (v === "now") return "now";
  if (typeof v === "number") return int(v, at, 0, 253402300799);
  const s = str(v, at);
  const t = Date.parse(s);
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(s) || Number.isNaN(t)) {
    throw new ImageSettingsError(at, `expected "now", seconds since the epoch, or an RFC 3339 time, got ${JSON.stringify(s)}`);
  }
  return Math.floor(t / 1000);
}

function parseMode(v: unknown, at: string): number {
  if (typeof v === "string" && /^0?[0-7]{3,4}$/.test(v)) return parseInt(v, 8);
  return int(v, at, 0, 0o7777);
}

function parseUser(v: unknown, at: string): UserAccount {
  const a = attrs(v, at);
  const u: UserAccount = { name: str(a.name, `${at}.name`), uid: int(a.uid, `${at}.uid`, 1, 0x7fffffff), gid: int(a.gid, `${at}.gid`, 1, 0x7fffffff) };
  if (a.group !== undefined) u.group = str(a.group, `${at}.group`);
  if (a.home !== undefined) u.home = str(a.home, `${at}.home`);
  if (a.shell !== undefined) u.shell = str(a.shell, `${at}.shell`);
  checkKnown(a, ["name", "uid", "gid", "group", "home", "shell"], at);
  return u;
}

function parsePerm(v: unknown, at: string): PermRule {
  const a = attrs(v, at);
  const r: PermRule = { regex: str(a.regex, `${at}.regex`) };
  try {
    new RegExp(r.regex, "u");
  } catch (err) {
    throw new ImageSettingsError(`${at}.regex`, `invalid regular expression: ${(err as Error).message}`);
  }
  if (a.mode !== undefined) r.mode = parseMode(a.mode, `${at}.mode`);
  if (a.uid !== undefined) r.uid = int(a.uid, `${at}.uid`, 0, 0x7fffffff);
  if (a.gid !== undefined) r.gid = int(a.gid, `${at}.gid`, 0, 0x7fffffff);
  if (a.uname !== undefined) r.uname = str(a.uname, `${at}.uname`);
  if (a.gname !== undefined) r.gname = str(a.gname, `${at}.gname`);
  checkKnown(a, ["regex", "mode", "uid", "gid", "uname", "gname"], at);
  return r;
}

function checkKnown(a: Record<string, unknown>, known: string[], at: string): void {
  for (const k of Object.keys(a)) {
    if (!known.includes(k)) throw new ImageSettingsError(`${at}.${k}`, `unknown attribute (known: ${known.join(", ")})`);
  }
}

const absolute = (s: string, at: string): string => {
  if (!s.startsWith("/")) throw new ImageSettingsError(at, `expected an absolute path, got ${JSON.stringify(s)}`);
  return s;
};

/** Validates a plain value (e.g. the JSON of `passthru.nixoci`) into ImageSettings. */
export function parseImageSettings(value: unknown, at = "passthru.nixoci"): ImageSettings {
  const a = attrs(value, at);
  const s: ImageSettings = {};
  const p = (k: string): string => `${at}.${k}`;
  for (const [k, v] of Object.entries(a)) {
    if (v === undefined || v === null) continue;
    switch (k) {
      case "name":
      case "tag":
      case "user":
      case "stopSignal":
      case "layering":
        s[k] = str(v, p(k));
        break;
      case "workingDir":
        s.workingDir = absolute(str(v, p(k)), p(k));
        break;
      case "caCertificates":
        s.caCertificates = absolute(str(v, p(k)), p(k));
        break;
      case "entrypoint":
      case "cmd":
        s[k] = strList(v, p(k), true);
        break;
      case "env":
        s.env = parseEnv(v, p(k));
        break;
      case "ports":
        if (!Array.isArray(v)) throw new ImageSettingsError(p(k), `expected a list of ports, got ${describe(v)}`);
        s.ports = v.map((x, i) => normalisePort(x, `${p(k)}[${i}]`));
        break;
      case "labels":
      case "annotations":
        s[k] = strAttrs(v, p(k));
        break;
      case "volumes":
        s.volumes = strList(v, p(k)).map((x, i) => absolute(x, `${p(k)}[${i}]`));
        break;
      case "copyToRoot":
        s.copyToRoot = strList(v, p(k), true).map((x, i) => absolute(x, `${p(k)}[${i}]`));
        break;
      case "disallow":
      case "linkDirs":
        s[k] = strList(v, p(k));
        break;
      case "maxLayers":
        s.maxLayers = int(v, p(k), 1, 127);
        break;
      case "created":
        s.created = parseCreated(v, p(k));
        break;
      case "tmp":
        if (typeof v !== "boolean") throw new ImageSettingsError(p(k), `expected a boolean, got ${describe(v)}`);
        s.tmp = v;
        break;
      case "addUser":
        s.addUser = parseUser(v, p(k));
        break;
      case "perms":
        if (!Array.isArray(v)) throw new ImageSettingsError(p(k), `expected a list of attribute sets, got ${describe(v)}`);
        s.perms = v.map((x, i) => parsePerm(x, `${p(k)}[${i}]`));
        break;
      default:
        throw new ImageSettingsError(p(k), "unknown attribute (see the nixoci documentation of passthru.nixoci)");
    }
  }
  return s;
}

/** Later settings override earlier ones key by key; env, labels and annotations merge per entry. */
export function mergeImageSettings(...layers: ImageSettings[]): ImageSettings {
  const out: ImageSettings = {};
  for (const s of layers) {
    for (const [k, v] of Object.entries(s) as [keyof ImageSettings, unknown][]) {
      if (v === undefined) continue;
      if (k === "env" || k === "labels" || k === "annotations") {
        out[k] = { ...(out[k] ?? {}), ...(v as Record<string, string>) };
      } else {
        (out as Record<string, unknown>)[k] = v;
      }
    }
  }
  return out;
}
