/**
 * Fetchers for flake inputs and `builtins.fetchTree`: path, local git, tarball
 * and forge (github/gitlab/sourcehut, fetchGitArchive.ts) sources, copied into
 * the store under the name "source" as Nix does.
 *
 * Synchronous, like the evaluator that calls them. Git is driven through the
 * git CLI; tarballs are unpacked with GNU tar (which detects gzip/xz/bzip2/zstd).
 * Only node:child_process here (no execa): builtins.fetchTree loads this module
 * with every evaluator, and start-up time matters.
 */
import { lstatSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { execFileSync } from "node:child_process";
import { makeFixedOutputPath, parseHashAnyPrefixed } from "../../store/format/index.js";
import { NixociError } from "../../errors.js";
import type { EvalStore } from "../storeApi.js";
import { type FetchCache, fetchCacheKey } from "./fetchCache.js";
import { flakeRefToString28 } from "./refString.js";
import { type Registry, registries, resolveIndirect } from "./registry.js";
import { fileStats, type GitWorkingTreeStatus, gitTrackedFiles, gitWorkingTreeStatus, statWalk } from "./localTree.js";
import type { FlakeRefAttrs } from "./lockFile.js";
import { downloadSync, unpackTarball } from "./download.js";
import { type ForgeFetchHost, isForgeType, lockedGitArchive, resolveGitArchive, unpackGitArchive } from "./fetchGitArchive.js";

export class FetchError extends NixociError {
  constructor(
    message: string,
    readonly input: FlakeRefAttrs,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** What a fetched tree gives a flake: its `sourceInfo` attributes and its locked reference. */
export interface FetchedTree {
  /** `outPath`, `narHash`, `lastModified`, `lastModifiedDate`, and for git `rev`, `shortRev`, `revCount`, `submodules`, or `dirtyRev`/`dirtyShortRev`. */
  sourceInfo: Record<string, string | number | boolean>;
  /** The reference as written to flake.lock's `locked`. */
  locked: FlakeRefAttrs;
}

export interface FetchContext {
  store: EvalStore;
  /** Directory that relative `path:` references are resolved against. */
  baseDir: string;
  /** Computes the SRI sha256 NAR hash of a store path (the store knows it). */
  narHashOf(storePath: string): string;
  /** Remembers fetched local trees so an unchanged tree is not hashed again. */
  fetchCache?: FetchCache;
  /** Lines like "warning: Git tree '…' is dirty" go here. */
  warn?: (line: string) => void;
  /** Flake registries for indirect references (default: the user's, the system's, the built-in one). */
  registries?: readonly Registry[];
}

/**
 * Look `key` up in the fetch cache, else fetch and remember. A hit counts only
 * while its store path is still valid; the lock's narHash is checked either way.
 */
function cached(ctx: FetchContext, ref: FlakeRefAttrs, keyParts: () => string[], fetch: () => FetchedTree): FetchedTree {
  const cache = ctx.fetchCache;
  if (!cache) return fetch();
  const store = ctx.store;
  const { narHash: _, ...refWithoutHash } = ref;
  const key = fetchCacheKey([store.storeDir, store.toRealPath(`${store.storeDir}/`), JSON.stringify(refWithoutHash), ...keyParts()]);
  const hit = cache.get(key);
  if (hit && store.isValidPath(String(hit.sourceInfo.outPath))) {
    checkNarHash(ref, String(hit.sourceInfo.narHash), ctx, String(hit.sourceInfo.outPath));
    return hit;
  }
  const tree = fetch();
  cache.put(key, tree);
  return tree;
}

export function fetchTree(ref: FlakeRefAttrs, ctx: FetchContext): FetchedTree {
  const present = alreadyInStore(ref, ctx);
  if (present) return present;
  switch (ref.type) {
    case "path":
      return fetchPath(ref, ctx);
    case "git":
      return fetchGit(ref, ctx);
    case "tarball":
    case "file":
      return fetchTarball(ref, ctx);
    case "github":
    case "gitlab":
    case "sourcehut":
      return fetchForge(ref, ctx);
    case "indirect":
      return fetchTree(resolveIndirect(ref, ctx.registries ?? registries()), ctx);
    default:
      throw new FetchError(`cannot fetch '${flakeRefToString28(ref)}': input type '${String(ref.type)}' cannot be fetched without network access`, ref);
  }
}

/**
 * As Nix's Input::fetch: a reference that carries everything (narHash, and for
 * git its lastModified, plus revCount when it names a branch) determines its
 * store path; when that path is already valid it is used as is, without
 * looking at the source again. So a locked input is never re-read once fetched
 * into this store, even if its source changed since (a fresh store notices).
 */
function alreadyInStore(ref: FlakeRefAttrs, ctx: FetchContext): FetchedTree | undefined {
  if (typeof ref.narHash !== "string") return undefined;
  const hasAllInfo =
    ref.type === "path" ||
    ref.type === "tarball" ||
    ref.type === "file" ||
    (isForgeType(ref.type) && typeof ref.rev === "string" && typeof ref.lastModified === "number") ||
    (ref.type === "git" && typeof ref.lastModified === "number" && (typeof ref.ref !== "string" || typeof ref.revCount === "number"));
  if (!hasAllInfo) return undefined;
  let storePath: string;
  try {
    storePath = makeFixedOutputPath("recursive", parseHashAnyPrefixed(ref.narHash), "source", {}, ctx.store.storeDir);
  } catch {
    return undefined;
  }
  if (!ctx.store.isValidPath(storePath)) return undefined;
  const { dir: _, ...locked } = ref;
  const sourceInfo: FetchedTree["sourceInfo"] = { outPath: storePath, narHash: ref.narHash };
  if (typeof ref.lastModified === "number") Object.assign(sourceInfo, { lastModified: ref.lastModified, lastModifiedDate: formatDate(ref.lastModified) });
  if (isForgeType(ref.type)) Object.assign(sourceInfo, { rev: ref.rev, shortRev: String(ref.rev).slice(0, 7) });
  if (ref.type === "git") {
    sourceInfo.submodules = ref.submodules === true;
    if (typeof ref.rev === "string") Object.assign(sourceInfo, { rev: ref.rev, shortRev: ref.rev.slice(0, 7) });
    if (typeof ref.revCount === "number") sourceInfo.revCount = ref.revCount;
    if (typeof ref.dir === "string") locked.dir = ref.dir;
  }
  return { sourceInfo, locked };
}

function fetchPath(ref: FlakeRefAttrs, ctx: FetchContext): FetchedTree {
  const given = String(ref.path);
  const abs = isAbsolute(given) ? given : resolve(ctx.baseDir, given);
  const real = abs.startsWith(`${ctx.store.storeDir}/`) ? ctx.store.toRealPath(abs) : abs;
  try {
    lstatSync(real);
  } catch (e) {
    // Nix 2.8's words (an lstat failing).
    throw new FetchError(`getting status of '${abs}': No such file or directory`, ref, { cause: e });
  }
  const walk = statWalk(real);
  return cached(ctx, ref, () => ["path", real, ...walk.entries], () => {
    const storePath = ctx.store.addPathToStore(real, { name: "source", method: "recursive" });
    const narHash = ctx.narHashOf(storePath);
    checkNarHash(ref, narHash, ctx, storePath);
    const lastModified = walk.maxMtime;
    return {
      sourceInfo: { outPath: storePath, narHash, lastModified, lastModifiedDate: formatDate(lastModified) },
      locked: { lastModified, narHash, path: given, type: "path" },
    };
  });
}

function fetchGit(ref: FlakeRefAttrs, ctx: FetchContext): FetchedTree {
  const url = String(ref.url);
  if (!url.startsWith("file://") && !url.startsWith("/")) {
    throw new FetchError(`git input '${url}' is remote; only local repositories can be fetched here`, ref);
  }
  const repo = url.startsWith("file://") ? decodeURIComponent(new URL(url).pathname) : url;
  const git = (...args: string[]) => run("git", ["-C", repo, ...args]).replace(/\n$/, "");
  let status: GitWorkingTreeStatus;
  try {
    status = gitWorkingTreeStatus(repo);
  } catch (e) {
    throw new FetchError(`'${repo}' is not a git repository: ${String((e as { stderr?: string }).stderr ?? "").trim()}`, ref, { cause: e });
  }
  const { head, branch: currentBranch, changes } = status;

  const wantRev = typeof ref.rev === "string" ? ref.rev : undefined;
  const branch = typeof ref.ref === "string" ? ref.ref : currentBranch;
  if (wantRev !== undefined || (typeof ref.ref === "string" && ref.ref !== currentBranch)) {
    // A pinned revision: exactly that commit's tree, which can never change.
    const rev = wantRev ?? git("rev-parse", `${String(ref.ref)}^{commit}`);
    return cached(ctx, ref, () => ["git-rev", repo, rev], () => gitResult(ref, ctx, git, exportCommit(repo, rev, ctx), rev, rev, branch));
  }
  // The working tree as Nix sees it: tracked files only, with their current contents.
  const dirty = head === undefined || changes.length > 0;
  if (dirty) ctx.warn?.(`warning: Git tree '${repo}' is dirty`);
  const tracked = dirty || !ctx.fetchCache ? gitTrackedFiles(repo) : undefined;
  const keyParts = () => (dirty ? ["git-dirty", repo, head ?? "", ...changes, ...fileStats(repo, tracked!)] : ["git-clean", repo, head!, branch ?? ""]);
  return cached(ctx, ref, keyParts, () => {
    const files = new Set(tracked ?? gitTrackedFiles(repo));
    const dirs = new Set<string>();
    for (const f of files) for (let i = f.indexOf("/"); i >= 0; i = f.indexOf("/", i + 1)) dirs.add(f.slice(0, i));
    const storePath = ctx.store.addPathToStore(repo, {
      name: "source",
      method: "recursive",
      filter: (p) => {
        const rel = relative(repo, p).split(sep).join("/");
        return files.has(rel) || dirs.has(rel);
      },
    });
    return gitResult(ref, ctx, git, storePath, dirty ? undefined : head, head, branch);
  });
}

/** sourceInfo and locked attributes of a fetched git tree (`rev` undefined for a dirty one). */
function gitResult(
  ref: FlakeRefAttrs,
  ctx: FetchContext,
  git: (...args: string[]) => string,
  storePath: string,
  rev: string | undefined,
  head: string | undefined,
  branch: string | undefined,
): FetchedTree {
  const url = String(ref.url);
  const narHash = ctx.narHashOf(storePath);
  checkNarHash(ref, narHash, ctx, storePath);
  const lastModified = head ? Number(git("log", "-1", "--format=%ct", head)) : 0;
  const sourceInfo: FetchedTree["sourceInfo"] = {
    outPath: storePath,
    narHash,
    lastModified,
    lastModifiedDate: formatDate(lastModified),
    submodules: false,
  };
  const locked: FlakeRefAttrs = { lastModified, narHash, type: "git", url };
  if (rev) {
    const revCount = Number(git("rev-list", "--count", rev));
    Object.assign(sourceInfo, { rev, shortRev: rev.slice(0, 7), revCount });
    Object.assign(locked, { rev, revCount });
    if (branch) locked.ref = branch;
  }
  // (Nix 2.8 shows nothing of the commit a dirty tree is based on; later versions add dirtyRev.)
  if (typeof ref.dir === "string") locked.dir = ref.dir;
  return { sourceInfo, locked };
}

function exportCommit(repo: string, rev: string, ctx: FetchContext): string {
  const tmp = mkdtempSync(join(tmpdir(), "nixoci-git-"));
  try {
    const tar = join(tmp, "tree.tar");
    run("git", ["-C", repo, "archive", "--format=tar", "-o", tar, rev]);
    const out = join(tmp, "source");
    mkdirSync(out, { recursive: true });
    run("tar", ["-xf", tar, "-C", out]);
    return ctx.store.addPathToStore(out, { name: "source", method: "recursive" });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** github:, gitlab:, sourcehut: a commit's tarball from the forge (fetchGitArchive.ts). */
function fetchForge(ref: FlakeRefAttrs, ctx: FetchContext): FetchedTree {
  const host: ForgeFetchHost = {
    fail: (message, cause) => {
      throw new FetchError(message, ref, { cause });
    },
    addTree: (dir) => {
      const storePath = ctx.store.addPathToStore(dir, { name: "source", method: "recursive" });
      const narHash = ctx.narHashOf(storePath);
      checkNarHash(ref, narHash, ctx, storePath);
      return { storePath, narHash };
    },
    warn: (line) => ctx.warn?.(line),
  };
  const { rev, url, headers } = resolveGitArchive(ref, host);
  return cached(ctx, ref, () => ["git-archive", url], () => {
    const tree = unpackGitArchive(url, headers, host);
    return {
      sourceInfo: { outPath: tree.storePath, narHash: tree.narHash, rev, shortRev: rev.slice(0, 7), lastModified: tree.lastModified, lastModifiedDate: formatDate(tree.lastModified) },
      locked: lockedGitArchive(ref, rev, tree),
    };
  });
}

function fetchTarball(ref: FlakeRefAttrs, ctx: FetchContext): FetchedTree {
  const url = String(ref.url);
  const tmp = mkdtempSync(join(tmpdir(), "nixoci-tarball-"));
  try {
    const file = join(tmp, "download");
    download(url, file, ref);
    const out = join(tmp, "unpacked");
    let top: string[];
    try {
      top = unpackTarball(file, out, url);
    } catch (e) {
      throw new FetchError((e as Error).message, ref, { cause: e });
    }
    // A tarball with a single top-level directory is that directory, as in Nix.
    const root = top.length === 1 && lstatSync(join(out, top[0]!)).isDirectory() ? join(out, top[0]!) : out;
    const storePath = ctx.store.addPathToStore(root, { name: "source", method: "recursive" });
    const narHash = ctx.narHashOf(storePath);
    checkNarHash(ref, narHash, ctx, storePath);
    return {
      // Nix 2.8 neither locks a tarball's lastModified nor shows one in its sourceInfo.
      sourceInfo: { outPath: storePath, narHash },
      // Nix 2.8 locks a tarball by URL and narHash only.
      locked: { narHash, type: "tarball", url },
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function download(url: string, dest: string, ref: FlakeRefAttrs): void {
  try {
    downloadSync(url, dest);
  } catch (e) {
    throw new FetchError((e as Error).message, ref, { cause: e });
  }
}

/** Run a program, return its stdout; on failure the error carries `stderr` (as execa's did). */
function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 30 });
}

function checkNarHash(ref: FlakeRefAttrs, got: string, ctx: FetchContext, storePath: string): void {
  if (typeof ref.narHash === "string" && ref.narHash !== got) {
    const { dir: _, ...input } = ref;
    throw new FetchError(
      `NAR hash mismatch in input '${flakeRefToString28(input)}' (${ctx.store.toRealPath(storePath)}), expected '${ref.narHash}', got '${got}'`,
      ref,
    );
  }
}


/** `lastModifiedDate`: %Y%m%d%H%M%S in UTC. */
export function formatDate(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/[-:T]/g, "").slice(0, 14);
}

function tryGit(f: () => string): string | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

