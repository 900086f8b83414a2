// Layering a 20 000-path closure: popularity contest + streamLayeredImage split,
// and the size-aware strategy. Run after `npm run build`:
//   node bench/layering.bench.mjs
// With CLOSURE_GRAPH_PY=/path/to/nixpkgs/closure-graph.py it also times the
// nixpkgs script on the same graph and prints the ratio.
import { execFileSync } from "node:child_process";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MapClosureGraph, popularityContest, popularityLayers, sizeLayers } from "../dist/layering/index.js";

function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Store-like DAG: paths in 30 dependency levels (runtime closures are wide and
 * shallow), each referring to up to 5 paths of lower levels, a third of them
 * to a popular core (libc, libgcc…) and the rest mostly to the levels just below.
 */
function storeLikeGraph(n, seed) {
  const rnd = prng(seed);
  const chars = "0123456789abcdfghijklmnpqrsvwxyz";
  const levels = 30;
  const perLevel = Math.ceil(n / levels);
  const paths = [];
  for (let i = 0; i < n; i++) {
    let h = "";
    for (let k = 0; k < 32; k++) h += chars[Math.floor(rnd() * 32)];
    paths.push(`/nix/store/${h}-pkg${i % 997}-${i % 7}.${i % 3}`);
  }
  return paths.map((path, i) => {
    const level = Math.floor(i / perLevel);
    const refs = new Set([path]);
    if (level > 0) {
      const k = Math.floor(rnd() * 6);
      for (let j = 0; j < k; j++) {
        const target = rnd() < 0.3
          ? Math.floor(rnd() * 40)
          : (Math.max(0, level - 1 - Math.floor(rnd() * 3)) * perLevel) + Math.floor(rnd() * perLevel);
        refs.add(paths[Math.min(target, i - 1)]);
      }
    }
    return { path, narSize: Math.floor(Math.exp(rnd() * 16)) * 8 + 120, references: [...refs] };
  });
}

const N = 20_000;
const entries = storeLikeGraph(N, 1);
const graph = new MapClosureGraph(entries);
const all = entries.map((e) => e.path);
const referenced = new Set(entries.flatMap((e) => e.references.filter((r) => r !== e.path)));
const contents = all.filter((p) => !referenced.has(p));

/** Best of `runs`; CPU time is printed too, as wall time on a shared machine says little. */
function time(label, f, runs = 3) {
  let best = Infinity;
  let bestCpu = Infinity;
  let result;
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    result = f();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
    const c = process.cpuUsage(c0);
    bestCpu = Math.min(bestCpu, (c.user + c.system) / 1000);
  }
  console.log(`${label}: ${best.toFixed(1)} ms wall, ${bestCpu.toFixed(1)} ms CPU`);
  return { ms: best, result };
}

console.log(`graph: ${N} paths, ${entries.reduce((s, e) => s + e.references.length, 0)} references, ${contents.length} roots`);
const contest = time("popularity contest (nixpkgs order)", () => popularityContest(graph, all));
console.log(`highest popularity: ${contest.result.popularityOf(contest.result.order[0])} (doubles are exact up to 2^53 = ${2 ** 53})`);
time("popularityLayers (maxLayers 100)", () => popularityLayers({ graph, contents }));
time("sizeLayers (maxLayers 100)", () => sizeLayers({ graph, contents }));

if (process.env.CLOSURE_GRAPH_PY) {
  const dir = mkdtempSync(join(tmpdir(), "layering-bench-"));
  writeFileSync(join(dir, "g.json"), JSON.stringify({ g: entries.map(({ path, references }) => ({ path, references })) }));
  const t0 = process.hrtime.bigint();
  const out = execFileSync("python3", [process.env.CLOSURE_GRAPH_PY, join(dir, "g.json"), "g"], { encoding: "utf8", maxBuffer: 1 << 28 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const same = out.trimEnd().split("\n").join("\n") === contest.result.order.join("\n");
  console.log(`closure-graph.py: ${ms.toFixed(1)} ms (ratio ${(ms / contest.ms).toFixed(1)}x), same order: ${same}`);
}
