/**
 * Loading a flake: fetch its source, read `flake.nix`, lock its inputs
 * (writing flake.lock as Nix does), and call `outputs` through callFlake.
 * Synchronous, like the evaluator; the CLI runs it on a big-stack worker.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { execFileSync } from "node:child_process";
import { NixociError } from "../../errors.js";
import type { Pos } from "../ast.js";
import { valueToJson } from "../builtins/conv.js";
import { allowPath } from "../builtins/flakeBuiltins.js";
import type { Evaluator } from "../evaluator.js";
import { NixAttrs, type Value, fromBytes, toBytes } from "../values.js";
import { parseFlakeRef } from "../lib/flakeRef.js";
import { fsPath } from "../fsBytes.js";
import { callFlakeExpr } from "./callFlake.js";
import type { FetchCache } from "./fetchCache.js";
import { type FetchContext, type FetchedTree, fetchTree } from "./fetchTree.js";
import { type Registry, registries, resolveIndirect } from "./registry.js";
import { computeLocks, type FlakeMeta, type LockEnv, parseInputs, type ResolvedGraph } from "./lock.js";
import { diffLockFiles } from "./lockDiff.js";
import { flakeRefToString28, withDirInGitUrl } from "./refString.js";
import { showPos } from "../parseErrors.js";
import { emptyLockFile, type FlakeRefAttrs, type LockFile, parseLockFile, serializeLockFile } from "./lockFile.js";

export class FlakeError extends NixociError {}

const noPos: Pos = { file: "«flake»", line: 0, column: 0 };
const allowedTopLevel = new Set(["description", "inputs", "outputs", "nixConfig"]);

export interface FlakeHost {
  ev: Evaluator;
  /** SRI sha256 NAR hash of a valid store path. */
  narHashOf(storePath: string): string;
  /** Fetched local trees, so an unchanged tree is not copied and hashed again. */
  fetchCache?: FetchCache;
  /** Warnings while fetching ("Git tree '…' is dirty"), each line once. */
  warn?: (line: string) => void;
  /** Flake registries (default: user, system, built-in). */
  registries?: readonly Registry[];
}

export interface LockedFlake {
  /** The reference as resolved through the registry (what was fetched). */
  ref: FlakeRefAttrs;
  /** The reference as given (possibly indirect). */
  originalRef: FlakeRefAttrs;
  /** The fetched root's locked reference (with rev/narHash/lastModified). */
  lockedRef: FlakeRefAttrs;
  description?: string;
  graph: ResolvedGraph;
  /** flake.lock as it is (or would be) written. */
  lockText: string;
  /** Whether flake.lock was created or changed. */
  lockChanged: boolean;
  /** The root's sourceInfo (outPath, narHash, lastModified, …). */
  sourceInfo: FetchedTree["sourceInfo"];
  /** The flake's directory inside its source (a logical store path). */
  flakeDir: string;
}

export interface LockOptions {
  cwd: string;
  updateInputs?: readonly string[];
  /** `--override-input`: input path ("a/b") → reference. */
  overrideInputs?: Readonly<Record<string, FlakeRefAttrs>>;
  /** Ignore the existing flake.lock entirely (`nix flake update`); it is still the base of the diff. */
  recreateLockFile?: boolean;
  /** Fail instead of changing the lock (`--no-update-lock-file`; builtins.getFlake). */
  noUpdateLock?: boolean;
  /** Do not write flake.lock even for a local flake (`--no-write-lock-file`). */
  noWriteLock?: boolean;
  /** Lines like "warning: creating lock file …" go here. */
  warn?: (line: string) => void;
}

export function parseRefOrThrow(s: string, baseDir?: string): FlakeRefAttrs {
  try {
    return parseFlakeRef(s, baseDir) as FlakeRefAttrs;
  } catch (e) {
    throw new FlakeError(`invalid flake reference '${s}': ${(e as Error).message}`, { cause: e });
  }
}

function fetchCtx(host: FlakeHost, baseDir: string): FetchContext {
  return { store: host.ev.store, baseDir, narHashOf: (p) => host.narHashOf(p), fetchCache: host.fetchCache, warn: host.warn, registries: host.registries };
}

/** Evaluate `flake.nix` in `dir` and check its shape as Nix does. */
export function readFlakeMeta(host: FlakeHost, dir: string, where: string): FlakeMeta & { outputs: Value } {
  const ev = host.ev;
  const file = join(dir, "flake.nix");
  if (!existsSync(fsPath(toBytes(file)))) throw new FlakeError(`source tree referenced by '${where}' does not contain a 'flake.nix' file`);
  const top = ev.forceAttrs(ev.evalFile(toBytes(file)), noPos, `while evaluating the top-level attribute set of '${file}'`);
  for (const name of top.keys()) {
    if (!allowedTopLevel.has(name)) {
      const pos = top.posOf(name);
      throw new FlakeError(`flake '${where}' has an unsupported attribute '${fromBytes(name)}', at ${pos && pos.line > 0 ? showPos(pos) : file}`);
    }
  }
  const outputs = top.get("outputs");
  if (outputs === undefined) throw new FlakeError(`flake '${where}' lacks attribute 'outputs'`);
  const descr = top.get("description");
  const description = descr === undefined ? undefined : fromBytes(ev.forceStringNoCtx(descr, noPos, "while evaluating the flake description"));
  const rawInputs = top.get("inputs");
  const inputsJson = rawInputs === undefined ? undefined : JSON.parse(fromBytes(valueToJson(ev, rawInputs, new Set(), false, noPos)));
  const env = lockEnv(host);
  return { description, inputs: parseInputs(inputsJson, env, `flake '${where}'`), outputs: ev.force(outputs) };
}

function lockEnv(host: FlakeHost): LockEnv {
  return {
    // Nix 2.8 keeps a git input's `dir` inside its URL too (flake.lock's original/locked show it).
    parseRef: (url) => withDirInGitUrl(url.startsWith("./") || url.startsWith("../") || url === "." ? { path: url, type: "path" } : parseRefOrThrow(url)),
    fetch: (ref, parentDir) => fetchTree(ref, fetchCtx(host, parentDir)),
    readFlake: (dir, _path, locked) => readFlakeMeta(host, dir, flakeRefToString28(locked)),
    realPath: (p) => host.ev.store.toRealPath(p),
  };
}

/** Fetch the flake at `ref` and lock its inputs. Writes flake.lock beside a local flake when it changed. */
export function lockFlake(host: FlakeHost, originalRef: FlakeRefAttrs, opts: LockOptions): LockedFlake {
  const ref = originalRef.type === "indirect" ? resolveIndirect(originalRef, host.registries ?? registries()) : originalRef;
  const root = fetchTree(ref, fetchCtx(host, opts.cwd));
  const dir = typeof ref.dir === "string" ? ref.dir : "";
  const flakeDir = String(root.sourceInfo.outPath) + (dir ? `/${dir}` : "");
  const where = flakeRefToString28(ref);
  // Nix names the flake by its locked reference in these messages.
  const meta = readFlakeMeta(host, flakeDir, flakeRefToString28(dir ? { ...root.locked, dir } : root.locked));

  const lockPath = host.ev.store.toRealPath(join(flakeDir, "flake.lock"));
  const oldText = existsSync(lockPath) ? readFileSync(lockPath, "utf8") : undefined;
  const oldLock: LockFile | undefined = oldText === undefined ? undefined : parseLockFile(oldText, lockPath);
  const graph = computeLocks(
    meta,
    { sourceInfo: root.sourceInfo, ...(dir ? { dir } : {}) },
    flakeDir,
    opts.recreateLockFile ? undefined : oldLock,
    opts.updateInputs ?? [],
    lockEnv(host),
    opts.overrideInputs ?? {},
    (l) => opts.warn?.(l),
  );
  const lockText = serializeLockFile(graph.lock);
  // Nix compares lock files as JSON values, not as text; no lock file is an empty one (a flake without inputs gets none).
  const lockChanged = serializeLockFile(oldLock ?? emptyLockFile()) !== lockText;
  const diff = diffLockFiles(oldLock ?? emptyLockFile(), graph.lock);

  const local = localDirOf(ref, opts.cwd);
  let sourceInfo = root.sourceInfo;
  let lockedRef = root.locked;
  if (lockChanged && opts.noUpdateLock) {
    throw new FlakeError(`flake '${where}' requires lock file changes but they're not allowed due to '--no-update-lock-file'`);
  }
  if (lockChanged) {
    if (opts.noWriteLock) {
      opts.warn?.(`warning: not writing modified lock file of flake '${where}':\n${diff}`);
    } else if (local === undefined) {
      throw new FlakeError(`cannot write modified lock file of flake '${where}' (use '--no-write-lock-file' to ignore)`);
    } else {
      const target = join(local, "flake.lock");
      if (oldText === undefined) opts.warn?.(`warning: creating lock file '${target}'`);
      else opts.warn?.(`warning: updating lock file '${target}'${diff ? `:\n${diff}` : ""}`);
      const tmp = `${target}.tmp-${process.pid}`;
      writeFileSync(tmp, lockText);
      renameSync(tmp, target);
      // Nix makes a new lock file visible to git so the next evaluation sees it.
      if (ref.type === "git") tryRun("git", ["-C", local, "add", "--intent-to-add", "--force", "flake.lock"]);
      // The source now holds the new lock file: `self` must see it, as in Nix.
      const refetched = fetchTree(ref, fetchCtx(host, opts.cwd));
      sourceInfo = refetched.sourceInfo;
      lockedRef = refetched.locked;
      graph.nodes[graph.lock.root] = { ...graph.nodes[graph.lock.root], sourceInfo };
    }
  }
  // Pure evaluation may read the sources of the flake and its inputs, nothing else.
  for (const node of Object.values(graph.nodes)) if (node.sourceInfo) allowPath(host.ev, String(node.sourceInfo.outPath));
  allowPath(host.ev, String(sourceInfo.outPath));
  return {
    ref,
    originalRef,
    lockedRef,
    description: meta.description,
    graph,
    lockText,
    lockChanged,
    sourceInfo,
    flakeDir: String(sourceInfo.outPath) + (dir ? `/${dir}` : ""),
  };
}

/** The flake value: outputs // sourceInfo // { inputs; outputs; sourceInfo; }. */
export function callFlake(host: FlakeHost, locked: LockedFlake): NixAttrs {
  const ev = host.ev;
  const fn = ev.evalExprText(callFlakeExpr, "«callFlake»", "/");
  const graph = { root: locked.graph.lock.root, nodes: locked.graph.nodes };
  const result = ev.call(fn, [toBytes(JSON.stringify(graph))]);
  return ev.forceAttrs(result, noPos, "while calling the flake's outputs");
}

/** Select `path` in `v`; undefined when an attribute on the way is missing. */
export function selectPath(ev: Evaluator, v: Value, path: readonly string[]): Value | undefined {
  let cur = v;
  for (const name of path) {
    const attrs = ev.force(cur);
    if (!(attrs instanceof NixAttrs)) return undefined;
    const next = attrs.get(toBytes(name));
    if (next === undefined) return undefined;
    cur = ev.force(next);
  }
  return cur;
}

export function describeRef(ref: FlakeRefAttrs): string {
  switch (ref.type) {
    case "path":
      return `path:${String(ref.path)}`;
    case "git":
      return `git+${String(ref.url)}${typeof ref.dir === "string" ? `?dir=${ref.dir}` : ""}`;
    default:
      return String(ref.url ?? ref.type);
  }
}

/** The directory on this machine where a local flake's flake.lock lives. */
function localDirOf(ref: FlakeRefAttrs, cwd: string): string | undefined {
  // The path is usually absolute already (the parser resolves it): join would repeat cwd.
  if (ref.type === "path") {
    const top = resolve(cwd, String(ref.path));
    return typeof ref.dir === "string" ? join(top, ref.dir) : top;
  }
  if (ref.type === "git" && String(ref.url).startsWith("file://")) {
    const top = decodeURIComponent(new URL(String(ref.url)).pathname);
    return typeof ref.dir === "string" ? join(top, ref.dir) : top;
  }
  return undefined;
}

function tryRun(cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: "ignore" });
  } catch {
    // Best effort: a lock file git cannot see is still written.
  }
}
