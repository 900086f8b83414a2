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
 * doubles and settle near-ties above 2^52 in BigInt, because the script's
 * Python ints are exact and ties decide the order.
 */
export interface PopularityResult {
  /** Most popular first, ties by packageName; exactly the script's output order. */
  readonly order: readonly string[];
  /** The script's popularity count of a path (exact; computed on demand when above 2^53). */
  popularityOf(path: string): bigint;
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
 * approx[y] = Σ weight[v] over y and its ancestors v, in doubles. Passes over
 * blocks of 2048 sources in topological order push reachability bits along
 * the edges (memory O(nodes × WORDS)); each 32-bit word of a node's mask is
 * then summed with four 256-entry tables of partial weight sums.
 */
function ancestorSums(dag: IndexedDag, weight: Float64Array): Float64Array {
  const n = dag.paths.length;
  const sums = new Float64Array(n);
  const block = WORDS * 32;
  const mask = new Uint32Array(n * WORDS);
  const table = new Float64Array(WORDS * 4 * 256);
  const nonZero = new Int32Array(WORDS);
  for (let start = 0; start < n; start += block) {
    const end = Math.min(n, start + block);
    mask.fill(0);
    table.fill(0);
    for (let i = start; i < end; i++) {
      const bit = i - start;
      mask[dag.topo[i]! * WORDS + (bit >>> 5)] |= 1 << (bit & 31);
    }
    // table[(w*4+k)*256 + b]: total weight of the sources behind bits b of byte k of word w.
    for (let t = 0; t < WORDS * 4; t++) {
      const base = t * 256;
      for (let b = 1; b < 256; b++) {
        const low = b & -b;
        const i = start + t * 8 + (31 - Math.clz32(low));
        table[base + b] = table[base + (b ^ low)]! + (i < end ? weight[dag.topo[i]!]! : 0);
      }
    }
    // Sources only reach nodes later in topological order. Masks are mostly
    // sparse, so list the non-zero words once and touch only those.
    for (let i = start; i < n; i++) {
      const v = dag.topo[i]!;
      const base = v * WORDS;
      let count = 0;
      for (let w = 0; w < WORDS; w++) if (mask[base + w] !== 0) nonZero[count++] = w;
      if (count === 0) continue;
      let sum = 0;
      for (let k = 0; k < count; k++) {
        const w = nonZero[k]!;
        const bits = mask[base + w]!;
        const tb = w * 1024;
        sum += table[tb + (bits & 255)]! + table[tb + 256 + ((bits >>> 8) & 255)]! +
          table[tb + 512 + ((bits >>> 16) & 255)]! + table[tb + 768 + (bits >>> 24)]!;
      }
      sums[v] += sum;
      for (const c of dag.children[v]!) {
        const cb = c * WORDS;
        for (let k = 0; k < count; k++) {
          const w = nonZero[k]!;
          mask[cb + w] |= mask[base + w]!;
        }
      }
    }
  }
  return sums;
}

/** Exact Σ weight over y and its ancestors, by walking the referrers. */
function exactAncestorSum(y: number, referrers: number[][], weight: bigint[]): bigint {
  const seen = new Set<number>([y]);
  const todo = [y];
  let sum = 0n;
  while (todo.length > 0) {
    const v = todo.pop()!;
    sum += weight[v]!;
    for (const r of referrers[v]!) if (!seen.has(r)) (seen.add(r), todo.push(r));
  }
  return sum;
}

/** Relative gap under which two double sums above 2^53 might be in the wrong order (error ≤ n·ε ≪ this). */
const TIE_TOLERANCE = 1e-9;

/** Popularity of every path of a closed path set, and the script's order. */
export function popularityContest(graph: ClosureGraph, closurePaths: Iterable<string>): PopularityResult {
  const dag = indexDag(graph, closurePaths);
  const n = dag.paths.length;

  // T(v): occurrences of v in the forest unfolded from the roots.
  const occurrences = new Float64Array(n);
  for (const r of dag.roots) occurrences[r] = 1;
  for (const v of dag.topo) for (const c of dag.children[v]!) occurrences[c] += occurrences[v]!;
  const approx = ancestorSums(dag, occurrences);

  const keys = dag.paths.map(packageNameKey);
  const byKey = (a: number, b: number) => compareStrings(keys[a]!, keys[b]!);
  const idx = Array.from({ length: n }, (_, i) => i);
  idx.sort((a, b) => approx[b]! - approx[a]! || byKey(a, b));

  // Below 2^53 every partial sum is an exact integer, so the doubles are the
  // script's counts. Above, runs of nearly equal sums are re-sorted by their
  // BigInt values (the doubles' error, about n·ε relative, is far below the
  // tolerance, so sums further apart are already in the right order).
  // Below 2^52 the sums are certainly exact; the BigInt machinery is built lazily.
  const exact = new Map<number, bigint>();
  let occ: bigint[] | undefined;
  let referrers: number[][] | undefined;
  const exactOf = (y: number): bigint => {
    if (approx[y]! <= Number.MAX_SAFE_INTEGER / 2) return BigInt(approx[y]!);
    let e = exact.get(y);
    if (e === undefined) {
      if (!occ || !referrers) {
        occ = new Array(n).fill(0n);
        for (const r of dag.roots) occ[r] = 1n;
        for (const v of dag.topo) for (const c of dag.children[v]!) occ[c] = occ[c]! + occ[v]!;
        referrers = Array.from({ length: n }, () => []);
        for (let v = 0; v < n; v++) for (const c of dag.children[v]!) referrers[c]!.push(v);
      }
      exact.set(y, (e = exactAncestorSum(y, referrers, occ)));
    }
    return e;
  };
  if (!approx.every((x) => x <= Number.MAX_SAFE_INTEGER / 2)) {
    const near = (a: number, b: number) => {
      const x = approx[a]!;
      const y = approx[b]!;
      if (!Number.isFinite(x) || !Number.isFinite(y)) return true;
      return Math.max(x, y) > Number.MAX_SAFE_INTEGER / 2 && Math.abs(x - y) <= TIE_TOLERANCE * Math.max(x, y);
    };
    for (let i = 0; i < n; ) {
      let j = i + 1;
      while (j < n && near(idx[j - 1]!, idx[j]!)) j++;
      if (j - i > 1) {
        const run = idx.slice(i, j);
        run.sort((a, b) => {
          const ea = exactOf(a);
          const eb = exactOf(b);
          return ea !== eb ? (ea > eb ? -1 : 1) : byKey(a, b);
        });
        idx.splice(i, run.length, ...run);
      }
      i = j;
    }
  }

  const index = new Map<string, number>();
  dag.paths.forEach((p, i) => index.set(p, i));
  return {
    order: idx.map((i) => dag.paths[i]!),
    popularityOf: (path) => {
      const i = index.get(path);
      if (i === undefined) throw new UnknownPathError(path);
      return exactOf(i);
    },
    roots: dag.roots.map((r) => dag.paths[r]!),
  };
}
