/**
 * Query results in Nix 2.8's output formats: `nix path-info` (plain and
 * --json) and `nix-store -q` orderings.
 */
import { compareBytes, parseHashAny, printHash } from "./format/index.js";
import type { LocalStore } from "./localStore.js";

/** Nix's topoSortPaths: referrers before references; DFS over sorted paths and sorted references. */
export function topoSortPaths(store: LocalStore, paths: Iterable<string>): string[] {
  const items = new Set(paths);
  const visited = new Set<string>();
  const postorder: string[] = [];
  const visit = (p: string) => {
    if (visited.has(p)) return;
    visited.add(p);
    for (const r of [...store.queryReferences(p)].sort(compareBytes)) if (r !== p && items.has(r)) visit(r);
    postorder.push(p);
  };
  for (const p of [...items].sort(compareBytes)) visit(p);
  return postorder.reverse();
}

/** `nix-store -q --requisites` order: dependencies first (the reverse of topoSortPaths). */
export function requisitesInNixOrder(store: LocalStore, roots: Iterable<string>, includeOutputs = false): string[] {
  return topoSortPaths(store, store.computeClosure(roots, { includeOutputs })).reverse();
}

export function closureSize(store: LocalStore, path: string): number {
  return store.computeClosure([path]).reduce((n, p) => n + store.queryPathInfo(p).narSize, 0);
}

/** `nix path-info --json` (2.8): sorted by path, SRI hashes, invalid paths as {"path", "valid": false}. */
export function pathInfoJson(store: LocalStore, paths: Iterable<string>, options: { closureSize?: boolean } = {}): string {
  const items = [...new Set(paths)].sort(compareBytes).map((path) => {
    const info = store.db.queryPathInfo(path);
    if (!info) return { path, valid: false };
    const o: Record<string, unknown> = {
      path,
      narHash: printHash(parseHashAny(info.narHash), "sri", true),
      narSize: info.narSize,
      references: [...info.references].sort(compareBytes),
    };
    if (info.ca) o.ca = info.ca;
    if (options.closureSize) o.closureSize = closureSize(store, path);
    if (info.deriver) o.deriver = info.deriver;
    if (info.registrationTime) o.registrationTime = info.registrationTime;
    if (info.ultimate) o.ultimate = true;
    if (info.sigs.length > 0) o.signatures = info.sigs;
    return o;
  });
  return JSON.stringify(items);
}

/** Nix's printSize column: "\t%11d", or "\t%6.1f<unit>" with -h. */
export function formatSizeColumn(value: number, human: boolean): string {
  if (!human) return "\t" + String(value).padStart(11);
  const units = " KMGTPEZY";
  let power = 0;
  let res = value;
  while (res > 1024 && power < units.length) {
    power++;
    res /= 1024;
  }
  return "\t" + res.toFixed(1).padStart(6) + units[power];
}

/** `nix path-info` plain lines (with -s / -S / --sigs columns). */
export function pathInfoLines(
  store: LocalStore,
  paths: readonly string[],
  options: { size?: boolean; closureSize?: boolean; human?: boolean; sigs?: boolean } = {},
): string[] {
  const width = Math.max(0, ...paths.map((p) => p.length));
  return paths.map((path) => {
    const info = store.queryPathInfo(path);
    let line = path;
    if (options.size || options.closureSize || options.sigs) line += " ".repeat(width - path.length);
    if (options.size) line += formatSizeColumn(info.narSize, options.human ?? false);
    if (options.closureSize) line += formatSizeColumn(closureSize(store, path), options.human ?? false);
    if (options.sigs) {
      const ss: string[] = [];
      if (info.ultimate) ss.push("ultimate");
      if (info.ca) ss.push(`ca:${info.ca}`);
      ss.push(...info.sigs);
      line += "\t" + ss.join(" ");
    }
    return line;
  });
}
