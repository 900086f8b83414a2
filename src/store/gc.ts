/**
 * Garbage collection (nix-store --gc): delete every store object not
 * reachable from a root, a live process's temporary root, or a path a live
 * process holds locked. Reachability follows references and, as Nix's
 * default keep-derivations, the valid deriver of a live path.
 * Crash-safe: dead paths are unregistered first (one transaction), then
 * deleted; leftovers are unregistered objects, removed by the next open.
 */
import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { deletePath } from "./canonicalise.js";
import { findRoots } from "./gcRoots.js";
import type { LocalStore } from "./localStore.js";

export interface GcResult {
  /** Deleted store paths (logical). */
  readonly paths: string[];
  readonly bytesFreed: number;
}

export interface GcOptions {
  /** Only report what would be deleted. */
  readonly dryRun?: boolean;
  /** Called for each path just before it is deleted. */
  readonly onDelete?: (path: string) => void;
}

/** Live paths: closure of roots, temp roots and locked paths, plus valid derivers. */
export function liveSet(store: LocalStore): Set<string> {
  const start = new Set<string>([...findRoots(store).values()]);
  for (const p of store.locks.liveTempRoots()) start.add(p);
  for (const k of store.locks.liveLockKeys()) if (k.startsWith(store.storeDir + "/")) start.add(k);
  const live = new Set<string>();
  const todo = [...start].filter((p) => store.isValidPath(p));
  while (todo.length > 0) {
    const p = todo.pop()!;
    if (live.has(p)) continue;
    live.add(p);
    const info = store.db.queryPathInfo(p);
    if (!info) continue;
    todo.push(...info.references);
    if (info.deriver && store.isValidPath(info.deriver)) todo.push(info.deriver);
  }
  return live;
}

export function collectGarbage(store: LocalStore, options: GcOptions = {}): GcResult {
  const gcLock = store.locks.lockGcSync();
  try {
    const live = liveSet(store);
    const dead = store.queryAllValidPaths().filter((p) => !live.has(p));
    if (options.dryRun) return { paths: dead.sort(), bytesFreed: 0 };
    // Referrers before references, so the Refs foreign keys hold at every step.
    const order = topoReferrersFirst(store, dead);
    store.db.transaction(() => {
      for (const p of order) store.db.invalidatePath(p);
    });
    let bytesFreed = 0;
    const deleted: string[] = [];
    for (const p of order) {
      options.onDelete?.(p);
      bytesFreed += sizeOnDisk(store.toRealPath(p));
      deletePath(store.toRealPath(p));
      deleted.push(p);
    }
    // Unregistered leftovers (crashed adds) nobody holds a lock on.
    for (const physical of store.removeStaleObjects().removed) {
      const logical = store.fromRealPath(physical);
      if (logical) deleted.push(logical);
    }
    return { paths: deleted, bytesFreed };
  } finally {
    gcLock.release();
  }
}

function topoReferrersFirst(store: LocalStore, paths: string[]): string[] {
  const set = new Set(paths);
  const out: string[] = [];
  const state = new Map<string, number>();
  const visit = (p: string) => {
    if (state.get(p) === 2) return;
    if (state.get(p) === 1) return; // self reference / cycle through self
    state.set(p, 1);
    for (const r of store.queryReferrers(p)) if (set.has(r) && r !== p) visit(r);
    state.set(p, 2);
    out.push(p);
  };
  for (const p of [...paths].sort()) visit(p);
  return out;
}

/** Bytes Nix counts as freed: sizes of files and symlinks with at most 2 links. */
function sizeOnDisk(path: string): number {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return 0;
  }
  if (st.isDirectory()) return readdirSync(path).reduce((n, e) => n + sizeOnDisk(join(path, e)), 0);
  return st.nlink <= 2 ? st.size : 0;
}

/** Nix's showBytes. */
export function showBytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(2)} MiB`;
}
