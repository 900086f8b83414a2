/**
 * Inter-process coordination for one store: per-path locks, the GC lock and
 * temporary GC roots, kept in a small SQLite database of our own
 * (`<root>/nix/var/nixoci/locks.sqlite`, separate from Nix's db so Nix never
 * sees foreign tables). Each row names its owner by PID + process start time
 * (so a reused PID is not mistaken for the owner) + an in-process token.
 * Stale rows (owner dead, e.g. after kill -9) are taken over inside the same
 * IMMEDIATE transaction that checks them, so two processes can never both
 * decide a lock is free: SQLite serialises the check-and-set.
 */
import Database from "better-sqlite3";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { LockError } from "./errors.js";

interface Owner {
  pid: number;
  startTime: string;
  token: number;
}

interface LockRow {
  pid: number;
  startTime: string;
  token: number;
}

/** Start time (clock ticks since boot, field 22 of /proc/PID/stat) or undefined when the process is gone. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19];
  } catch {
    return undefined;
  }
}

const MY_START = processStartTime(process.pid) ?? "0";
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Block the thread (for synchronous callers such as the evaluator's store API). */
export function sleepSync(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

const GC_LOCK = "\0gc";
let nextToken = 1;

/** A held lock; `release()` is idempotent. */
export interface HeldLock {
  readonly key: string;
  release(): void;
}

export class StoreLocks {
  private readonly db: Database.Database;
  /** Tokens of locks this process holds right now (anything else with our PID is leaked). */
  private readonly liveTokens = new Set<number>();
  private closed = false;

  constructor(dbPath: string) {
    mkdirSync(dirname(dbPath), { recursive: true });
    this.db = new Database(dbPath, { timeout: 10 * 60 * 1000 });
    this.db.pragma("journal_mode = wal");
    this.db.pragma("synchronous = normal");
    this.db.exec(`
      create table if not exists Locks (key text primary key not null, pid integer not null, startTime text not null, token integer not null);
      create table if not exists TempRoots (path text not null, pid integer not null, startTime text not null, primary key (path, pid, startTime));
    `);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.db.prepare("delete from TempRoots where pid = ? and startTime = ?").run(process.pid, MY_START);
      this.db.prepare("delete from Locks where pid = ? and startTime = ?").run(process.pid, MY_START);
    } finally {
      this.db.close();
    }
  }

  private isLive(row: LockRow): boolean {
    if (row.pid === process.pid && row.startTime === MY_START) return this.liveTokens.has(row.token);
    return processStartTime(row.pid) === row.startTime;
  }

  /** Take the lock if it is free (or held by a dead process); never blocks on the lock itself. */
  tryLock(key: string): HeldLock | undefined {
    const me: Owner = { pid: process.pid, startTime: MY_START, token: nextToken++ };
    const got = this.db
      .transaction(() => {
        const row = this.db.prepare<[string], LockRow>("select pid, startTime, token from Locks where key = ?").get(key);
        if (row && this.isLive(row)) return false;
        this.db
          .prepare("insert or replace into Locks (key, pid, startTime, token) values (?, ?, ?, ?)")
          .run(key, me.pid, me.startTime, me.token);
        return true;
      })
      .immediate();
    if (!got) return undefined;
    this.liveTokens.add(me.token);
    let released = false;
    return {
      key,
      release: () => {
        if (released) return;
        released = true;
        this.liveTokens.delete(me.token);
        if (!this.closed)
          this.db.prepare("delete from Locks where key = ? and pid = ? and token = ?").run(key, me.pid, me.token);
      },
    };
  }

  /** Wait (blocking the thread) until the lock is ours. */
  lockSync(key: string, what = key): HeldLock {
    for (let delay = 2; ; delay = Math.min(delay * 2, 100)) {
      const held = this.tryLock(key);
      if (held) return held;
      if (this.closed) throw new LockError(`store closed while waiting for lock on '${what}'`);
      sleepSync(delay);
    }
  }

  /** Wait (without blocking the event loop) until the lock is ours. */
  async lock(key: string, onWait?: () => void): Promise<HeldLock> {
    let warned = false;
    for (let delay = 2; ; delay = Math.min(delay * 2, 100)) {
      const held = this.tryLock(key);
      if (held) return held;
      if (!warned && onWait) {
        warned = true;
        onWait();
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  /** Lock for the whole garbage collection: while held, no new temporary roots can be added. */
  lockGcSync(): HeldLock {
    return this.lockSync(GC_LOCK, "garbage collector");
  }

  /**
   * Protect `path` from a concurrent garbage collection for the life of this
   * process. Waits while a collection is running (it may be deleting `path`):
   * check validity only AFTER this returns.
   */
  addTempRoot(path: string): void {
    for (let delay = 2; ; delay = Math.min(delay * 2, 100)) {
      const added = this.db
        .transaction(() => {
          const gc = this.db.prepare<[string], LockRow>("select pid, startTime, token from Locks where key = ?").get(GC_LOCK);
          if (gc && this.isLive(gc)) return false;
          this.db
            .prepare("insert or ignore into TempRoots (path, pid, startTime) values (?, ?, ?)")
            .run(path, process.pid, MY_START);
          return true;
        })
        .immediate();
      if (added) return;
      sleepSync(delay);
    }
  }

  /** Temporary roots of live processes (stale ones are deleted on the way). */
  liveTempRoots(): Set<string> {
    const rows = this.db.prepare<[], { path: string; pid: number; startTime: string }>("select path, pid, startTime from TempRoots").all();
    const roots = new Set<string>();
    const dead = new Set<string>();
    for (const r of rows) {
      const live = r.pid === process.pid && r.startTime === MY_START ? true : processStartTime(r.pid) === r.startTime;
      if (live) roots.add(r.path);
      else dead.add(`${r.pid}/${r.startTime}`);
    }
    const del = this.db.prepare("delete from TempRoots where pid = ? and startTime = ?");
    for (const d of dead) {
      const [pid, start] = d.split("/");
      del.run(Number(pid), start);
    }
    return roots;
  }

  /** Keys of locks held by live owners (a path being added or built must not be touched). */
  liveLockKeys(): Set<string> {
    const rows = this.db.prepare<[], LockRow & { key: string }>("select key, pid, startTime, token from Locks").all();
    return new Set(rows.filter((r) => this.isLive(r)).map((r) => r.key));
  }
}
