import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { StoreLocks, processStartTime } from "../../src/store/locks.js";
import Database from "better-sqlite3";

const dirs: string[] = [];
function tempLocks(): { locks: StoreLocks; path: string } {
  const dir = mkdtempSync(join(tmpdir(), "nixoci-locks-"));
  dirs.push(dir);
  const path = join(dir, "locks.sqlite");
  return { locks: new StoreLocks(path), path };
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("StoreLocks", () => {
  it("is exclusive within a process and free again after release", () => {
    const { locks } = tempLocks();
    const a = locks.tryLock("p")!;
    expect(a).toBeDefined();
    expect(locks.tryLock("p")).toBeUndefined();
    a.release();
    const b = locks.tryLock("p");
    expect(b).toBeDefined();
    b!.release();
    locks.close();
  });

  it("takes over a lock whose owner was killed (stale PID)", () => {
    const { locks, path } = tempLocks();
    // A process that exists, then dies: its row stays behind.
    const pid = Number(execFileSync("sh", ["-c", "echo $$"]).toString().trim());
    const db = new Database(path);
    db.prepare("insert into Locks (key, pid, startTime, token) values (?, ?, ?, ?)").run("p", pid, "12345", 1);
    db.close();
    expect(processStartTime(pid)).toBeUndefined();
    const held = locks.tryLock("p");
    expect(held).toBeDefined();
    locks.close();
  });

  it("respects a lock held by another live process", async () => {
    const { locks, path } = tempLocks();
    const child = spawn("sleep", ["30"]);
    const start = processStartTime(child.pid!)!;
    const db = new Database(path);
    db.prepare("insert into Locks (key, pid, startTime, token) values (?, ?, ?, ?)").run("p", child.pid, start, 1);
    db.close();
    expect(locks.tryLock("p")).toBeUndefined();
    const waiting = locks.lock("p");
    child.kill("SIGKILL");
    const held = await waiting;
    expect(held.key).toBe("p");
    locks.close();
  });

  it("temp roots are visible while live and the GC lock blocks nothing else", () => {
    const { locks } = tempLocks();
    locks.addTempRoot("/nix/store/x");
    expect(locks.liveTempRoots()).toEqual(new Set(["/nix/store/x"]));
    const gc = locks.lockGcSync();
    expect(locks.tryLock("other")).toBeDefined();
    gc.release();
    locks.close();
  });
});
