/** Deterministic synthetic closures for layering tests and the benchmark. */
import type { PathInfoEntry } from "../../src/layering/graph.js";

/** mulberry32: small, fast, deterministic PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NIX32 = "0123456789abcdfghijklmnpqrsvwxyz";
const NAMES = ["glibc", "bash", "zlib", "openssl", "libffi", "python3", "perl", "gcc-lib", "ncurses", "xz", "attr", "acl"];

export interface DagOptions {
  nodes: number;
  /** Average references per path. */
  meanRefs: number;
  seed: number;
  /** Probability that a path refers to itself. */
  selfRefs?: number;
  /** How far back (in creation order) references reach; small = long chains. */
  window?: number;
}

/**
 * A random DAG shaped like a store: path i may only refer to paths created
 * before it, names repeat (so ties are broken by hash), sizes are skewed.
 */
export function randomDag(o: DagOptions): PathInfoEntry[] {
  const rnd = prng(o.seed);
  const paths: string[] = [];
  for (let i = 0; i < o.nodes; i++) {
    let h = "";
    for (let k = 0; k < 32; k++) h += NIX32[Math.floor(rnd() * 32)];
    const name = NAMES[Math.floor(rnd() * NAMES.length)]!;
    const version = `${1 + Math.floor(rnd() * 3)}.${Math.floor(rnd() * 10)}`;
    paths.push(`/nix/store/${h}-${name}-${version}`);
  }
  const window = o.window ?? o.nodes;
  return paths.map((path, i) => {
    const refs = new Set<string>();
    if (i > 0) {
      const count = Math.floor(rnd() * 2 * o.meanRefs + 0.5);
      for (let k = 0; k < count; k++) {
        const lo = Math.max(0, i - window);
        refs.add(paths[lo + Math.floor(rnd() * (i - lo))]!);
      }
    }
    if (rnd() < (o.selfRefs ?? 0.3)) refs.add(path);
    const narSize = Math.floor(Math.exp(rnd() * 16)) * 8 + 120;
    return { path, narSize, references: [...refs] };
  });
}
