import { describe, expect, it } from "vitest";
import { MapClosureGraph } from "../../src/layering/graph.js";
import { packageNameKey, popularityContest } from "../../src/layering/popularity.js";
import { ReferenceCycleError, UnknownPathError } from "../../src/layering/errors.js";
import { randomDag } from "./randomDag.js";
import { ancestorSumReference, referenceOrder, unfoldingReference } from "./popularityReference.js";

function graphOf(refs: Record<string, string[]>): MapClosureGraph {
  return new MapClosureGraph(Object.entries(refs).map(([path, references]) => ({ path, references })));
}

function contest(refs: Record<string, string[]>) {
  const r = popularityContest(graphOf(refs), Object.keys(refs));
  return { order: r.order, popularity: Object.fromEntries(r.order.map((k) => [k, Number(r.popularityOf(k))])) };
}

describe("popularity contest: the examples documented in closure-graph.py (our own data)", () => {
  it("the A..G tree from the header comment", () => {
    const r = contest({ A: ["B", "G"], B: ["C", "E"], C: ["D", "E"], D: ["F"], E: ["F"], F: [], G: [] });
    expect(r.popularity).toEqual({ A: 1, B: 2, C: 3, D: 4, E: 5, F: 9, G: 2 });
    expect(r.order).toEqual(["F", "E", "D", "C", "B", "G", "A"]);
  });

  it("foo/bar/baz/tux counts as graph_popularity_contest's test", () => {
    const r = contest({
      "/nix/store/foo": ["/nix/store/foo", "/nix/store/bar", "/nix/store/baz"],
      "/nix/store/bar": ["/nix/store/bar", "/nix/store/baz"],
      "/nix/store/baz": ["/nix/store/baz", "/nix/store/tux"],
      "/nix/store/tux": ["/nix/store/tux"],
    });
    expect(r.popularity).toEqual({ "/nix/store/foo": 1, "/nix/store/bar": 2, "/nix/store/baz": 4, "/nix/store/tux": 6 });
    expect(r.order).toEqual(["/nix/store/tux", "/nix/store/baz", "/nix/store/bar", "/nix/store/foo"]);
  });

  it("equal popularity sorts by name (order_by_popularity's example counts)", () => {
    const r = contest({ "/nix/store/foo": ["/nix/store/tux"], "/nix/store/bar": ["/nix/store/baz"], "/nix/store/baz": [], "/nix/store/tux": [] });
    expect(r.popularity).toEqual({ "/nix/store/foo": 1, "/nix/store/bar": 1, "/nix/store/baz": 2, "/nix/store/tux": 2 });
    expect(r.order).toEqual(["/nix/store/baz", "/nix/store/tux", "/nix/store/bar", "/nix/store/foo"]);
  });

  it("roots are the paths only they themselves refer to (find_roots' example)", () => {
    const r = popularityContest(
      graphOf({
        "/nix/store/foo": ["/nix/store/foo", "/nix/store/bar"],
        "/nix/store/bar": ["/nix/store/bar", "/nix/store/tux"],
        "/nix/store/hello": [],
        "/nix/store/tux": [],
      }),
      ["/nix/store/foo", "/nix/store/bar", "/nix/store/hello", "/nix/store/tux"],
    );
    expect([...r.roots].sort()).toEqual(["/nix/store/foo", "/nix/store/hello"]);
  });

  it("package_name moves the hash to the end, so ties sort by name, then version, then hash", () => {
    expect(packageNameKey("/nix/store/abc-hello-2.1")).toBe("hello-2.1-/nix/store/abc");
    expect(packageNameKey("nodash")).toBe("nodash");
    const r = contest({
      "/nix/store/zzz-aaa-1": [],
      "/nix/store/aaa-bbb-1": [],
      "/nix/store/bbb-aaa-1": [],
      "/nix/store/ccc-aaa-0": [],
    });
    expect(r.order).toEqual(["/nix/store/ccc-aaa-0", "/nix/store/bbb-aaa-1", "/nix/store/zzz-aaa-1", "/nix/store/aaa-bbb-1"]);
  });

  it("rejects cycles between distinct paths and references outside the set", () => {
    expect(() => contest({ a: ["b"], b: ["a"], r: ["a"] })).toThrow(ReferenceCycleError);
    expect(() => popularityContest(graphOf({ a: ["b"], b: [] }), ["a"])).toThrow(UnknownPathError);
  });

  it("is independent of input order", () => {
    const entries = randomDag({ nodes: 300, meanRefs: 3, seed: 7 });
    const a = popularityContest(new MapClosureGraph(entries), entries.map((e) => e.path));
    const shuffled = [...entries].reverse().map((e) => ({ ...e, references: [...e.references].reverse() }));
    const b = popularityContest(new MapClosureGraph(shuffled), shuffled.map((e) => e.path));
    expect(b.order).toEqual(a.order);
  });
});

describe("popularity contest against independent reference implementations", () => {
  it("matches the literal tree unfolding on 12 small random DAGs", () => {
    for (let seed = 1; seed <= 12; seed++) {
      const entries = randomDag({ nodes: 12 + seed * 3, meanRefs: 1.6, seed, window: 8 });
      const ours = popularityContest(new MapClosureGraph(entries), entries.map((e) => e.path));
      const ref = unfoldingReference(entries);
      expect(new Map([...ref.keys()].map((k) => [k, ours.popularityOf(k)]))).toEqual(ref);
      expect(ours.order).toEqual(referenceOrder(ref));
    }
  });

  const configs = [
    { nodes: 50, meanRefs: 2 }, { nodes: 80, meanRefs: 4 }, { nodes: 120, meanRefs: 1 }, { nodes: 200, meanRefs: 3 },
    { nodes: 300, meanRefs: 2, window: 10 }, { nodes: 400, meanRefs: 5 }, { nodes: 500, meanRefs: 1.5, window: 30 },
    { nodes: 600, meanRefs: 3 }, { nodes: 800, meanRefs: 2 }, { nodes: 1000, meanRefs: 4, window: 50 },
    { nodes: 1200, meanRefs: 1 }, { nodes: 1500, meanRefs: 3 }, { nodes: 1800, meanRefs: 2, window: 200 },
    { nodes: 2000, meanRefs: 3 }, { nodes: 2000, meanRefs: 6, window: 40 }, { nodes: 64, meanRefs: 8 },
    { nodes: 256, meanRefs: 0.7 }, { nodes: 700, meanRefs: 2.5 }, { nodes: 900, meanRefs: 1.2, window: 5 },
    { nodes: 1100, meanRefs: 5, window: 100 }, { nodes: 2000, meanRefs: 1.1 }, { nodes: 1600, meanRefs: 8, window: 25 },
  ];
  it(`matches the per-path ancestor sums on ${configs.length} random DAGs of 50-2000 paths`, () => {
    let beyondDoubles = 0;
    configs.forEach((c, i) => {
      const entries = randomDag({ ...c, seed: 1000 + i });
      const ours = popularityContest(new MapClosureGraph(entries), entries.map((e) => e.path));
      const ref = ancestorSumReference(entries);
      expect(new Map([...ref.keys()].map((k) => [k, ours.popularityOf(k)]))).toEqual(ref);
      expect(ours.order).toEqual(referenceOrder(ref));
      if ([...ref.values()].some((v) => v > BigInt(Number.MAX_SAFE_INTEGER))) beyondDoubles++;
    });
    // Deep dense graphs overflow doubles: the exact (BigInt) path must have been exercised.
    expect(beyondDoubles).toBeGreaterThan(0);
  });
});
