/**
 * The evaluation cache: what a command needed from a locked flake's outputs
 * (drvPath, outPath, meta.mainProgram, image settings, …), stored in SQLite
 * and keyed by the flake's fingerprint, as Nix's eval cache is. A locked flake
 * cannot change, so an unchanged flake is never evaluated twice.
 */
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import type Database from "better-sqlite3";
import { nixociCacheDir } from "./warmKey.js";

/** Bumped whenever what we store, or how we evaluate, changes meaning. */
const SCHEMA = 1;

export function defaultEvalCachePath(env: NodeJS.ProcessEnv = process.env): string {
  return join(nixociCacheDir(env), `eval-cache-v${SCHEMA}.sqlite`);
}

/**
 * A locked flake's identity: its root source hash and the lock graph
 * (which pins every input by narHash), plus anything else that changes the
 * result (system, nixoci's version).
 */
export function flakeFingerprint(parts: { rootNarHash: string; dir?: string; lockText: string; extra?: string[] }): string {
  const h = createHash("sha256");
  for (const p of [parts.rootNarHash, parts.dir ?? "", parts.lockText, ...(parts.extra ?? [])]) h.update(`${p}\0`);
  return h.digest("hex");
}

export class EvalCache {
  private readonly db: Database.Database;
  private readonly getStmt: Database.Statement<[string, string], { value: string }>;
  private readonly putStmt: Database.Statement<[string, string, string, number]>;

  constructor(readonly file: string = defaultEvalCachePath()) {
    mkdirSync(dirname(file), { recursive: true });
    // Loaded on first use: the warm path only needs this module's pure helpers.
    const Sqlite = createRequire(import.meta.url)("better-sqlite3") as typeof Database;
    this.db = new Sqlite(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("busy_timeout = 5000");
    this.db.exec(
      "create table if not exists attrs (fingerprint text not null, key text not null, value text not null, time integer not null, primary key (fingerprint, key))",
    );
    this.getStmt = this.db.prepare("select value from attrs where fingerprint = ? and key = ?");
    this.putStmt = this.db.prepare("insert or replace into attrs (fingerprint, key, value, time) values (?, ?, ?, ?)");
  }

  get<T>(fingerprint: string, key: string): T | undefined {
    const row = this.getStmt.get(fingerprint, key);
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  put(fingerprint: string, key: string, value: unknown): void {
    this.putStmt.run(fingerprint, key, JSON.stringify(value), Math.floor(Date.now() / 1000));
  }

  close(): void {
    this.db.close();
  }
}
