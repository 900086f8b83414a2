/**
 * What `git status` and `git ls-files` say about a working tree, remembered
 * between runs so a no-op `nixoci build` need not start git (and load
 * node:child_process) at all.
 *
 * An entry is reused only when every fact git's answer depends on is as it
 * was when git was asked: HEAD and the ref it names, packed-refs, the index,
 * the repository's and the user's git config (all by content or lstat), and
 * the lstat of every tracked file. Git rewrites the index by rename and a
 * change to a file changes its ctime, so equal facts mean an equal answer —
 * except for a change within the file system's timestamp granularity right
 * after git looked (git's "racy clean" case); so nothing is remembered while
 * any fact is younger than the file system's timestamp granularity: a few
 * milliseconds on Linux file systems with nanosecond times (the kernel's
 * coarse clock), up to 2 s where times are whole seconds (FAT, some network
 * file systems).
 */
import { lstatSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { fnv1a64 } from "../../fnv1a.js";
import { gitTrackedFiles, gitWorkingTreeStatus, type GitWorkingTreeStatus } from "./localTree.js";

/** Facts younger than this may still change without their stat showing it (fine, coarse time stamps). */
const RACY_MS = 50;
const RACY_MS_WHOLE_SECONDS = 2100;
const VERSION = "git-state-v1";

export interface GitTreeState {
  status: GitWorkingTreeStatus;
  /** Tracked files, as `git ls-files` lists them. */
  tracked: readonly string[];
}

interface Entry {
  version: string;
  repo: string;
  facts: string[];
  state: GitTreeState;
}

interface StatFact {
  line: string;
  /** Newest of mtime and ctime, ms. */
  newest: number;
  /** Both times are whole seconds (a file system with coarse time stamps). */
  coarse: boolean;
}

function statFact(path: string): StatFact {
  try {
    const st = lstatSync(path, { bigint: true });
    const newest = st.mtimeNs > st.ctimeNs ? st.mtimeNs : st.ctimeNs;
    return {
      line: `${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}:${st.mode}`,
      newest: Number(newest / 1_000_000n),
      coarse: st.mtimeNs % 1_000_000_000n === 0n && st.ctimeNs % 1_000_000_000n === 0n,
    };
  } catch {
    return { line: "missing", newest: 0, coarse: false };
  }
}

function readOr(path: string, otherwise: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return otherwise;
  }
}

/**
 * The facts git's answer depends on, or undefined when the repository is laid
 * out in a way this does not follow (a `.git` file, GIT_* overrides).
 */
interface Facts {
  facts: string[];
  /** Until when (ms since the epoch) a change could leave these facts as they are. */
  racyUntil: number;
}

function factsOf(repo: string, tracked: readonly string[], env: NodeJS.ProcessEnv): Facts | undefined {
  if (env.GIT_DIR || env.GIT_WORK_TREE || env.GIT_INDEX_FILE || env.GIT_CONFIG_GLOBAL || env.GIT_CONFIG_SYSTEM) return undefined;
  const gitDir = join(repo, ".git");
  try {
    if (!lstatSync(gitDir).isDirectory()) return undefined;
  } catch {
    return undefined;
  }
  const head = readOr(join(gitDir, "HEAD"), "missing");
  const ref = head.startsWith("ref: ") ? head.slice(5).trim() : undefined;
  if (ref !== undefined && (ref.includes("..") || !ref.startsWith("refs/"))) return undefined;
  const home = env.HOME || homedir();
  const statted = [
    join(gitDir, "index"),
    join(gitDir, "packed-refs"),
    join(gitDir, "config"),
    join(home, ".gitconfig"),
    join(env.XDG_CONFIG_HOME || join(home, ".config"), "git", "config"),
  ].map(statFact);
  let racyUntil = 0;
  const seen = (s: StatFact): StatFact => {
    racyUntil = Math.max(racyUntil, s.newest + (s.coarse ? RACY_MS_WHOLE_SECONDS : RACY_MS));
    return s;
  };
  statted.forEach(seen);
  const files = tracked.map((f) => `${f}:${seen(statFact(join(repo, f))).line}`);
  return { facts: [head, ref === undefined ? "" : readOr(join(gitDir, ref), "missing"), ...statted.map((s) => s.line), ...files], racyUntil };
}

/** Where the entry for a repository lives (no node:crypto on this path). */
function entryFile(cacheDir: string, repo: string): string {
  return join(cacheDir, "git-state", `${fnv1a64(repo)}.json`);
}

function remembered(file: string, repo: string, env: NodeJS.ProcessEnv): GitTreeState | undefined {
  let entry: Entry;
  try {
    entry = JSON.parse(readFileSync(file, "utf8")) as Entry;
  } catch {
    return undefined;
  }
  if (entry.version !== VERSION || entry.repo !== repo) return undefined;
  const now = factsOf(repo, entry.state.tracked, env);
  if (now === undefined || now.facts.length !== entry.facts.length || now.facts.some((f, i) => f !== entry.facts[i])) return undefined;
  return entry.state;
}

/**
 * `git status` and `git ls-files` of the working tree at repo, from the cache
 * in cacheDir when nothing they depend on changed, else from git (and then
 * remembered when that is safe).
 */
export function gitTreeState(repo: string, cacheDir: string, env: NodeJS.ProcessEnv = process.env): GitTreeState {
  const file = entryFile(cacheDir, repo);
  const hit = remembered(file, repo, env);
  if (hit) return hit;
  const tracked = gitTrackedFiles(repo);
  // Facts taken before and after asking git: equal means git saw them as they are
  // (the index's stat covers the tracked list).
  const before = factsOf(repo, tracked, env);
  const state: GitTreeState = { status: gitWorkingTreeStatus(repo), tracked };
  const after = before && before.racyUntil < Date.now() ? factsOf(repo, tracked, env) : undefined;
  if (after !== undefined && after.facts.join("\0") === before!.facts.join("\0")) {
    try {
      mkdirSync(join(cacheDir, "git-state"), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ version: VERSION, repo, facts: after.facts, state } satisfies Entry));
      renameSync(tmp, file);
    } catch {
      // A cache that cannot be written is only slower.
    }
  }
  return state;
}
