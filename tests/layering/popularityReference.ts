/**
 * Independent reference implementations of nixpkgs' popularity contest,
 * written from its documentation with a deliberately different structure
 * from src/layering/popularity.ts.
 */
import type { PathInfoEntry } from "../../src/layering/graph.js";

/**
 * Reference 1, literal: unfold the forest from the roots into an explicit
 * tree and, for every tree node, add one to each distinct path of its
 * subtree. Exponential, so only for small graphs.
 */
export function unfoldingReference(entries: PathInfoEntry[]): Map<string, bigint> {
  const refs = new Map(entries.map((e) => [e.path, [...new Set(e.references)].filter((r) => r !== e.path)]));
  const referenced = new Set(entries.flatMap((e) => e.references.filter((r) => r !== e.path)));
  const counts = new Map<string, bigint>(entries.map((e) => [e.path, 0n]));
  const subtree = (p: string): Set<string> => {
    const s = new Set<string>([p]);
    for (const c of refs.get(p)!) for (const x of subtree(c)) s.add(x);
    for (const x of s) counts.set(x, counts.get(x)! + 1n);
    return s;
  };
  for (const e of entries) if (!referenced.has(e.path)) subtree(e.path);
  return counts;
}

/**
 * Reference 2, per path: walk backwards to collect y's ancestors, count
 * root-to-v walks by memoised recursion over referrers, and sum.
 */
export function ancestorSumReference(entries: PathInfoEntry[]): Map<string, bigint> {
  const referrers = new Map<string, string[]>(entries.map((e) => [e.path, []]));
  for (const e of entries) for (const r of new Set(e.references)) if (r !== e.path) referrers.get(r)!.push(e.path);
  const walks = new Map<string, bigint>();
  const walksTo = (v: string): bigint => {
    let w = walks.get(v);
    if (w === undefined) {
      const rs = referrers.get(v)!;
      w = rs.length === 0 ? 1n : rs.reduce((s, r) => s + walksTo(r), 0n);
      walks.set(v, w);
    }
    return w;
  };
  const result = new Map<string, bigint>();
  for (const e of entries) {
    const seen = new Set<string>([e.path]);
    const todo = [e.path];
    while (todo.length) for (const r of referrers.get(todo.pop()!)!) if (!seen.has(r)) (seen.add(r), todo.push(r));
    let sum = 0n;
    for (const v of seen) sum += walksTo(v);
    result.set(e.path, sum);
  }
  return result;
}

/** Sort by the written rule: popularity descending, then name-version-hash ascending. */
export function referenceOrder(pop: Map<string, bigint>): string[] {
  const key = (p: string) => {
    const parts = p.split("-");
    return [...parts.slice(1), parts[0]].join("-");
  };
  return [...pop.keys()].sort((a, b) => {
    const d = pop.get(b)! - pop.get(a)!;
    if (d !== 0n) return d > 0n ? 1 : -1;
    return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
  });
}
