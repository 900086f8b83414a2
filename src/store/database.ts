/**
 * The store's SQLite database, with Nix 2.8's schema (version 10) and file
 * layout (`<state>/db/db.sqlite`, `<state>/db/schema`), so Nix itself can
 * read a nixoci store (`nix path-info --store R`) and vice versa.
 * Everything here is synchronous (better-sqlite3).
 */
import Database from "better-sqlite3";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { StoreError } from "./errors.js";

export const NIX_SCHEMA_VERSION = 10;

/** One registered store path, as Nix's ValidPathInfo. */
export interface PathInfo {
  readonly path: string;
  /** "sha256:<base16>" as in the database (Nix's narHash). */
  readonly narHash: string;
  readonly narSize: number;
  readonly references: readonly string[];
  readonly deriver?: string;
  readonly registrationTime: number;
  readonly ultimate: boolean;
  readonly sigs: readonly string[];
  /** Content address ("fixed:r:sha256:…", "text:sha256:…"), if any. */
  readonly ca?: string;
}

/** What registerValidPaths needs: a PathInfo minus what the database fills in. */
export type NewPathInfo = Omit<PathInfo, "registrationTime" | "ultimate" | "sigs"> & {
  readonly registrationTime?: number;
  readonly ultimate?: boolean;
  readonly sigs?: readonly string[];
};

const SCHEMA = `
create table if not exists ValidPaths (
    id               integer primary key autoincrement not null,
    path             text unique not null,
    hash             text not null,
    registrationTime integer not null,
    deriver          text,
    narSize          integer,
    ultimate         integer,
    sigs             text,
    ca               text
);
create table if not exists Refs (
    referrer  integer not null,
    reference integer not null,
    primary key (referrer, reference),
    foreign key (referrer) references ValidPaths(id) on delete cascade,
    foreign key (reference) references ValidPaths(id) on delete restrict
);
create index if not exists IndexReferrer on Refs(referrer);
create index if not exists IndexReference on Refs(reference);
create trigger if not exists DeleteSelfRefs before delete on ValidPaths
  begin
    delete from Refs where referrer = old.id and reference = old.id;
  end;
create table if not exists DerivationOutputs (
    drv  integer not null,
    id   text not null,
    path text not null,
    primary key (drv, id),
    foreign key (drv) references ValidPaths(id) on delete cascade
);
create index if not exists IndexDerivationOutputs on DerivationOutputs(path);
`;

interface ValidPathRow {
  id: number;
  path: string;
  hash: string;
  registrationTime: number;
  deriver: string | null;
  narSize: number | null;
  ultimate: number | null;
  sigs: string | null;
  ca: string | null;
}

/** Busy timeout: other nixoci (or Nix) processes may hold the write lock during a big registration. */
const BUSY_TIMEOUT_MS = 10 * 60 * 1000;

export class StoreDatabase {
  private readonly db: Database.Database;
  private readonly stmts;

  /** Open (creating if `create`) the database in `dbDir` (`<state>/db`). */
  constructor(
    readonly dbDir: string,
    options: { readonly?: boolean } = {},
  ) {
    const dbPath = join(dbDir, "db.sqlite");
    const schemaPath = join(dbDir, "schema");
    const creating = !existsSync(dbPath);
    if (creating && options.readonly) throw new StoreError(`store database '${dbPath}' does not exist`);
    if (creating) mkdirSync(dbDir, { recursive: true });
    if (existsSync(schemaPath)) {
      const version = Number(readFileSync(schemaPath, "utf8").trim());
      if (version !== NIX_SCHEMA_VERSION)
        throw new StoreError(`store database '${dbPath}' has schema version ${version}, but only ${NIX_SCHEMA_VERSION} is supported`);
    }
    try {
      this.db = new Database(dbPath, { readonly: options.readonly ?? false, timeout: BUSY_TIMEOUT_MS });
      if (!options.readonly) {
        // Same settings as Nix: WAL, synchronous=normal (safe against process crashes), FKs on.
        this.db.pragma("journal_mode = wal");
        this.db.pragma("synchronous = normal");
        this.db.pragma("wal_autocheckpoint = 40000");
      }
      this.db.pragma("foreign_keys = 1");
      if (!options.readonly) this.db.exec(SCHEMA);
    } catch (err) {
      throw new StoreError(`cannot open store database '${dbPath}': ${(err as Error).message}`, undefined, { cause: err });
    }
    if (!options.readonly && !existsSync(schemaPath)) writeFileSync(schemaPath, String(NIX_SCHEMA_VERSION));

    const db = this.db;
    this.stmts = {
      insertPath: db.prepare(
        "insert into ValidPaths (path, hash, registrationTime, deriver, narSize, ultimate, sigs, ca) values (?, ?, ?, ?, ?, ?, ?, ?)",
      ),
      updatePath: db.prepare("update ValidPaths set narSize = ?, hash = ?, ultimate = ?, sigs = ?, ca = ? where path = ?"),
      addRef: db.prepare("insert or replace into Refs (referrer, reference) values (?, ?)"),
      queryPath: db.prepare<[string], ValidPathRow>(
        "select id, path, hash, registrationTime, deriver, narSize, ultimate, sigs, ca from ValidPaths where path = ?",
      ),
      queryId: db.prepare<[string], { id: number }>("select id from ValidPaths where path = ?"),
      queryReferences: db.prepare<[number], { path: string }>(
        "select path from Refs join ValidPaths on reference = id where referrer = ?",
      ),
      queryReferrers: db.prepare<[string], { path: string }>(
        "select path from Refs join ValidPaths on referrer = id where reference = (select id from ValidPaths where path = ?)",
      ),
      invalidate: db.prepare("delete from ValidPaths where path = ?"),
      addOutput: db.prepare("insert or replace into DerivationOutputs (drv, id, path) values (?, ?, ?)"),
      queryValidDerivers: db.prepare<[string], { path: string }>(
        "select v.path from DerivationOutputs d join ValidPaths v on d.drv = v.id where d.path = ?",
      ),
      queryOutputs: db.prepare<[number], { id: string; path: string }>("select id, path from DerivationOutputs where drv = ?"),
      allPaths: db.prepare<[], { path: string }>("select path from ValidPaths"),
    };
  }

  close(): void {
    this.db.close();
  }

  /** Run `fn` in one IMMEDIATE transaction (takes the write lock up front, so no upgrade deadlocks). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  isValidPath(path: string): boolean {
    return this.stmts.queryId.get(path) !== undefined;
  }

  queryPathInfo(path: string): PathInfo | undefined {
    const row = this.stmts.queryPath.get(path);
    if (!row) return undefined;
    return {
      path: row.path,
      narHash: row.hash,
      narSize: row.narSize ?? 0,
      references: this.stmts.queryReferences.all(row.id).map((r) => r.path).sort(),
      deriver: row.deriver || undefined,
      registrationTime: row.registrationTime,
      ultimate: row.ultimate === 1,
      sigs: row.sigs ? row.sigs.split(" ").filter((s) => s !== "") : [],
      ca: row.ca || undefined,
    };
  }

  queryReferrers(path: string): string[] {
    return this.stmts.queryReferrers.all(path).map((r) => r.path).sort();
  }

  /** Derivations registered as producing `outputPath` (Nix's queryValidDerivers). */
  queryValidDerivers(outputPath: string): string[] {
    return this.stmts.queryValidDerivers.all(outputPath).map((r) => r.path).sort();
  }

  /** Output name → path of a registered derivation; undefined if the drv is not valid. */
  queryDerivationOutputs(drvPath: string): Map<string, string> | undefined {
    const id = this.stmts.queryId.get(drvPath)?.id;
    if (id === undefined) return undefined;
    return new Map(this.stmts.queryOutputs.all(id).map((r) => [r.id, r.path]));
  }

  queryAllValidPaths(): string[] {
    return this.stmts.allPaths.all().map((r) => r.path);
  }

  /**
   * Register paths (all at once, in one transaction) with their references.
   * References must be valid or among `infos`; `drvOutputs` records a
   * registered .drv's outputs (as Nix does when a .drv is added).
   */
  registerValidPaths(infos: readonly NewPathInfo[], drvOutputs: ReadonlyMap<string, ReadonlyMap<string, string>> = new Map()): void {
    const now = Math.floor(Date.now() / 1000);
    this.transaction(() => {
      const ids = new Map<string, number>();
      for (const info of infos) {
        const existing = this.stmts.queryId.get(info.path);
        const sigs = (info.sigs ?? []).join(" ") || null;
        const ultimate = info.ultimate ? 1 : 0;
        if (existing) {
          this.stmts.updatePath.run(info.narSize, info.narHash, ultimate, sigs, info.ca ?? null, info.path);
          ids.set(info.path, existing.id);
        } else {
          const r = this.stmts.insertPath.run(
            info.path,
            info.narHash,
            info.registrationTime ?? now,
            info.deriver ?? null,
            info.narSize,
            ultimate,
            sigs,
            info.ca ?? null,
          );
          ids.set(info.path, Number(r.lastInsertRowid));
        }
      }
      for (const info of infos) {
        const referrer = ids.get(info.path)!;
        for (const ref of info.references) {
          const refId = ids.get(ref) ?? this.stmts.queryId.get(ref)?.id;
          if (refId === undefined)
            throw new StoreError(`cannot add path '${info.path}' because it references path '${ref}' which is not valid`, info.path);
          this.stmts.addRef.run(referrer, refId);
        }
        const outputs = drvOutputs.get(info.path);
        if (outputs) for (const [name, out] of outputs) this.stmts.addOutput.run(referrer, name, out);
      }
    });
  }

  /** Remove a path's registration; fails (foreign key) while a valid path still refers to it. */
  invalidatePath(path: string): void {
    this.stmts.invalidate.run(path);
  }
}
