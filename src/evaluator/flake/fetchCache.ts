/**
 * The fetch cache: what fetching a local tree (a git working tree, a pinned
 * git revision, a `path:` directory) gave last time, keyed by something cheap
 * to compute that changes whenever the tree's contents could have changed.
 * Copying a tree into the store means hashing every file; the key only needs
 * `git status` or an lstat walk. An entry is used only while its store path
 * is still valid in the store at hand.
 */
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import type Database from "better-sqlite3";
import { defaultEvalCachePath } from "./evalCache.js";
import type { FetchedTree } from "./fetchTree.js";

const SCHEMA = 1;

/** Next to the evaluation cache: `<dir of eval cache>/fetch-cache-v1.sqlite`. */
export function defaultFetchCachePath(evalCachePath: string = defaultEvalCachePath()): string {
  return join(dirname(evalCachePath), `fetch-cache-v${SCHEMA}.sqlite`);
}

/** A cache key from its parts (NUL-separated, hashed: keys can be long lists of file stats). */
export function fetchCacheKey(parts: readonly string[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(`${p}\0`);
  return h.digest("hex");
}

export class FetchCache {
  private readonly db: Database.Database;
  private readonly getStmt: Database.Statement<[string], { value: string }>;
  private readonly putStmt: Database.Statement<[string, string, number]>;

  constructor(readonly file: string = defaultFetchCachePath()) {
    mkdirSync(dirname(file), { recursive: true });
    // Loaded on first use: the warm path only needs this module's pure helpers.
    const Sqlite = createRequire(import.meta.url)("better-sqlite3") as typeof Database;
    this.db = new Sqlite(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("busy_timeout = 5000");
    this.db.exec("create table if not exists trees (key text primary key, value text not null, time integer not null)");
    this.getStmt = this.db.prepare("select value from trees where key = ?");
    this.putStmt = this.db.prepare("insert or replace into trees (key, value, time) values (?, ?, ?)");
  }

  get(key: string): FetchedTree | undefined {
    const row = this.getStmt.get(key);
    return row ? (JSON.parse(row.value) as FetchedTree) : undefined;
  }

  put(key: string, tree: FetchedTree): void {
    this.putStmt.run(key, JSON.stringify(tree), Math.floor(Date.now() / 1000));
  }

  close(): void {
    this.db.close();
  }
}
