/**
 * Pure evaluation as flakes restrict it (Nix 2.8 `nix build`/`nix eval` on a
 * flake without `--impure`):
 *   - `builtins.currentSystem` and `builtins.currentTime` do not exist
 *     ("attribute 'currentSystem' missing"; `__currentSystem` is an undefined
 *     variable); `builtins.getEnv` returns "" (core.ts already does);
 *   - reading a path outside the allowed ones (the flake's source, its
 *     inputs' sources, and what was copied into the store from them) fails
 *     with "access to absolute path '…' is forbidden in pure eval mode (use
 *     '--impure' to override)"; `builtins.pathExists` answers false.
 *
 * The path restriction applies to an evaluator marked with {@link restrictPaths}:
 * flake evaluation and every pure evaluation (`nixoci eval --expr`, `instantiate
 * --pure-eval`, see cli/instantiate.ts makeEvaluator).
 * Also `getFlake` (a locked reference in pure mode), and `fetchTree` and `fetchGit` for what can be fetched here (local git
 * repositories, paths, file:// and http tarballs), with Nix 2.8's attributes
 * and its pure-mode rule (a locked input: `rev` or `narHash`).
 *
 * Hooked in by wrapping `def` (builtins/index.ts calls
 * `def = registerFlakeBuiltins(ev, def)` first) and the evaluator's
 * copyPathToStore on this instance (interpolating `${/etc/x}` reads it too).
 */
import { readlinkSync, realpathSync } from "node:fs";
import { printHash } from "../../store/format/hash.js";
import { narHashPathSync } from "../../store/format/nar.js";
import type { Pos } from "../ast.js";
// Fetching and flakes load on first use (most evaluations never fetch). flake.ts also uses
// allowPath from here: deferring it keeps that cycle out of module loading.
import { deferred } from "../../deferred.js";
import type { FlakeRefAttrs } from "../flake/lockFile.js";
import { showPos } from "../parseErrors.js";
import { corepkgSources } from "../corepkgs.js";
import { canonPath, noPos } from "../eval.js";
import { EvalError } from "../evalError.js";
import { fsPath } from "../fsBytes.js";
import type { DefineBuiltin, Evaluator } from "../evaluator.js";
import { type Lazy, NixAttrs, NixPath, NixString, type Value, fromBytes, mkInt, toBytes } from "../values.js";

/** Allowed path prefixes of each restricted evaluator. */
const allowed = new WeakMap<Evaluator, Set<string>>();

/** From now on, `ev` may read only the paths given to {@link allowPath}. */
export function restrictPaths(ev: Evaluator): void {
  if (!allowed.has(ev)) allowed.set(ev, new Set());
}

/** Let a restricted evaluator read `path` and everything below it. */
export function allowPath(ev: Evaluator, path: string): void {
  const prefixes = allowed.get(ev);
  if (!prefixes) return;
  prefixes.add(path);
  // A store kept outside /nix/store: files of a source may be reached by their physical path too.
  if (path.startsWith(`${ev.store.storeDir}/`)) prefixes.add(ev.store.toRealPath(path));
}

export class RestrictedPathError extends EvalError {}

/** How Nix 2.8 names the mode in a refusal: pure evaluation, else restricted (--restrict-eval). */
function modeOf(ev: Evaluator): string {
  return ev.options.pureEval ? "in pure eval mode (use '--impure' to override)" : "in restricted mode";
}

/**
 * Current Nix's checkURI for a fetch in restricted mode (--restrict-eval): a URI equal to one of
 * allowed-uris or below it (a prefix ending in '/', or followed by '/' in the URI, or a whole
 * scheme such as `https:`); else an absolute path or a file: URL is checked as a path; else refused.
 */
export function checkURI(ev: Evaluator, uri: string): void {
  if (!ev.options.restrictEval) return;
  for (const prefix of ev.options.allowedUris ?? []) {
    if (uri === prefix) return;
    if (uri.length > prefix.length && prefix !== "" && uri.startsWith(prefix)) {
      if (prefix.endsWith("/") || uri[prefix.length] === "/" || /^[a-zA-Z][a-zA-Z0-9+.-]*:$/.test(prefix)) return;
    }
  }
  if (uri.startsWith("/")) return checkSourcePath(ev, uri, noPos);
  const file = /^file:(?:\/\/[^/]*)?(\/[^?#]*)/.exec(uri);
  if (file !== null) return checkSourcePath(ev, decodeURIComponent(file[1]!), noPos);
  throw new RestrictedPathError(`access to URI '${uri}' is forbidden in restricted mode`, noPos);
}

/** `path` is `dir` or below it. */
function isDirOrInDir(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith("/") ? dir : `${dir}/`);
}

/** `path` is one of `dirs` or below one. */
function inAnyDir(path: string, dirs: Iterable<string>): boolean {
  for (const d of dirs) if (isDirOrInDir(path, d)) return true;
  return false;
}

/** Real paths with their symlinks resolved, by path, for each restricted evaluator (as Nix caches them). */
const resolved = new WeakMap<Evaluator, Map<string, string>>();

function resolvedPath(ev: Evaluator, path: string): string {
  let cache = resolved.get(ev);
  if (cache === undefined) resolved.set(ev, (cache = new Map()));
  const known = cache.get(path);
  if (known !== undefined) return known;
  const physical = fsPath(path);
  try {
    const real = realpathSync(physical, { encoding: "latin1" });
    cache.set(path, real);
    return real;
  } catch {
    // Not all there (yet: a build may make it): resolved as far as it exists, and not kept.
    return resolveSymlinks(physical.toString("latin1"));
  }
}

/** Throw Nix's error unless `path` may be read. */
export function checkSourcePath(ev: Evaluator, path: string, pos: Pos): void {
  const prefixes = allowed.get(ev);
  if (prefixes === undefined) return;
  const abs = canonPath(path);
  if (corepkgSources.has(abs)) return;
  // Nix 2.8 reports these without a position.
  void pos;
  if (!inAnyDir(abs, prefixes)) throw new RestrictedPathError(`access to absolute path '${abs}' is forbidden ${modeOf(ev)}`, noPos);
  // Then, as Nix, where it really is: a symlink in an allowed tree must not lead out of every one.
  const real = resolvedPath(ev, abs);
  for (const p of prefixes) if (isDirOrInDir(real, resolvedPath(ev, p))) return;
  throw new RestrictedPathError(`access to canonical path '${real}' is forbidden in restricted mode`, noPos);
}

/**
 * A real path (a byte string) with its symlinks resolved as far as it exists, as Nix's
 * canonPath(path, true): a missing rest is kept as it is.
 */
function resolveSymlinks(path: string): string {
  const todo = path.split("/").filter((c) => c !== "");
  let done = "";
  for (let links = 0; todo.length > 0; ) {
    const c = todo.shift()!;
    if (c === ".") continue;
    if (c === "..") {
      done = done.slice(0, done.lastIndexOf("/"));
      continue;
    }
    const next = `${done}/${c}`;
    const target = readLink(next);
    if (target === undefined) {
      done = next;
      continue;
    }
    if (++links > 1024) throw new EvalError(`infinite symlink recursion in path '${path}'`, noPos);
    todo.unshift(...target.split("/").filter((t) => t !== ""));
    if (target.startsWith("/")) done = "";
  }
  return done === "" ? "/" : done;
}

/** A symlink's target, or undefined when `path` is not a symlink (or does not exist). */
function readLink(path: string): string | undefined {
  try {
    return readlinkSync(Buffer.from(path, "latin1"), { encoding: "latin1" });
  } catch {
    return undefined;
  }
}

/** The path a builtin's argument names, when it is a path or an absolute string; undefined otherwise (the builtin reports it). */
function pathOf(ev: Evaluator, arg: Lazy | undefined): string | undefined {
  if (arg === undefined) return undefined;
  const v = ev.force(arg);
  if (v instanceof NixPath) return v.path;
  const s = typeof v === "string" ? v : v instanceof NixString ? v.s : undefined;
  return s !== undefined && s.startsWith("/") ? s : undefined;
}

/** Which argument of each file-reading builtin is the path. */
const pathArgument: Record<string, number> = {
  import: 0,
  scopedImport: 1,
  __readFile: 0,
  __readFileType: 0,
  __readDir: 0,
  __hashFile: 1,
  __filterSource: 1,
};

/** The store path at the start of a builtin's result (builtins.path/filterSource give one). */
function storePathOf(ev: Evaluator, v: unknown): string | undefined {
  const s = typeof v === "string" ? v : v instanceof NixString ? v.s : v instanceof NixPath ? v.path : undefined;
  if (s === undefined || !s.startsWith(`${ev.store.storeDir}/`)) return undefined;
  const end = s.indexOf("/", ev.store.storeDir.length + 1);
  return end < 0 ? s : s.slice(0, end);
}

/** Nix 2.8's fixURI: a bare path is a file:// URL; scp-style git URLs become ssh://. */
function fixUri(uri: string, git: boolean): string {
  const scp = /^([^/]*)@(.*):(.*)$/.exec(uri);
  if (git && !uri.startsWith("/") && scp) return `ssh://${scp[1]}@${scp[2]}/${scp[3]}`;
  return uri.includes("://") ? uri : `file://${uri}`;
}

/** `builtins.fetchTree` / `builtins.fetchGit` (type "git", a name allowed, an all-zero rev for a dirty tree). */
function fetchTreeBuiltin(ev: Evaluator, arg: Lazy, pos: Pos, fixedType: "git" | undefined): Value {
  const v = ev.force(arg);
  let ref: FlakeRefAttrs;
  if (v instanceof NixAttrs) {
    const typeValue = v.get("type");
    if (typeValue !== undefined && fixedType) throw new EvalError("unexpected attribute 'type'", pos);
    if (typeValue === undefined && !fixedType) throw new EvalError("attribute 'type' is missing in call to 'fetchTree'", pos);
    const type = fixedType ?? fromBytes(ev.forceStringNoCtx(typeValue!, pos));
    ref = { type };
    for (const name of v.keys()) {
      if (name === "type") continue;
      const x = ev.force(v.get(name)!);
      const key = fromBytes(name);
      if (x instanceof NixPath || typeof x === "string" || x instanceof NixString) {
        const s = fromBytes(ev.coerceToString(x, new Set(), false, false, pos));
        ref[key] = key === "url" ? fixUri(s, type === "git") : s;
      } else if (typeof x === "boolean") ref[key] = x;
      else if (typeof x === "number" || typeof x === "bigint") {
        if (x < 0) throw new EvalError(`negative value given for '${fixedType === "git" ? "fetchGit" : "fetchTree"}' argument '${name}': ${x}`, pos);
        ref[key] = Number(x);
      }
      else throw new EvalError(`fetchTree argument '${key}' is ${typeof x} while a string, Boolean or integer is expected`, pos);
    }
    if (!fixedType && "name" in ref) throw new EvalError("attribute 'name' isn't supported in call to 'fetchTree'", pos);
  } else {
    const url = fromBytes(ev.coerceToString(v, new Set(), false, false, pos));
    // `file:` without `//` is a URL with a relative path, which Nix refuses for a tarball.
    if (!fixedType && /^file:(?!\/\/)(?!\/)/.test(url) && /\.(zip|tar|tgz|tar\.(gz|xz|bz2|zst))$/.test(url)) {
      throw new EvalError(`tarball '${toBytes(url)}' must use an absolute path. The 'file' scheme does not support relative paths.`).addTrace(
        `while fetching the input '${toBytes(url)}'`,
      );
    }
    ref = fixedType ? { type: "git", url: fixUri(url, true) } : (deferred("flakeRef").parseFlakeRef(fixUri(url, false)) as FlakeRefAttrs);
  }
  const { name: _name, ...input } = ref;
  if (ev.options.pureEval && typeof input.rev !== "string" && typeof input.narHash !== "string") {
    throw new EvalError(`in pure evaluation mode, 'fetchTree' requires a locked input, at ${showPos(pos)}`, noPos);
  }
  checkURI(ev, deferred("flakeRef").flakeRefToString(input as FlakeRefAttrs));
  const tree = deferred("fetchTree").fetchTree(input, {
    store: ev.store,
    baseDir: "/",
    narHashOf: (p) => printHash(narHashPathSync(ev.store.toRealPath(p)).hash, "sri"),
  });
  const out = String(tree.sourceInfo.outPath);
  allowPath(ev, out);
  const m = new Map<string, Lazy>();
  m.set("outPath", new NixString(out, new Set([out])));
  for (const [k, x] of Object.entries(tree.sourceInfo)) {
    if (k === "outPath") continue;
    m.set(k, typeof x === "number" ? mkInt(BigInt(x)) : x);
  }
  if (fixedType && !m.has("rev")) {
    // Nix 2.8 keeps fetchGit's old answer for a dirty tree: an all-zero revision.
    m.set("rev", "0".repeat(40));
    m.set("shortRev", "0".repeat(7));
    m.set("revCount", 0);
  }
  return new NixAttrs(m);
}

/** `builtins.getFlake`: the flake value of a reference (locked, in pure mode), its lock file not written. */
function getFlakeBuiltin(ev: Evaluator, arg: Lazy, pos: Pos): Value {
  const text = fromBytes(ev.forceStringNoCtx(arg, pos, "while evaluating the argument passed to builtins.getFlake"));
  let ref: FlakeRefAttrs;
  try {
    ref = deferred("flakeRef").parseFlakeRef(text) as FlakeRefAttrs;
  } catch (e) {
    throw new EvalError((e as Error).message, pos);
  }
  if (ev.options.pureEval && typeof ref.rev !== "string" && typeof ref.narHash !== "string") {
    throw new EvalError(`cannot call 'getFlake' on unlocked flake reference '${text}', at ${showPos(pos)} (use --impure to override)`, noPos);
  }
  const host = { ev, narHashOf: (p: string) => printHash(narHashPathSync(ev.store.toRealPath(p)).hash, "sri") };
  const { lockFlake, callFlake } = deferred("flake");
  const locked = lockFlake(host, ref, { cwd: "/", noUpdateLock: true, warn: (l) => ev.options.traceSink?.(l) });
  return callFlake(host, locked);
}

export function registerFlakeBuiltins(ev: Evaluator, def: DefineBuiltin): DefineBuiltin {
  const restricted = () => allowed.has(ev);
  def("fetchTree", 1, ([a], pos) => fetchTreeBuiltin(ev, a!, pos, undefined));
  def("__getFlake", 1, ([a], pos) => getFlakeBuiltin(ev, a!, pos));
  // Copies into the store read their source, and what they produce may be read back.
  const copy = ev.copyPathToStore.bind(ev);
  ev.copyPathToStore = (path: string, pos: Pos): string => {
    if (restricted()) checkSourcePath(ev, path, pos);
    const sp = copy(path, pos);
    if (restricted()) allowPath(ev, sp);
    return sp;
  };

  // What the evaluation itself adds to the store may be read back, as Nix's allowAndSetStorePathString.
  const allowResult = (result: Value): Value => {
    const sp = restricted() ? storePathOf(ev, result) : undefined;
    if (sp !== undefined) allowPath(ev, sp);
    return result;
  };

  return (name, arity, fn, strict, fn2) => {
    if (ev.options.pureEval && (name === "__currentSystem" || name === "__currentTime")) return;
    if (name === "__toFile" || name === "__fetchurl" || name === "fetchTarball") {
      def(name, arity, (args, pos) => allowResult(fn(args, pos)));
      return;
    }
    // Local repositories can be fetched here: this replaces the "not supported" definition.
    if (name === "fetchGit") {
      def(name, arity, ([a], pos) => fetchTreeBuiltin(ev, a!, pos, "git"));
      return;
    }
    if (name === "__pathExists") {
      def(name, arity, (args, pos) => {
        const p = restricted() ? pathOf(ev, args[0]) : undefined;
        if (p !== undefined) {
          // As Nix: a path that may not be read does not exist.
          try {
            checkSourcePath(ev, p, pos);
          } catch (e) {
            if (e instanceof RestrictedPathError) return false;
            throw e;
          }
        }
        return fn(args, pos);
      });
      return;
    }
    if (name === "__path") {
      def(name, arity, (args, pos) => {
        if (restricted()) {
          const attrs = ev.force(args[0]!);
          const p = attrs instanceof NixAttrs ? pathOf(ev, attrs.get(toBytes("path"))) : undefined;
          if (p !== undefined) checkSourcePath(ev, p, pos);
        }
        return allowResult(fn(args, pos));
      });
      return;
    }
    const index = pathArgument[name];
    if (index === undefined) {
      // Unchanged: keeps `strict` and `fn2` (the fast paths of arithmetic and comparisons).
      def(name, arity, fn, strict, fn2);
      return;
    }
    def(name, arity, (args, pos) => {
      if (restricted()) {
        const p = pathOf(ev, args[index]);
        if (p !== undefined) checkSourcePath(ev, p, pos);
      }
      const result = fn(args, pos);
      return name === "__filterSource" ? allowResult(result) : result;
    });
  };
}
