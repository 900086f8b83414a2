import { NixociError } from "../errors.js";
import { runtimeClosure } from "./closure.js";
import { baseName, compareStorePaths, pathName, sortedReferences, type ClosureGraph } from "./graph.js";

/** One disallowed path found in an image closure. */
export interface DisallowedMatch {
  /** The `--disallow` argument that matched. */
  pattern: string;
  path: string;
  /** A shortest reference chain from an image root to `path` (both included), as why-depends would show. */
  chain: string[];
}

/**
 * The package-name part of a store path name, as builtins.parseDrvName
 * splits it: up to the first `-` that is not followed by a letter
 * (`bash-interactive-5.1` → `bash-interactive`).
 */
export function packageName(name: string): string {
  for (let i = 0; i < name.length; i++) {
    if (name[i] === "-" && i + 1 < name.length && !/[A-Za-z]/.test(name[i + 1]!)) return name.slice(0, i);
  }
  return name;
}

/**
 * Does a store path match a `--disallow` argument? An argument with a `/`
 * is a store path (matched exactly); otherwise it matches the full name
 * (`hello-2.12`), the package name (`hello`) or the base name (`<hash>-hello-2.12`).
 */
export function matchesDisallowed(path: string, pattern: string): boolean {
  if (pattern.includes("/")) return path === pattern.replace(/\/+$/, "");
  const name = pathName(path);
  return pattern === name || pattern === packageName(name) || pattern === baseName(path);
}

/**
 * Every path of the closure of `roots` that a pattern matches, with a
 * shortest chain from a root (breadth first, roots in the given order and
 * references in StorePath order, so the chain is deterministic). Sorted by
 * path, then pattern.
 */
export function findDisallowed(graph: ClosureGraph, roots: readonly string[], patterns: readonly string[]): DisallowedMatch[] {
  if (patterns.length === 0) return [];
  const closure = runtimeClosure(graph, roots);
  const matches: { pattern: string; path: string }[] = [];
  for (const path of closure) for (const pattern of patterns) if (matchesDisallowed(path, pattern)) matches.push({ pattern, path });
  if (matches.length === 0) return [];

  const parent = new Map<string, string | null>();
  const queue: string[] = [];
  for (const r of roots) {
    if (!parent.has(r)) {
      parent.set(r, null);
      queue.push(r);
    }
  }
  for (let head = 0; head < queue.length; head++) {
    const p = queue[head]!;
    for (const ref of sortedReferences(graph, p)) {
      if (!parent.has(ref)) {
        parent.set(ref, p);
        queue.push(ref);
      }
    }
  }
  const chainTo = (path: string): string[] => {
    const chain: string[] = [];
    for (let p: string | null | undefined = path; p != null; p = parent.get(p)) chain.push(p);
    return chain.reverse();
  };
  return matches
    .map((m) => ({ ...m, chain: chainTo(m.path) }))
    .sort((a, b) => compareStorePaths(a.path, b.path) || (a.pattern < b.pattern ? -1 : a.pattern > b.pattern ? 1 : 0));
}

/** `nixoci build --disallow` found forbidden paths: raised before anything is written. */
export class DisallowedPathsError extends NixociError {
  constructor(readonly matches: readonly DisallowedMatch[]) {
    super(
      `image closure contains disallowed paths:\n` +
        matches
          .map((m) => `  ${m.path} (matches '${m.pattern}')\n    ${m.chain.join("\n    → ")}`)
          .join("\n"),
    );
  }
}

/** Throws DisallowedPathsError when any pattern matches the closure of `roots`. */
export function assertNoDisallowed(graph: ClosureGraph, roots: readonly string[], patterns: readonly string[]): void {
  const found = findDisallowed(graph, roots, patterns);
  if (found.length > 0) throw new DisallowedPathsError(found);
}
