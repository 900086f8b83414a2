/**
 * Cheap facts about a local source tree, for cache keys: what `git status`
 * says about a working tree, and an lstat of every file. Both change whenever
 * the tree's contents can have changed, and neither reads file contents.
 * Deliberately light (node built-ins only): the warm path loads this before
 * deciding whether the evaluator is needed at all.
 */

import { lstatSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";

/** Runs git, output as text; node:child_process is loaded on first use (a warm no-op answered from gitStateCache.ts never needs it). */
function git(args: string[]): string {
  const cp = process.getBuiltinModule("node:child_process") as typeof import("node:child_process");
  return cp.execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 30 });
}

export interface GitWorkingTreeStatus {
  /** HEAD's commit, undefined before the first commit. */
  head?: string;
  /** The checked-out branch, undefined when detached. */
  branch?: string;
  /** `git status --porcelain=v2` records of changed tracked files. */
  changes: string[];
}

/** One `git status` call: HEAD, branch and changed tracked files (no index write). */
export function gitWorkingTreeStatus(repo: string): GitWorkingTreeStatus {
  const out = git(["--no-optional-locks", "-C", repo, "status", "--porcelain=v2", "--branch", "-z", "--untracked-files=no"]);
  const records = out.split("\0").filter(Boolean);
  const header = (name: string) => records.find((r) => r.startsWith(`# branch.${name} `))?.slice(`# branch.${name} `.length);
  const oid = header("oid");
  const branch = header("head");
  return {
    head: oid && oid !== "(initial)" ? oid : undefined,
    branch: branch && branch !== "(detached)" ? branch : undefined,
    changes: records.filter((r) => !r.startsWith("#")),
  };
}

/** Tracked files of a git working tree (paths relative to its top). */
export function gitTrackedFiles(repo: string): string[] {
  return git(["-C", repo, "ls-files", "-z"])
    .split("\0")
    .filter(Boolean);
}

function statLine(name: string, path: string): string {
  try {
    const st = lstatSync(path, { bigint: true });
    return `${name}:${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}:${st.mode}`;
  } catch {
    return `${name}:missing`;
  }
}

/** (path, size, mtime, ctime, inode, mode) of the given files of a tree. */
export function fileStats(root: string, files: readonly string[]): string[] {
  return files.map((f) => statLine(f, join(root, f)));
}

/**
 * Walk a tree with lstat: the newest modification time in seconds (Nix's
 * `lastModified` of a path or tarball) and a stat line per entry.
 */
export function statWalk(path: string): { maxMtime: number; entries: string[] } {
  let max = 0;
  const entries: string[] = [];
  const stack = [path];
  while (stack.length) {
    const p = stack.pop()!;
    const st = lstatSync(p, { bigint: true });
    max = Math.max(max, Number(st.mtimeNs / 1_000_000_000n));
    entries.push(`${relative(path, p)}:${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}:${st.mode}`);
    if (st.isDirectory()) for (const e of readdirSync(p)) stack.push(join(p, e));
  }
  return { maxMtime: max, entries };
}
