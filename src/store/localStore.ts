/**
 * The local store: objects under `<root>/nix/store`, registered in a
 * Nix-compatible SQLite database, hashed as logical `/nix/store` paths.
 *
 * Adding an object is crash-safe by ordering: (1) write it under a temp name
 * in the store dir, canonicalise and fsync it; (2) hash it; (3) rename it to
 * its final name and fsync the directory; (4) register it (with its
 * references) in one transaction. A crash before (4) leaves at most an
 * unregistered object, which is invalid by definition and is deleted by the
 * next open (or replaced by the next add); a registered path is therefore
 * always complete. The whole sequence runs under the path's lock, and
 * open-time cleanup only deletes what it can lock.
 */
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, realpathSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { EvalStore } from "../evaluator/storeApi.js";
import {
  computeTextPath,
  hashData,
  isStorePath,
  makeFixedOutputPath,
  parseDerivationATerm,
  parseHashAny,
  printHash,
  splitStorePath,
  type Hash,
} from "./format/index.js";
import { canonicalisePathMetaData, deletePath, fsyncPath, fsyncTree } from "./canonicalise.js";
import { StoreDatabase, type NewPathInfo, type PathInfo } from "./database.js";
import { HashMismatchError, InvalidPathError, StoreError } from "./errors.js";
import { LOGICAL_STORE_DIR, storeLocationAt, type StoreLocation, defaultStoreRoot } from "./location.js";
import { StoreLocks, processStartTime, type HeldLock } from "./locks.js";
import { hashFileSync, narHashOfPathSync } from "./narOps.js";

export interface LocalStoreOptions {
  /** Store root (`--store DIR`); default from {@link defaultStoreRoot}. */
  readonly root?: string;
  /** Open without creating or cleaning anything (queries only). */
  readonly readOnly?: boolean;
}

const TEMP_PREFIX = ".nixoci-tmp-";
const MY_START = processStartTime(process.pid) ?? "0";

export type AddFilter = (path: string, type: "regular" | "directory" | "symlink" | "unknown") => boolean;

export class LocalStore implements EvalStore {
  readonly storeDir = LOGICAL_STORE_DIR;
  readonly location: StoreLocation;
  readonly db: StoreDatabase;
  readonly locks: StoreLocks;
  readonly readOnly: boolean;

  constructor(options: LocalStoreOptions = {}) {
    this.location = storeLocationAt(defaultStoreRoot(options.root));
    this.readOnly = options.readOnly ?? false;
    if (!this.readOnly) {
      for (const d of [
        this.location.realStoreDir,
        join(this.location.stateDir, "gcroots/auto"),
        join(this.location.stateDir, "temproots"),
        join(this.location.stateDir, "profiles"),
        join(this.location.logDir, "drvs"),
        join(this.location.nixociDir, "builds"),
      ])
        mkdirSync(d, { recursive: true });
    }
    this.db = new StoreDatabase(join(this.location.stateDir, "db"), { readonly: this.readOnly });
    this.locks = new StoreLocks(join(this.location.nixociDir, "locks.sqlite"));
    if (!this.readOnly) this.removeStaleObjects();
  }

  close(): void {
    this.locks.close();
    this.db.close();
  }

  // ---- paths -------------------------------------------------------------

  toRealPath(storePath: string): string {
    if (!storePath.startsWith(this.storeDir + "/")) throw new StoreError(`path '${storePath}' is not in the Nix store`, storePath);
    return this.location.realStoreDir + storePath.slice(this.storeDir.length);
  }

  /** Logical path of a physical one under the store dir (for `nixoci log ./result` and friends). */
  fromRealPath(realPath: string): string | undefined {
    const prefix = this.location.realStoreDir + "/";
    if (realPath.startsWith(prefix)) return this.storeDir + "/" + realPath.slice(prefix.length).split("/")[0];
    if (realPath.startsWith(this.storeDir + "/")) return this.storeDir + "/" + realPath.slice(this.storeDir.length + 1).split("/")[0];
    return undefined;
  }

  /** A command-line path argument as a store path: a store path (or a path inside one), or a link into the store (./result). */
  followLinksToStorePath(arg: string): string {
    if (arg.startsWith(this.storeDir + "/")) return splitStorePath(arg, this.storeDir).storePath;
    let real: string;
    try {
      real = realpathSync(arg);
    } catch {
      throw new StoreError(`path '${arg}' does not exist`);
    }
    const sp = this.fromRealPath(real);
    if (!sp) throw new StoreError(`path '${arg}' is not in the Nix store`);
    return sp;
  }

  // ---- queries ------------------------------------------------------------

  isValidPath(storePath: string): boolean {
    return this.db.isValidPath(storePath);
  }

  queryPathInfo(storePath: string): PathInfo {
    const info = this.db.queryPathInfo(storePath);
    if (!info) throw new InvalidPathError(`path '${storePath}' is not valid`, storePath);
    return info;
  }

  queryReferences(storePath: string): readonly string[] {
    return this.queryPathInfo(storePath).references;
  }

  queryReferrers(storePath: string): string[] {
    return this.db.queryReferrers(storePath);
  }

  queryDeriver(storePath: string): string | undefined {
    return this.queryPathInfo(storePath).deriver;
  }

  queryValidDerivers(storePath: string): string[] {
    return this.db.queryValidDerivers(storePath);
  }

  queryDerivationOutputs(drvPath: string): Map<string, string> {
    const outs = this.db.queryDerivationOutputs(drvPath);
    if (!outs) throw new InvalidPathError(`path '${drvPath}' is not valid`, drvPath);
    return outs;
  }

  queryAllValidPaths(): string[] {
    return this.db.queryAllValidPaths();
  }

  /** Closure of `paths` (following references, or referrers with `reverse`), sorted. */
  computeClosure(paths: Iterable<string>, options: { reverse?: boolean; includeOutputs?: boolean } = {}): string[] {
    const seen = new Set<string>();
    const todo = [...paths];
    while (todo.length > 0) {
      const p = todo.pop()!;
      if (seen.has(p)) continue;
      seen.add(p);
      const next = options.reverse ? this.queryReferrers(p) : this.queryReferences(p);
      todo.push(...next);
      if (options.includeOutputs && p.endsWith(".drv") && !options.reverse) {
        for (const out of this.db.queryDerivationOutputs(p)?.values() ?? []) if (this.isValidPath(out)) todo.push(out);
      }
    }
    return [...seen].sort();
  }

  // ---- adding ------------------------------------------------------------

  addTextToStore(name: string, text: string, references: readonly string[]): string {
    const path = computeTextPath(name, text, references, this.storeDir);
    if (this.readOnly) return path;
    const drvOutputs = name.endsWith(".drv") ? this.derivationOutputsOfText(text) : undefined;
    this.addAtomically(path, (tmp) => {
      writeFileSync(tmp, text);
      const { hash, size } = narHashOfPathSync(tmp);
      return {
        path,
        narHash: printHash(hash, "base16", true),
        narSize: size,
        references: [...references].sort(),
        ca: `text:${printHash(hashData("sha256", text), "nix32", true)}`,
      };
    }, drvOutputs);
    return path;
  }

  /** A .drv's output name → path (recorded in DerivationOutputs, as Nix does when it adds a .drv). */
  private derivationOutputsOfText(text: string): Map<string, string> | undefined {
    try {
      const drv = parseDerivationATerm(text);
      return new Map([...drv.outputs].filter(([, o]) => o.path !== "").map(([name, o]) => [name, o.path]));
    } catch {
      return undefined;
    }
  }

  addPathToStore(
    srcPath: string,
    options: { name: string; method: "recursive" | "flat"; filter?: AddFilter; expectedHash?: string },
  ): string {
    const { name, method, filter } = options;
    let hash: Hash;
    if (method === "flat") {
      const st = lstatSync(srcPath);
      if (!st.isFile()) throw new StoreError(`cannot add '${srcPath}' as a flat file: it is not a regular file`);
      hash = hashFileSync("sha256", srcPath);
    } else {
      hash = narHashOfPathSync(srcPath, filter).hash;
    }
    if (options.expectedHash !== undefined) {
      const expected = parseHashAny(options.expectedHash, "sha256");
      if (!expected.bytes.equals(hash.bytes))
        throw new HashMismatchError(
          `hash mismatch importing path '${srcPath}';\n  specified: ${printHash(expected, "sri", true)}\n  got:       ${printHash(hash, "sri", true)}`,
        );
    }
    const path = makeFixedOutputPath(method, hash, name, {}, this.storeDir);
    if (this.readOnly) return path;
    this.addAtomically(path, (tmp) => {
      if (method === "flat") copyFileSync(srcPath, tmp);
      else copyTree(srcPath, tmp, filter);
      canonicalisePathMetaData(tmp);
      const nar = narHashOfPathSync(tmp);
      const got = method === "flat" ? hashFileSync("sha256", tmp) : nar.hash;
      if (!got.bytes.equals(hash.bytes))
        throw new HashMismatchError(`'${srcPath}' changed while it was being added to the store`, path);
      return {
        path,
        narHash: printHash(nar.hash, "base16", true),
        narSize: nar.size,
        references: [],
        ca: `fixed:${method === "recursive" ? "r:" : ""}${printHash(hash, "nix32", true)}`,
      };
    });
    return path;
  }

  /**
   * The crash-safe add protocol (see the file comment). `write(tmp)` creates
   * the object at `tmp` and returns its path info; nothing happens when the
   * path is already valid.
   */
  addAtomically(path: string, write: (tmp: string) => NewPathInfo, drvOutputs?: Map<string, string>): void {
    this.locks.addTempRoot(path);
    if (this.isValidPath(path)) return;
    const lock = this.locks.lockSync(path);
    try {
      if (this.isValidPath(path)) return;
      const tmp = this.tempPath(basename(path));
      try {
        const info = write(tmp);
        canonicalisePathMetaData(tmp);
        fsyncTree(tmp);
        this.moveIntoPlace(tmp, path);
        this.db.registerValidPaths([info], drvOutputs ? new Map([[path, drvOutputs]]) : undefined);
      } finally {
        if (existsSync(tmp)) deletePath(tmp);
      }
    } finally {
      lock.release();
    }
  }

  /** Physical temp name in the store dir (same file system, so rename is atomic); owner PID in the name. */
  tempPath(suffix: string): string {
    return join(this.location.realStoreDir, `${TEMP_PREFIX}${process.pid}-${MY_START}-${randomBytes(4).toString("hex")}-${suffix}`);
  }

  /** Rename a finished object to its final physical name (replacing an invalid leftover) and make it durable. */
  moveIntoPlace(physicalSrc: string, storePath: string): void {
    const dest = this.toRealPath(storePath);
    if (existsSync(dest) || isDanglingSymlink(dest)) deletePath(dest);
    try {
      renameSync(physicalSrc, dest);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EXDEV") throw err;
      // Build directory on another file system: copy under a temp name, then rename.
      const tmp = this.tempPath(basename(storePath));
      copyTree(physicalSrc, tmp);
      canonicalisePathMetaData(tmp);
      fsyncTree(tmp);
      renameSync(tmp, dest);
      deletePath(physicalSrc);
    }
    fsyncPath(this.location.realStoreDir);
  }

  /** Register already-in-place objects (used by the builder for outputs it moved itself). */
  registerValidPaths(infos: readonly NewPathInfo[], drvOutputs?: Map<string, Map<string, string>>): void {
    this.db.registerValidPaths(infos, drvOutputs);
  }

  lockPath(path: string): HeldLock {
    return this.locks.lockSync(path);
  }

  // ---- recovery ------------------------------------------------------------

  /**
   * Delete temp objects of dead processes and objects that are not
   * registered (left by a crash between rename and registration), skipping
   * anything whose lock a live process holds.
   */
  removeStaleObjects(): { removed: string[] } {
    const removed: string[] = [];
    // Build directories of builders whose nixoci process died (named "<pid>-<random>-<drv>").
    const builds = join(this.location.nixociDir, "builds");
    for (const entry of existsSync(builds) ? readdirSync(builds) : []) {
      const pid = Number(entry.split("-")[0]);
      if (pid !== process.pid && processStartTime(pid) === undefined) deletePath(join(builds, entry));
    }
    const valid = new Set(this.db.queryAllValidPaths());
    for (const entry of readdirSync(this.location.realStoreDir)) {
      const physical = join(this.location.realStoreDir, entry);
      if (entry.startsWith(TEMP_PREFIX)) {
        const [pid, start] = entry.slice(TEMP_PREFIX.length).split("-");
        if (processStartTime(Number(pid)) !== start) {
          deletePath(physical);
          removed.push(physical);
        }
        continue;
      }
      if (entry.startsWith(".") || entry.endsWith(".lock") || entry.endsWith(".chroot") || entry.endsWith(".check")) continue;
      const logical = `${this.storeDir}/${entry}`;
      if (valid.has(logical) || !isStorePath(logical, this.storeDir)) continue;
      const lock = this.locks.tryLock(logical);
      if (!lock) continue;
      try {
        if (!this.db.isValidPath(logical)) {
          deletePath(physical);
          removed.push(physical);
        }
      } finally {
        lock.release();
      }
    }
    return { removed };
  }
}

function isDanglingSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Copy a file system tree (regular files, dirs, symlinks), applying `filter` to each entry below the top. */
export function copyTree(src: string, dst: string, filter?: AddFilter): void {
  const st = lstatSync(src);
  if (st.isSymbolicLink()) {
    symlinkSync(readlinkSync(src), dst);
  } else if (st.isDirectory()) {
    mkdirSync(dst, { mode: 0o755 });
    for (const entry of readdirSync(src).sort()) {
      const s = join(src, entry);
      if (filter) {
        const est = lstatSync(s);
        const type = est.isFile() ? "regular" : est.isDirectory() ? "directory" : est.isSymbolicLink() ? "symlink" : "unknown";
        if (!filter(s, type)) continue;
      }
      copyTree(s, join(dst, entry), filter);
    }
  } else if (st.isFile()) {
    copyFileSync(src, dst); // keeps the mode, hence the executable bit
  } else {
    throw new StoreError(`file '${src}' has an unsupported type`);
  }
}
