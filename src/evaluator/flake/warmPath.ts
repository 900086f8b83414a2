/**
 * The warm path: answering an unchanged local flake without loading the
 * evaluator, locking, or copying anything into the store.
 *
 * The key is computed from cheap facts only (git status / lstat of the
 * flake's tree, the text of flake.lock, an lstat walk of absolute `path:`
 * inputs); everything else a locked flake depends on is immutable (store
 * paths, pinned git revisions, tarballs by narHash). A full evaluation
 * records its PackageInfo under the key it saw before and after evaluating,
 * and only when the lock file was already complete, so a hit is exactly what
 * evaluating again would give. A hit also needs the .drv to still be in the store.
 */
import { NIXOCI_VERSION } from "../../version.js";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { defaultStoreRoot, LOGICAL_STORE_DIR, storeLocationAt } from "../../store/location.js";
import { parseFlakeRef } from "../lib/flakeRef.js";
import { defaultEvalCachePath } from "./evalCache.js";
import type { EvalRequest, EvalResponse, PackageInfo } from "./evalInstallable.js";
import { fetchCacheKey } from "./fetchCache.js";
import { buildAttrCandidates, parseInstallable } from "./installable.js";
import { fileStats, gitTrackedFiles, gitWorkingTreeStatus, statWalk } from "./localTree.js";
import type { FlakeRefAttrs } from "./lockFile.js";

const WARM_VERSION = "warm-v1";

export interface WarmKey {
  key: string;
  /** What fetching would have said (the dirty-tree warning). */
  messages: string[];
}

/**
 * The warm key of a request, or undefined when the request cannot be answered
 * warm (not a local flake, inputs to update or override, a mutable input).
 * `realStoreDir` names the store (results are per store).
 */
export function warmKey(req: EvalRequest, realStoreDir: string): WarmKey | undefined {
  // Impure results depend on the environment and outside files: never cached (as Nix's eval cache).
  if (req.noEvalCache || req.impure || req.updateInputs?.length || Object.keys(req.overrideInputs ?? {}).length) return undefined;
  try {
    const inst = parseInstallable(req.installable, req.cwd, (s) => parseFlakeRef(s, req.cwd) as FlakeRefAttrs);
    const ref = inst.ref;
    const dir = typeof ref.dir === "string" ? ref.dir : "";
    const messages: string[] = [];
    let root: string[];
    let localDir: string;
    if (ref.type === "git" && String(ref.url).startsWith("file://") && ref.rev === undefined && ref.ref === undefined) {
      const repo = decodeURIComponent(new URL(String(ref.url)).pathname);
      const st = gitWorkingTreeStatus(repo);
      const dirty = st.head === undefined || st.changes.length > 0;
      if (dirty) messages.push(`warning: Git tree '${repo}' is dirty`);
      root = dirty ? ["git-dirty", repo, st.head ?? "", ...st.changes, ...fileStats(repo, gitTrackedFiles(repo))] : ["git-clean", repo, st.head!, st.branch ?? ""];
      localDir = join(repo, dir);
    } else if (ref.type === "path" && isAbsolute(String(ref.path))) {
      root = ["path", ...statWalk(String(ref.path)).entries];
      localDir = join(String(ref.path), dir);
    } else return undefined;

    const lockFile = join(localDir, "flake.lock");
    const lockText = existsSync(lockFile) ? readFileSync(lockFile, "utf8") : "";
    const inputs = lockText ? inputParts(lockText) : [];
    if (inputs === undefined) return undefined;
    const candidates = buildAttrCandidates(inst, req.system);
    const key = fetchCacheKey([
      WARM_VERSION,
      NIXOCI_VERSION,
      realStoreDir,
      req.system,
      req.impure ? "impure" : "pure",
      JSON.stringify(ref),
      JSON.stringify(candidates),
      ...root,
      lockText,
      ...inputs,
    ]);
    return { key, messages };
  } catch {
    // Anything unusual: take the full path, which reports errors properly.
    return undefined;
  }
}

/** Stat lines of absolute path inputs; undefined when an input can change under the same lock entry. */
function inputParts(lockText: string): string[] | undefined {
  const lock = JSON.parse(lockText) as { nodes?: Record<string, { locked?: FlakeRefAttrs }> };
  const parts: string[] = [];
  for (const [name, node] of Object.entries(lock.nodes ?? {})) {
    const locked = node.locked;
    if (!locked) continue;
    if (locked.type === "path") {
      // Relative paths live inside their parent's source, which the key already covers.
      if (isAbsolute(String(locked.path))) parts.push(`input:${name}`, ...statWalk(String(locked.path)).entries);
    } else if (locked.type === "git") {
      if (typeof locked.rev !== "string") return undefined;
    } else if (typeof locked.narHash !== "string") return undefined;
  }
  return parts;
}

/** Where warm answers live: one small JSON file per key, next to the evaluation cache. */
export function warmDir(evalCachePath: string | undefined): string {
  return join(dirname(evalCachePath ?? defaultEvalCachePath()), WARM_VERSION);
}

/** Remember `info` as the answer for `key` (atomically: a reader sees the old file or the new one). */
export function recordWarm(evalCachePath: string | undefined, key: string, info: PackageInfo): void {
  const dir = warmDir(evalCachePath);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${key}.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify(info));
  renameSync(tmp, join(dir, `${key}.json`));
}

/**
 * The PackageInfo recorded for this request, if its .drv is still in the store at `storeRoot`.
 * No SQLite here (loading it costs more than the rest of the warm path): the entry is a
 * file, and the .drv is checked on disk; the store writes objects before registering
 * them and removes unregistered ones when it opens, so a present .drv is a valid one.
 */
export function lookupWarm(req: EvalRequest, storeRoot: string | undefined): EvalResponse | undefined {
  const realStoreDir = storeLocationAt(defaultStoreRoot(storeRoot)).realStoreDir;
  const wk = warmKey(req, realStoreDir);
  if (!wk) return undefined;
  let info: PackageInfo;
  try {
    info = JSON.parse(readFileSync(join(warmDir(req.evalCachePath), `${wk.key}.json`), "utf8")) as PackageInfo;
  } catch {
    return undefined;
  }
  if (!info.drvPath.startsWith(`${LOGICAL_STORE_DIR}/`) || !existsSync(realStoreDir + info.drvPath.slice(LOGICAL_STORE_DIR.length))) return undefined;
  return { info, messages: wk.messages, cached: true };
}
