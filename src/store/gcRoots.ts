/**
 * Garbage-collector roots, laid out as Nix's: `<state>/gcroots/**` holds
 * symlinks to store paths (direct roots) or to symlinks elsewhere that point
 * into the store (indirect roots: `gcroots/auto/<sha1-nix32 of link>` →
 * `./result` → store path). A dangling indirect root is stale and removed.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, unlinkSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { hashData, nix32Encode } from "./format/index.js";
import { StoreError } from "./errors.js";
import type { LocalStore } from "./localStore.js";

function autoRootPath(store: LocalStore, link: string): string {
  return join(store.location.stateDir, "gcroots/auto", nix32Encode(hashData("sha1", link).bytes));
}

/** Register `link` (a symlink outside the store, like ./result) as an indirect root. */
export function addIndirectRoot(store: LocalStore, link: string): void {
  const abs = resolve(link);
  const root = autoRootPath(store, abs);
  mkdirSync(dirname(root), { recursive: true });
  rmSync(root, { force: true });
  symlinkSync(abs, root);
}

/**
 * Make `link` point at `storePath` (its physical location, so ./result/… works
 * for a store outside /nix/store) and register it as an indirect root, as
 * `nix-build`'s out-links. Refuses to replace anything but a symlink.
 */
export function createOutLink(store: LocalStore, link: string, storePath: string): string {
  const abs = resolve(link);
  try {
    if (!lstatSync(abs).isSymbolicLink()) throw new StoreError(`cannot create out-link '${abs}': a file is in the way`, storePath);
    unlinkSync(abs);
  } catch (err) {
    if (err instanceof StoreError) throw err;
  }
  // Replace atomically: another process may be reading the link.
  const tmp = `${abs}.tmp-${process.pid}`;
  rmSync(tmp, { force: true });
  symlinkSync(store.toRealPath(storePath), tmp);
  renameSync(tmp, abs);
  addIndirectRoot(store, abs);
  return abs;
}


/** Store path a link chain ends in, or undefined. Follows at most two links (root → out-link → store). */
function storePathOfLink(store: LocalStore, target: string): string | undefined {
  const direct = store.fromRealPath(target);
  if (direct) return direct;
  try {
    if (!lstatSync(target).isSymbolicLink()) return undefined;
    const next = resolve(dirname(target), readlinkSync(target));
    return store.fromRealPath(next);
  } catch {
    return undefined;
  }
}

/** Root link → store path, removing stale indirect roots on the way. */
export function findRoots(store: LocalStore): Map<string, string> {
  const roots = new Map<string, string>();
  const walk = (dir: string) => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isSymbolicLink()) {
        const target = resolve(dirname(p), readlinkSync(p));
        const sp = storePathOfLink(store, target);
        if (sp && store.isValidPath(sp)) roots.set(p, sp);
        else if (dir.endsWith("/gcroots/auto") && !existsSync(target)) rmSync(p, { force: true });
      }
    }
  };
  walk(join(store.location.stateDir, "gcroots"));
  walk(join(store.location.stateDir, "profiles"));
  return roots;
}
