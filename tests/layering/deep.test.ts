import { describe, expect, it } from "vitest";
import { MapClosureGraph } from "../../src/layering/graph.js";
import { runtimeClosure, topoSortPaths } from "../../src/layering/closure.js";
import { popularityContest } from "../../src/layering/popularity.js";
import { formatTree } from "../../src/layering/formatters.js";
import { findDisallowed } from "../../src/layering/disallowed.js";
import { whyDepends } from "../../src/layering/whyDepends.js";

/** A 25 000-path chain: deep enough to overflow any recursive walk. */
const N = 25_000;
const path = (i: number) => `/nix/store/${String(i).padStart(32, "0")}-p${i}`;
const graph = new MapClosureGraph(
  Array.from({ length: N }, (_, i) => ({ path: path(i), narSize: 1, references: i + 1 < N ? [path(i + 1), path(i)] : [] })),
);

describe("deep graphs", () => {
  it("closure, topological sort, tree, popularity and disallowed chains do not recurse", () => {
    expect(runtimeClosure(graph, [path(0)]).length).toBe(N);
    const topo = topoSortPaths(graph, runtimeClosure(graph, [path(0)]));
    expect(topo[0]).toBe(path(0));
    expect(topo[N - 1]).toBe(path(N - 1));
    // The tree's indentation grows with depth (quadratic output), so a 3 000-deep part of it.
    const tree = formatTree(graph, [path(N - 3000)]);
    expect(tree.split("\n").length).toBe(2 * 3000); // each path, its self-reference as [...], a final newline
    const contest = popularityContest(graph, runtimeClosure(graph, [path(0)]));
    expect(contest.order[0]).toBe(path(N - 1));
    expect(contest.popularityOf(path(N - 1))).toBe(BigInt(N));
    expect(findDisallowed(graph, [path(0)], [`p${N - 1}`])[0]!.chain.length).toBe(N);
  });

  it("why-depends follows a 2 000-path chain", async () => {
    const r = await whyDepends(graph, path(N - 2000), path(N - 1));
    expect(r.dependent && r.output.split("\n").length).toBe(2001);
  });
});
