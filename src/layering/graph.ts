import { UnknownPathError } from "./errors.js";

/**
 * What layering needs to know about a store: the references and NAR size of
 * each valid path. The store implements it over its SQLite DB; tests build it
 * from `nix path-info -r --json`. References may include the path itself (Nix
 * records self-references); order and duplicates do not matter.
 * Both methods throw UnknownPathError for a path the graph does not hold.
 */
export interface ClosureGraph {
  references(path: string): readonly string[];
  narSize(path: string): number;
}

/** One entry of `nix path-info --json` (only the fields layering reads). */
export interface PathInfoEntry {
  path: string;
  narSize?: number;
  references: readonly string[];
}

/** A ClosureGraph held in memory. */
export class MapClosureGraph implements ClosureGraph {
  private readonly refs = new Map<string, readonly string[]>();
  private readonly sizes = new Map<string, number>();

  constructor(entries: Iterable<PathInfoEntry>) {
    for (const e of entries) {
      this.refs.set(e.path, e.references);
      this.sizes.set(e.path, e.narSize ?? 0);
    }
  }

  has(path: string): boolean {
    return this.refs.has(path);
  }

  paths(): string[] {
    return sortStorePaths(this.refs.keys());
  }

  references(path: string): readonly string[] {
    const r = this.refs.get(path);
    if (r === undefined) throw new UnknownPathError(path);
    return r;
  }

  narSize(path: string): number {
    const s = this.sizes.get(path);
    if (s === undefined) throw new UnknownPathError(path);
    return s;
  }
}

/** Parses `nix path-info -r --json` output into a graph. */
export function graphFromPathInfoJson(json: string): MapClosureGraph {
  const data = JSON.parse(json) as unknown;
  if (!Array.isArray(data)) throw new TypeError("path-info JSON must be an array");
  return new MapClosureGraph(data as PathInfoEntry[]);
}

/** `/nix/store/<hash>-<name>` → `<hash>-<name>`. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** The 32-character hash part of a store path. */
export function hashPart(path: string): string {
  const b = baseName(path);
  const dash = b.indexOf("-");
  return dash < 0 ? b : b.slice(0, dash);
}

/** The name part of a store path (after `<hash>-`). */
export function pathName(path: string): string {
  const b = baseName(path);
  const dash = b.indexOf("-");
  return dash < 0 ? "" : b.slice(dash + 1);
}

/** Plain code-unit order; store paths are ASCII, so this is also byte order. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Nix orders StorePath by its base name (hash, then name), as in every StorePathSet. */
export function compareStorePaths(a: string, b: string): number {
  return compareStrings(baseName(a), baseName(b));
}

/** Sorts store paths in StorePath order (base names computed once per path). */
export function sortStorePaths(paths: Iterable<string>): string[] {
  const decorated = Array.from(paths, (p) => [baseName(p), p] as const);
  decorated.sort((a, b) => compareStrings(a[0], b[0]));
  return decorated.map((d) => d[1]);
}

/** References as Nix's StorePathSet holds them: deduplicated, in StorePath order. */
export function sortedReferences(graph: ClosureGraph, path: string): string[] {
  return sortStorePaths(new Set(graph.references(path)));
}
