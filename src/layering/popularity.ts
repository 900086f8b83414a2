import { ReferenceCycleError, UnknownPathError } from "./errors.js";
import { compareStrings, type ClosureGraph } from "./graph.js";

/**
 * nixpkgs' referencesByPopularity (build-support/references-by-popularity/
 * closure-graph.py), computed without unfolding the tree.
 *
 * The script unfolds the graph into a tree from every root (a path no other
 * path refers to), then for each tree node adds 1 to every distinct path in
 * that node's subtree. So the popularity of y is the number of tree nodes
 * whose subtree contains y: the sum, over y and every ancestor v of y, of
 * T(v), the number of times v occurs in the unfolded forest (= the number of
 * root-to-v walks). Self-references are ignored, as the script drops them.
 *
 * Counts grow like path counts, i.e. exponentially in depth: we add in
 * doubles and redo the sums in BigInt when anything passes 2^53, because the
 * script's Python ints are exact and ties decide the order.
 */
export interface PopularityResult {
  /** Most popular first, ties by packageName; exactly the script's output order. */
  readonly order: readonly string[];
  /** The script's popularity count of every path. */
  readonly popularity: ReadonlyMap<string, bigint>;
  /** Paths nothing else refers to (the script's find_roots). */
  readonly roots: readonly string[];
}

/** The script's tie-break key: name first, hash prefix moved to the end (`a-b-c` → `b-c-a`). */
export function packageNameKey(path: string): string {
  const dash = path.indexOf("-");
  return dash < 0 ? path : `${path.slice(dash + 1)}-${path.slice(0, dash)}`;
}

/** Dense index of a closed path set: children without self-references, topological order from the roots. */
interface IndexedDag {
  paths: string[];
  children: Int32Array[];
  /** Node indices, every referrer before its references. */
  topo: Int32Array;
  roots: number[];
}

function indexDag(graph: ClosureGraph, closurePaths: Iterable<string>): IndexedDag {
  const paths = [...new Set(closurePaths)].sort(compareStrings);
  const index = new Map<string, number>();
  paths.forEach((p, i) => index.set(p, i));
  const n = paths.length;
  const children: Int32Array[] = new Array(n);
  const indegree = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const own = new Set<number>();
    for (const ref of graph.references(paths[i]!)) {
      if (ref === paths[i]) continue;
      const j = index.get(ref);
      if (j === undefined) throw new UnknownPathError(ref, paths[i]);
      own.add(j);
    }
    const arr = Int32Array.from(own).sort();
    children[i] = arr;
    for (const j of arr) indegree[j]!++;
  }
  const roots: number[] = [];
  for (let i = 0; i < n; i++) if (indegree[i] === 0) roots.push(i);
  const topo = new Int32Array(n);
  let head = 0;
  let tail = 0;
  for (const r of roots) topo[tail++] = r;
  const remaining = Int32Array.from(indegree);
  while (head < tail) {
    const v = topo[head++]!;
    for (const c of children[v]!) if (--remaining[c]! === 0) topo[tail++] = c;
  }
  if (tail < n) throw cycleError(paths, children, remaining);
  return { paths, children, topo, roots };
}

function cycleError(paths: string[], children: Int32Array[], remaining: Int32Array): ReferenceCycleError {
  for (let v = 0; v < paths.length; v++) {
    if (remaining[v] === 0) continue;
    for (const c of children[v]!) if (remaining[c]! > 0) return new ReferenceCycleError(paths[c]!, paths[v]!);
  }
  return new ReferenceCycleError(paths[0]!, paths[0]!);
}

/** Words of reachability bits per node per pass: 64 × 32 = 2048 source nodes per pass. */
const WORDS = 64;

/**
 * For every node y, calls add(y, v) for each v among y and its ancestors, in
 * passes over blocks of sources in topological order (reachability bits are
 * pushed along edges), so memory stays O(nodes × WORDS).
 */
function forEachAncestorPair(dag: IndexedDag, add: (y: number, v: number) => void): void {
  const n = dag.paths.length;
  const pos = new Int32Array(n);
  dag.topo.forEach((v, i) => (pos[v] = i));
  const block = WORDS * 32;
  const mask = new Uint32Array(n * WORDS);
  for (let start = 0; start < n; start += block) {
    const end = Math.min(n, start + block);
    mask.fill(0);
    for (let i = start; i < end; i++) {
      const v = dag.topo[i]!;
      const bit = i - start;
      mask[v * WORDS + (bit >>> 5)] |= 1 << (bit & 31);
    }
    // Sources only reach nodes later in topological order.
    for (let i = start; i < n; i++) {
      const v = dag.topo[i]!;
      const base = v * WORDS;
      let any = 0;
      for (let w = 0; w < WORDS; w++) any |= mask[base + w]!;
      if (any === 0) continue;
      for (const c of dag.children[v]!) {
        const cb = c * WORDS;
        for (let w = 0; w < WORDS; w++) mask[cb + w] |= mask[base + w]!;
      }
      for (let w = 0; w < WORDS; w++) {
        let bits = mask[base + w]!;
        while (bits !== 0) {
          const low = bits & -bits;
          const b = 31 - Math.clz32(low);
          add(v, dag.topo[start + w * 32 + b]!);
          bits ^= low;
        }
      }
    }
  }
}

/** Popularity of every path of a closed path set, and the script's order. */
export function popularityContest(graph: ClosureGraph, closurePaths: Iterable<string>): PopularityResult {
  const dag = indexDag(graph, closurePaths);
  const n = dag.paths.length;

  // T(v): occurrences of v in the forest unfolded from the roots.
  const occurrences = new Float64Array(n);
  for (const r of dag.roots) occurrences[r] = 1;
  for (const v of dag.topo) for (const c of dag.children[v]!) occurrences[c] += occurrences[v]!;

  const approx = new Float64Array(n);
  forEachAncestorPair(dag, (y, v) => (approx[y] += occurrences[v]!));

  let exact: bigint[];
  if (approx.every((x) => x <= Number.MAX_SAFE_INTEGER)) {
    // Every partial sum is below the final one, so all additions were exact.
    exact = Array.from(approx, (x) => BigInt(x));
  } else {
    const occ: bigint[] = new Array(n).fill(0n);
    for (const r of dag.roots) occ[r] = 1n;
    for (const v of dag.topo) for (const c of dag.children[v]!) occ[c] = occ[c]! + occ[v]!;
    exact = new Array(n).fill(0n);
    forEachAncestorPair(dag, (y, v) => (exact[y] = exact[y]! + occ[v]!));
  }

  const keys = dag.paths.map(packageNameKey);
  const idx = Array.from({ length: n }, (_, i) => i);
  idx.sort((a, b) => {
    const pa = exact[a]!;
    const pb = exact[b]!;
    if (pa !== pb) return pa > pb ? -1 : 1;
    return compareStrings(keys[a]!, keys[b]!);
  });
  const popularity = new Map<string, bigint>();
  for (let i = 0; i < n; i++) popularity.set(dag.paths[i]!, exact[i]!);
  return {
    order: idx.map((i) => dag.paths[i]!),
    popularity,
    roots: dag.roots.map((r) => dag.paths[r]!),
  };
}
