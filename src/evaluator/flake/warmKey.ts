/**
 * What the warm path's key is made of, computed from cheap facts only (git
 * status / lstat of the flake's tree, the text of flake.lock, an lstat walk of
 * absolute `path:` inputs); everything else a locked flake depends on is
 * immutable (store paths, pinned git revisions, tarballs by narHash).
 *
 * Kept apart from warmPath.ts, and free of node:crypto and the flake-ref
 * parser, because a no-op `nixoci build` loads it before anything else and
 * every module it pulls in costs start-up time (see src/cli/noopBuild.ts).
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import { NIXOCI_VERSION } from "../../version.js";
import { buildAttrCandidates, parseInstallable } from "./installable.js";
import { gitTreeState } from "./gitStateCache.js";
import { fileStats, statWalk } from "./localTree.js";
import type { FlakeRefAttrs } from "./lockFile.js";

export const WARM_VERSION = "warm-v1";

/** The request fields the warm key depends on (a subset of EvalRequest). */
export interface WarmRequest {
  installable: string;
  cwd: string;
  system: string;
  noEvalCache?: boolean;
  impure?: boolean;
  updateInputs?: string[];
  overrideInputs?: Record<string, string>;
}

export interface WarmKeyParts {
  /** Everything the answer depends on, in order; equal parts mean an equal answer. */
  parts: string[];
  /** What fetching would have said (the dirty-tree warning). */
  messages: string[];
}

/** `$XDG_CACHE_HOME/nixoci` (else `~/.cache/nixoci`): where the evaluation, fetch, warm and build caches live. */
export function nixociCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "nixoci");
}

/**
 * The warm key's parts for a request, or undefined when the request cannot be
 * answered warm (not a local flake, inputs to update or override, a mutable
 * input). `realStoreDir` names the store (results are per store). `parseRef`
 * parses non-path flake references; callers that only want local flakes can
 * pass one that throws.
 */
export function warmKeyParts(req: WarmRequest, realStoreDir: string, parseRef: (s: string, cwd: string) => FlakeRefAttrs): WarmKeyParts | undefined {
  // Impure results depend on the environment and outside files: never cached (as Nix's eval cache).
  if (req.noEvalCache || req.impure || req.updateInputs?.length || Object.keys(req.overrideInputs ?? {}).length) return undefined;
  try {
    const inst = parseInstallable(req.installable, req.cwd, (s) => parseRef(s, req.cwd));
    const ref = inst.ref;
    const dir = typeof ref.dir === "string" ? ref.dir : "";
    const messages: string[] = [];
    let root: string[];
    let localDir: string;
    if (ref.type === "git" && String(ref.url).startsWith("file://") && ref.rev === undefined && ref.ref === undefined) {
      const repo = decodeURIComponent(new URL(String(ref.url)).pathname);
      const { status: st, tracked } = gitTreeState(repo, nixociCacheDir());
      const dirty = st.head === undefined || st.changes.length > 0;
      if (dirty) messages.push(`warning: Git tree '${repo}' is dirty`);
      root = dirty ? ["git-dirty", repo, st.head ?? "", ...st.changes, ...fileStats(repo, tracked)] : ["git-clean", repo, st.head!, st.branch ?? ""];
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
    const parts = [
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
    ];
    return { parts, messages };
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
