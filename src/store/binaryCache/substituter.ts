/**
 * Substitution (Nix's PathSubstitutionGoal, for binary caches): fetch valid
 * store paths, with their closures, from caches instead of building them.
 *
 * Caches are asked in priority order; a narinfo must carry a signature by a
 * trusted key (require-sigs, default on) unless the path is content
 * addressed. Downloads run in parallel; each object is unpacked and verified
 * under a temp name, and registered only once its references are valid, so
 * the store's closure invariant holds at every moment.
 */
import { basename } from "node:path";
import { renameSync } from "node:fs";
import {
  countValidSignatures,
  parseDerivationATerm,
  parsePublicKey,
  printHash,
  type NarInfo,
  type PublicKey,
} from "../format/index.js";
import { readFileSync } from "node:fs";
import { deletePath } from "../canonicalise.js";
import type { LocalStore } from "../localStore.js";
import { knownOutputPaths } from "../build/buildDerivation.js";
import { BinaryCache } from "./binaryCache.js";
import { pathMatchesContentAddress } from "./contentAddress.js";
import { BinaryCacheError, SubstituteNotFoundError, UntrustedNarInfoError } from "./errors.js";
import { fetchNarInto } from "./fetchNar.js";
import { concurrencyLimit } from "./limit.js";

export interface SubstituterOptions {
  /** Cache URLs (or opened caches), as Nix's `substituters`. */
  readonly substituters: readonly (string | BinaryCache)[];
  /** `name:base64` keys (or parsed ones), as Nix's `trusted-public-keys`. */
  readonly trustedPublicKeys?: readonly (string | PublicKey)[];
  /** Refuse narinfos without a trusted signature (default true, as Nix). */
  readonly requireSigs?: boolean;
  /** Downloads at once (default 8). */
  readonly concurrency?: number;
  /** Progress lines ("copying path '…' from '…'..."); default: stderr. */
  readonly onProgress?: (line: string) => void;
  /**
   * Skip (with a warning line) a cache that cannot be opened, as Nix does for
   * its configured substituters; otherwise that is an error (as `nix copy --from`).
   */
  readonly skipBrokenCaches?: boolean;
}

/** A path some cache can provide, with the narinfo it provides it with. */
export interface Substitute {
  readonly storePath: string;
  readonly cache: BinaryCache;
  readonly info: NarInfo;
}

/** Why a path cannot be substituted: no cache has it, or only without a trusted signature. */
type Lookup = { ok: true; sub: Substitute } | { ok: false; untrusted?: { cache: BinaryCache } };

const STORE_DIR = "/nix/store";
const full = (baseName: string) => `${STORE_DIR}/${baseName}`;

export class Substituter {
  readonly caches: BinaryCache[];
  readonly trustedKeys: PublicKey[];
  readonly requireSigs: boolean;
  private readonly limit: <T>(task: () => Promise<T>) => Promise<T>;
  private readonly onProgress: (line: string) => void;
  private readonly skipBrokenCaches: boolean;
  private readonly lookups = new Map<string, Promise<Lookup>>();
  private sorted?: Promise<BinaryCache[]>;

  constructor(options: SubstituterOptions) {
    this.caches = options.substituters.map((s) => (typeof s === "string" ? new BinaryCache(s) : s));
    this.trustedKeys = (options.trustedPublicKeys ?? []).map((k) => (typeof k === "string" ? parsePublicKey(k) : k));
    this.requireSigs = options.requireSigs ?? true;
    this.limit = concurrencyLimit(Math.max(1, options.concurrency ?? 8));
    this.onProgress = options.onProgress ?? ((line) => process.stderr.write(line + "\n"));
    this.skipBrokenCaches = options.skipBrokenCaches ?? false;
  }

  /** Caches in Nix's order: by priority (lower first), stable. A cache that cannot be opened is an error. */
  private orderedCaches(): Promise<BinaryCache[]> {
    this.sorted ??= (async () => {
      const usable = await Promise.all(
        this.caches.map(async (c) => {
          try {
            await c.init();
            return c;
          } catch (err) {
            if (!this.skipBrokenCaches) throw err;
            this.onProgress(`warning: ignoring substituter '${c.uri}': ${(err as Error).message}`);
            return undefined;
          }
        }),
      );
      return usable.filter((c): c is BinaryCache => c !== undefined).sort((a, b) => a.priority - b.priority);
    })();
    return this.sorted;
  }

  private trusted(info: NarInfo): boolean {
    if (!this.requireSigs) return true;
    if (pathMatchesContentAddress(info.storePath, info.ca, info.references.map(full))) return true;
    return countValidSignatures(info, this.trustedKeys) > 0;
  }

  private lookup(storePath: string): Promise<Lookup> {
    let p = this.lookups.get(storePath);
    if (!p) {
      p = this.limit(async () => {
        let untrusted: { cache: BinaryCache } | undefined;
        for (const cache of await this.orderedCaches()) {
          const info = await cache.queryNarInfo(storePath);
          if (!info) continue;
          if (!this.trusted(info)) {
            untrusted ??= { cache };
            continue;
          }
          return { ok: true, sub: { storePath, cache, info } } as Lookup;
        }
        return { ok: false, untrusted } as Lookup;
      });
      this.lookups.set(storePath, p);
    }
    return p;
  }

  /** The substitute for one path, or undefined when no cache has it (with a trusted signature). */
  async query(storePath: string): Promise<Substitute | undefined> {
    const r = await this.lookup(storePath);
    return r.ok ? r.sub : undefined;
  }

  private notFound(storePath: string, r: Lookup & { ok: false }): Error {
    if (r.untrusted)
      return new UntrustedNarInfoError(
        `the substitute for '${storePath}' from '${r.untrusted.cache.uri}' is not signed by any of the keys in 'trusted-public-keys'`,
        r.untrusted.cache.uri,
        storePath,
      );
    return new SubstituteNotFoundError(
      `path '${storePath}' is not available from any substituter (${this.caches.map((c) => `'${c.uri}'`).join(", ") || "none configured"})`,
      storePath,
    );
  }

  /**
   * Substitutes for the not-yet-valid paths of the closure of `paths`, in
   * dependencies-first order; when some path has none, `missing` says which
   * and why (and the plan is incomplete).
   */
  async planClosure(
    store: LocalStore,
    paths: Iterable<string>,
  ): Promise<{ plan: Substitute[]; missing?: { storePath: string; error: Error } }> {
    const found = new Map<string, Substitute>();
    let missing: { storePath: string; error: Error } | undefined;
    const visit = async (p: string): Promise<void> => {
      if (found.has(p) || store.isValidPath(p)) return;
      const r = await this.lookup(p);
      if (!r.ok) {
        missing ??= { storePath: p, error: this.notFound(p, r) };
        return;
      }
      if (found.has(p)) return;
      found.set(p, r.sub);
      await Promise.all(r.sub.info.references.map(full).filter((q) => q !== p).map(visit));
    };
    await Promise.all([...paths].map(visit));
    // Dependencies first (references form a DAG apart from self references).
    const order: Substitute[] = [];
    const placed = new Set<string>();
    const place = (p: string) => {
      if (placed.has(p)) return;
      placed.add(p);
      const s = found.get(p);
      if (!s) return;
      for (const q of s.info.references.map(full)) if (q !== p) place(q);
      order.push(s);
    };
    for (const p of [...found.keys()].sort()) place(p);
    return { plan: order, missing };
  }

  /**
   * Make `paths` and their closures valid in `store` by fetching what is
   * missing. Throws (before downloading anything) when some path cannot be
   * substituted; a download or verification failure registers nothing for
   * that path and its referrers. Returns the paths fetched.
   */
  async substitute(store: LocalStore, paths: Iterable<string>): Promise<string[]> {
    const { plan, missing } = await this.planClosure(store, paths);
    if (missing) throw missing.error;
    await this.fetchAll(store, plan);
    return plan.map((s) => s.storePath);
  }

  private async fetchAll(store: LocalStore, plan: readonly Substitute[]): Promise<void> {
    const registered = new Map<string, Promise<void>>();
    for (const sub of plan) {
      const deps = sub.info.references
        .map(full)
        .filter((q) => q !== sub.storePath)
        .map((q) => registered.get(q))
        .filter((d): d is Promise<void> => d !== undefined);
      registered.set(sub.storePath, this.fetchOne(store, sub, deps));
    }
    const results = await Promise.allSettled(registered.values());
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === "rejected").map((r) => r.reason as Error);
    // A referrer of a failed path fails with a DependencyFailed error: report the root cause.
    const root = failures.find((e) => !(e instanceof DependencyFailed)) ?? failures[0];
    if (root) throw root;
  }

  private async fetchOne(store: LocalStore, sub: Substitute, deps: Promise<void>[]): Promise<void> {
    const { storePath, cache, info } = sub;
    store.locks.addTempRoot(storePath);
    const tmp = store.tempPath(basename(storePath));
    try {
      await this.limit(async () => {
        if (store.isValidPath(storePath)) return;
        this.onProgress(`copying path '${storePath}' from '${cache.uri}'...`);
        await fetchNarInto(cache, info, tmp);
      });
      try {
        await Promise.all(deps);
      } catch (err) {
        throw new DependencyFailed(`some references of path '${storePath}' could not be realised`, cache.uri, storePath, { cause: err });
      }
      store.addAtomically(storePath, (target) => {
        renameSync(tmp, target);
        return {
          path: storePath,
          narHash: printHash(info.narHash, "base16", true),
          narSize: info.narSize,
          references: info.references.map(full).sort(),
          deriver: info.deriver ? full(info.deriver) : undefined,
          sigs: info.sigs,
          ca: info.ca,
        };
      });
    } finally {
      deletePath(tmp);
    }
  }

  /**
   * Before building: substitute the outputs of `drvPaths` where every missing
   * output (with its closure) is available, else look at their input
   * derivations the same way (Nix tries substitutes before building). Paths
   * no cache has are left for the builder. Returns the paths fetched.
   */
  async substituteDerivationOutputs(store: LocalStore, drvPaths: readonly string[]): Promise<string[]> {
    const wanted = new Set<string>();
    const seen = new Set<string>();
    const visit = async (drvPath: string): Promise<void> => {
      if (seen.has(drvPath)) return;
      seen.add(drvPath);
      if (!store.isValidPath(drvPath)) return;
      const drv = parseDerivationATerm(readFileSync(store.toRealPath(drvPath)), { drvPath });
      const missingOutputs = [...knownOutputPaths(drv, drvPath).values()].filter((p) => !store.isValidPath(p));
      if (missingOutputs.length === 0) return;
      const { missing } = await this.planClosure(store, missingOutputs);
      if (!missing) {
        for (const p of missingOutputs) wanted.add(p);
        return;
      }
      await Promise.all([...drv.inputDrvs.keys()].map(visit));
    };
    await Promise.all(drvPaths.map(visit));
    return wanted.size === 0 ? [] : this.substitute(store, wanted);
  }

  close(): void {
    for (const c of this.caches) c.close();
  }
}

/** A path not fetched because one of its references failed. */
class DependencyFailed extends BinaryCacheError {}
