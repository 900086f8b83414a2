// The remembered `git status` / `git ls-files` of a working tree (gitStateCache.ts), with real git:
// reused only while nothing git's answer depends on changed, never while a change could hide.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { gitTreeState } from "../../src/evaluator/flake/gitStateCache.js";

const work = mkdtempSync(join(tmpdir(), "nixoci-gitstate-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const env = { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" };
const git = (repo: string, ...args: string[]) => execFileSync("git", ["-C", repo, ...args], { env, encoding: "utf8" });
const settle = () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120); // past the racy window

let n = 0;
function repo(): { dir: string; cache: string } {
  const dir = join(work, `r${n++}`);
  execFileSync("git", ["init", "-q", "-b", "main", dir]);
  writeFileSync(join(dir, "flake.nix"), "{ outputs = _: { }; }\n");
  writeFileSync(join(dir, "a.txt"), "aaa\n");
  git(dir, "add", "-A");
  git(dir, "commit", "-qm", "one");
  settle();
  return { dir, cache: join(dir, "..", `cache-${n}`) };
}

/** Runs f with git unreachable: only a remembered answer can succeed. */
function withoutGit<T>(f: () => T): T {
  const path = process.env.PATH;
  process.env.PATH = "/nonexistent";
  try {
    return f();
  } finally {
    process.env.PATH = path;
  }
}
afterEach(() => expect(process.env.PATH).not.toBe("/nonexistent"));

describe("gitTreeState", () => {
  it("answers like git, then from the cache without running git", () => {
    const { dir, cache } = repo();
    const first = gitTreeState(dir, cache);
    expect(first.status.head).toBe(git(dir, "rev-parse", "HEAD").trim());
    expect(first.status.branch).toBe("main");
    expect(first.status.changes).toEqual([]);
    expect([...first.tracked].sort()).toEqual(["a.txt", "flake.nix"]);
    expect(readdirSync(join(cache, "git-state"))).toHaveLength(1);
    expect(withoutGit(() => gitTreeState(dir, cache))).toEqual(first);
  });

  it("asks git again after a same-size edit, a staged change, a commit or a branch switch", () => {
    const { dir, cache } = repo();
    gitTreeState(dir, cache);
    writeFileSync(join(dir, "a.txt"), "bbb\n");
    settle();
    const edited = gitTreeState(dir, cache);
    expect(edited.status.changes).toHaveLength(1);
    expect(edited.status.changes[0]).toMatch(/ a\.txt$/);
    expect(withoutGit(() => gitTreeState(dir, cache))).toEqual(edited);

    git(dir, "add", "a.txt");
    settle();
    const staged = gitTreeState(dir, cache);
    expect(staged.status.changes[0]).toMatch(/^1 M\. /);

    git(dir, "commit", "-qm", "two");
    settle();
    const committed = gitTreeState(dir, cache);
    expect(committed.status.changes).toEqual([]);
    expect(committed.status.head).toBe(git(dir, "rev-parse", "HEAD").trim());

    git(dir, "checkout", "-q", "-b", "other");
    settle();
    expect(gitTreeState(dir, cache).status.branch).toBe("other");
  });

  it("remembers nothing while a change could still hide in the time stamps", () => {
    const { dir, cache } = repo();
    writeFileSync(join(dir, "a.txt"), "ccc\n");
    // Dated a minute ahead, so the racy window cannot pass while a loaded machine runs git.
    const ahead = new Date(Date.now() + 60_000);
    utimesSync(join(dir, "a.txt"), ahead, ahead);
    const racy = gitTreeState(dir, cache);
    expect(racy.status.changes).toHaveLength(1);
    expect(() => withoutGit(() => gitTreeState(dir, cache))).toThrow();
  });

  it("sees a new tracked file through the index", () => {
    const { dir, cache } = repo();
    gitTreeState(dir, cache);
    writeFileSync(join(dir, "b.txt"), "b\n");
    git(dir, "add", "b.txt");
    settle();
    expect([...gitTreeState(dir, cache).tracked].sort()).toEqual(["a.txt", "b.txt", "flake.nix"]);
  });
});
