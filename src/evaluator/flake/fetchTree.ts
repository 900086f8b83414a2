/**
 * Fetchers for flake inputs and `builtins.fetchTree`: path, local git, and
 * tarball sources, copied into the store under the name "source" as Nix does.
 *
 * Synchronous, like the evaluator that calls them. Git is driven through the
 * git CLI; tarballs are unpacked with GNU tar (which detects gzip/xz/bzip2/zstd).
 */
import { lstatSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { execaSync } from "execa";
import { NixociError } from "../../errors.js";
import type { EvalStore } from "../storeApi.js";
import type { FlakeRefAttrs } from "./lockFile.js";

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
}

export function fetchTree(ref: FlakeRefAttrs, ctx: FetchContext): FetchedTree {
  switch (ref.type) {
    case "path":
      return fetchPath(ref, ctx);
    case "git":
      return fetchGit(ref, ctx);
    case "tarball":
    case "file":
      return fetchTarball(ref, ctx);
    default:
      throw new FetchError(`input type '${String(ref.type)}' cannot be fetched without network access`, ref);
  }
}

function fetchPath(ref: FlakeRefAttrs, ctx: FetchContext): FetchedTree {
  const given = String(ref.path);
  const abs = isAbsolute(given) ? given : resolve(ctx.baseDir, given);
  const real = abs.startsWith(`${ctx.store.storeDir}/`) ? ctx.store.toRealPath(abs) : abs;
  try {
    lstatSync(real);
  } catch (e) {
    throw new FetchError(`path '${abs}' does not exist`, ref, { cause: e });
  }
  const storePath = ctx.store.addPathToStore(real, { name: "source", method: "recursive" });
  const narHash = ctx.narHashOf(storePath);
  checkNarHash(ref, narHash);
  const lastModified = maxMtime(real);
  return {
    sourceInfo: { outPath: storePath, narHash, lastModified, lastModifiedDate: formatDate(lastModified) },
    locked: { lastModified, narHash, path: given, type: "path" },
  };
}

function fetchGit(ref: FlakeRefAttrs, ctx: FetchContext): FetchedTree {
  const url = String(ref.url);
  if (!url.startsWith("file://") && !url.startsWith("/")) {
    throw new FetchError(`git input '${url}' is remote; only local repositories can be fetched here`, ref);
  }
  const repo = url.startsWith("file://") ? decodeURIComponent(new URL(url).pathname) : url;
  const git = (...args: string[]) => execaSync("git", ["-C", repo, ...args], { stripFinalNewline: true }).stdout;
  const hasHead = tryGit(() => git("rev-parse", "--verify", "-q", "HEAD")) !== undefined;
  const wantRev = typeof ref.rev === "string" ? ref.rev : undefined;
  const branch = typeof ref.ref === "string" ? ref.ref : hasHead ? tryGit(() => git("symbolic-ref", "--short", "HEAD")) : undefined;

  let storePath: string;
  let rev: string | undefined;
  let dirty = false;
  if (wantRev !== undefined || (typeof ref.ref === "string" && ref.ref !== branch)) {
    // A pinned revision: export exactly that commit's tree.
    rev = wantRev ?? git("rev-parse", `${String(ref.ref)}^{commit}`);
    storePath = exportCommit(repo, rev, ctx);
  } else {
    // The working tree as Nix sees it: tracked files only, with their current contents.
    dirty = !hasHead || tryGit(() => git("diff-index", "--quiet", "HEAD", "--")) === undefined;
    const tracked = new Set(git("ls-files", "-z").split("\0").filter(Boolean));
    const dirs = new Set<string>();
    for (const f of tracked) for (let i = f.indexOf("/"); i >= 0; i = f.indexOf("/", i + 1)) dirs.add(f.slice(0, i));
    storePath = ctx.store.addPathToStore(repo, {
      name: "source",
      method: "recursive",
      filter: (p) => {
        const rel = relative(repo, p).split(sep).join("/");
        return tracked.has(rel) || dirs.has(rel);
      },
    });
    if (!dirty) rev = git("rev-parse", "HEAD");
  }
  const narHash = ctx.narHashOf(storePath);
  checkNarHash(ref, narHash);
  const head = rev ?? (hasHead ? git("rev-parse", "HEAD") : undefined);
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
  } else if (head) {
    // Current Nix exposes the commit a dirty tree is based on.
    Object.assign(sourceInfo, { dirtyRev: `${head}-dirty`, dirtyShortRev: `${head.slice(0, 7)}-dirty` });
  }
  if (typeof ref.dir === "string") locked.dir = ref.dir;
  return { sourceInfo, locked };
}

function exportCommit(repo: string, rev: string, ctx: FetchContext): string {
  const tmp = mkdtempSync(join(tmpdir(), "nixoci-git-"));
  try {
    const tar = join(tmp, "tree.tar");
    execaSync("git", ["-C", repo, "archive", "--format=tar", "-o", tar, rev]);
    const out = join(tmp, "source");
    execaSync("mkdir", ["-p", out]);
    execaSync("tar", ["-xf", tar, "-C", out]);
    return ctx.store.addPathToStore(out, { name: "source", method: "recursive" });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function fetchTarball(ref: FlakeRefAttrs, ctx: FetchContext): FetchedTree {
  const url = String(ref.url);
  const tmp = mkdtempSync(join(tmpdir(), "nixoci-tarball-"));
  try {
    const file = join(tmp, "download");
    download(url, file, ref);
    const out = join(tmp, "unpacked");
    execaSync("mkdir", ["-p", out]);
    try {
      execaSync("tar", ["-xf", file, "-C", out, "--no-same-owner"]);
    } catch (e) {
      throw new FetchError(`cannot unpack '${url}': ${(e as Error).message.split("\n")[0]}`, ref, { cause: e });
    }
    // A tarball with a single top-level directory is that directory, as in Nix.
    const top = readdirSync(out);
    const root = top.length === 1 && lstatSync(join(out, top[0]!)).isDirectory() ? join(out, top[0]!) : out;
    const lastModified = maxMtime(root);
    const storePath = ctx.store.addPathToStore(root, { name: "source", method: "recursive" });
    const narHash = ctx.narHashOf(storePath);
    checkNarHash(ref, narHash);
    return {
      sourceInfo: { outPath: storePath, narHash, lastModified, lastModifiedDate: formatDate(lastModified) },
      // Nix 2.8 locks a tarball by URL and narHash only.
      locked: { narHash, type: "tarball", url },
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Synchronous download: file:// directly, http(s) through a child Node process. */
function download(url: string, dest: string, ref: FlakeRefAttrs): void {
  if (url.startsWith("file://")) {
    execaSync("cp", [decodeURIComponent(new URL(url).pathname), dest]);
    return;
  }
  if (!/^https?:\/\//.test(url)) throw new FetchError(`unsupported URL '${url}'`, ref);
  const script = `
    const r = await fetch(process.argv[1]);
    if (!r.ok) { console.error("HTTP " + r.status + " " + r.statusText); process.exit(1); }
    const { writeFile } = await import("node:fs/promises");
    await writeFile(process.argv[2], Buffer.from(await r.arrayBuffer()));`;
  try {
    execaSync(process.execPath, ["--input-type=module", "-e", script, url, dest]);
  } catch (e) {
    const why = (e as { stderr?: string }).stderr?.trim() || (e as Error).message;
    throw new FetchError(`unable to download '${url}': ${why}`, ref, { cause: e });
  }
}

function checkNarHash(ref: FlakeRefAttrs, got: string): void {
  if (typeof ref.narHash === "string" && ref.narHash !== got) {
    throw new FetchError(`NAR hash mismatch in input '${describe(ref)}', expected '${ref.narHash}' but got '${got}'`, ref);
  }
}

function describe(ref: FlakeRefAttrs): string {
  return String(ref.url ?? ref.path ?? ref.type);
}

/** Newest modification time in a tree, in seconds: Nix's `lastModified` of a path or tarball. */
function maxMtime(path: string): number {
  let max = 0;
  const stack = [path];
  while (stack.length) {
    const p = stack.pop()!;
    const st = lstatSync(p);
    max = Math.max(max, Math.floor(st.mtimeMs / 1000));
    if (st.isDirectory()) for (const e of readdirSync(p)) stack.push(join(p, e));
  }
  return max;
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

