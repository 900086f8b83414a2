import { ReferenceCycleError, UnknownPathError } from "./errors.js";
import { sortedReferences, sortStorePaths, type ClosureGraph } from "./graph.js";

/**
 * Runtime closure of `roots` (the roots included), as Nix's computeFSClosure:
 * every path reachable through references. Iterative, so 20 000-path closures
 * and long chains do not exhaust the stack. Result in StorePath order.
 */
export function runtimeClosure(graph: ClosureGraph, roots: Iterable<string>): string[] {
  const seen = new Set<string>();
  const stack: string[] = [];
  for (const r of roots) {
    if (!seen.has(r)) {
      graph.references(r); // fail early with UnknownPathError for an unknown root
      seen.add(r);
      stack.push(r);
    }
  }
  while (stack.length > 0) {
    const p = stack.pop()!;
    for (const ref of graph.references(p)) {
      if (seen.has(ref)) continue;
      try {
        graph.references(ref);
      } catch (e) {
        if (e instanceof UnknownPathError) throw new UnknownPathError(ref, p);
        throw e;
      }
      seen.add(ref);
      stack.push(ref);
    }
  }
  return sortStorePaths(seen);
}

/**
 * Nix's Store::topoSortPaths (libutil topoSort): depth-first over `paths` in
 * StorePath order, following only references that are themselves in `paths`,
 * emitting in post-order and reversing. Referrers therefore come before their
 * references. Written iteratively with an explicit frame stack; the visiting
 * order is the recursive one, so ties come out exactly as Nix prints them.
 */
export function topoSortPaths(graph: ClosureGraph, paths: Iterable<string>): string[] {
  const items = new Set(paths);
  const ordered = sortStorePaths(items);
  const sorted: string[] = [];
  const visited = new Set<string>();
  const parents = new Set<string>();
  type Frame = { path: string; children: string[]; next: number };
  for (const start of ordered) {
    if (visited.has(start)) continue;
    visited.add(start);
    parents.add(start);
    const stack: Frame[] = [{ path: start, children: sortedReferences(graph, start), next: 0 }];
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      if (frame.next < frame.children.length) {
        const child = frame.children[frame.next++]!;
        if (child === frame.path || !items.has(child)) continue;
        if (parents.has(child)) throw new ReferenceCycleError(child, frame.path);
        if (visited.has(child)) continue;
        visited.add(child);
        parents.add(child);
        stack.push({ path: child, children: sortedReferences(graph, child), next: 0 });
      } else {
        sorted.push(frame.path);
        parents.delete(frame.path);
        stack.pop();
      }
    }
  }
  return sorted.reverse();
}

/** Sum of NAR sizes over the closure of `path` (Nix's getClosureSize). */
export function closureSize(graph: ClosureGraph, roots: Iterable<string>): number {
  let total = 0;
  for (const p of runtimeClosure(graph, roots)) total += graph.narSize(p);
  return total;
}
