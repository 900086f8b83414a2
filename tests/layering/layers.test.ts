import { describe, expect, it } from "vitest";
import { MapClosureGraph, type PathInfoEntry } from "../../src/layering/graph.js";
import { runtimeClosure } from "../../src/layering/closure.js";
import { popularityContest } from "../../src/layering/popularity.js";
import {
  availableLayers,
  imagePopularityOrder,
  popularityLayers,
  sharedBytes,
  splitByOrder,
} from "../../src/layering/layers.js";
import { sizeLayers } from "../../src/layering/sizeLayers.js";
import { LayerBudgetError } from "../../src/layering/errors.js";
import { prng, randomDag } from "./randomDag.js";

describe("streamLayeredImage's layer budget and split", () => {
  it("counts the customisation layer and base-image layers against maxLayers", () => {
    expect(availableLayers(100)).toBe(99);
    expect(availableLayers(100, 10)).toBe(89);
    expect(availableLayers(2)).toBe(1);
    expect(() => availableLayers(1)).toThrow(LayerBudgetError);
    expect(() => availableLayers(100, 99)).toThrow(/usedLayers 100 layers to store 'fromImage'/);
  });

  // The nixpkgs comment asks for exactly these sizes: available-1, available, available+1 and 0.
  it.each([
    [0, []],
    [3, [["p0"], ["p1"], ["p2"]]],
    [4, [["p0"], ["p1"], ["p2"], ["p3"]]],
    [5, [["p0"], ["p1"], ["p2"], ["p3", "p4"]]],
    [7, [["p0"], ["p1"], ["p2"], ["p3", "p4", "p5", "p6"]]],
  ])("%i paths into 4 layers", (count, layers) => {
    const order = Array.from({ length: count }, (_, i) => `p${i}`);
    expect(splitByOrder(order, 4)).toEqual(layers);
  });

  it("one available layer holds everything", () => {
    expect(splitByOrder(["b", "a"], 1)).toEqual([["a", "b"]]);
  });
});

/** Store path with a fixed fake hash, for hand-made graphs. */
const sp = (hash: string, name: string) => `/nix/store/${hash.padEnd(32, "0")}-${name}`;

describe("image popularity order (the derivations streamLayeredImage adds are counted)", () => {
  it("equals the contest over an explicit graph with closure, base JSON and customisation nodes", () => {
    for (let seed = 1; seed <= 8; seed++) {
      const entries = randomDag({ nodes: 150, meanRefs: 2, seed });
      const graph = new MapClosureGraph(entries);
      const rnd = prng(seed);
      const pick = () => entries[Math.floor(rnd() * entries.length)]!.path;
      const contents = [pick(), pick(), pick()];
      const configReferences = seed % 2 ? [pick()] : [];
      const cust = sp("c", "img-customisation-layer");
      const base = sp("b", "img-base.json");
      const closure = sp("a", "closure");
      const explicit = new MapClosureGraph([
        ...entries,
        { path: closure, references: [base, cust] },
        { path: cust, references: contents },
        { path: base, references: configReferences },
      ]);
      const all = runtimeClosure(explicit, [closure]);
      const expected = popularityContest(explicit, all).order.filter((p) => ![closure, cust, base].includes(p));
      expect(imagePopularityOrder({ graph, contents, configReferences })).toEqual(expected);
    }
  });

  it("gives maxLayers-1 paths a layer each, most popular first", () => {
    const libc = sp("1", "libc-2.35");
    const ssl = sp("2", "openssl-3");
    const app = sp("3", "app-1");
    const graph = new MapClosureGraph([
      { path: libc, references: [libc] },
      { path: ssl, references: [libc] },
      { path: app, references: [ssl, libc] },
    ]);
    expect(popularityLayers({ graph, contents: [app], maxLayers: 3 })).toEqual([[libc], [app, ssl].sort()]);
    expect(popularityLayers({ graph, contents: [app] })).toEqual([[libc], [ssl], [app]]);
    expect(popularityLayers({ graph, contents: [app], maxLayers: 4, baseImageLayers: 1 })).toEqual([[libc], [app, ssl].sort()]);
  });
});

/** Two related images: one shared base closure, each with its own small app on top. */
function relatedImages(): { graph: MapClosureGraph; a: string[]; b: string[] } {
  const base = randomDag({ nodes: 600, meanRefs: 3, seed: 99, window: 80 });
  const rnd = prng(5);
  const top = base.slice(-120).map((e) => e.path);
  const app = (tag: string, n: number): PathInfoEntry[] => {
    const out: PathInfoEntry[] = [];
    for (let i = 0; i < n; i++) {
      const refs = new Set<string>();
      for (let k = 0; k < 12; k++) refs.add(top[Math.floor(rnd() * top.length)]!);
      if (i > 0) refs.add(out[i - 1]!.path);
      out.push({ path: sp(`${tag}${i}`, `app-${tag}-${i}`), narSize: 200_000 + Math.floor(rnd() * 2e6), references: [...refs] });
    }
    return out;
  };
  const appA = app("a", 6);
  const appB = app("b", 6);
  const graph = new MapClosureGraph([...base, ...appA, ...appB]);
  return { graph, a: [appA.at(-1)!.path], b: [appB.at(-1)!.path] };
}

describe("size-aware layering", () => {
  it("covers every closure path once, within maxLayers, deterministically", () => {
    const { graph, a } = relatedImages();
    const closure = runtimeClosure(graph, a);
    for (const maxLayers of [2, 10, 40, 100]) {
      const layers = sizeLayers({ graph, contents: a, maxLayers, minLayerBytes: 1 << 20, maxLayerBytes: 64 << 20 });
      expect(layers.length).toBeLessThanOrEqual(maxLayers - 1);
      expect(layers.flat().sort()).toEqual([...closure].sort());
      for (const l of layers) expect([...l].sort((x, y) => (x.slice(11) < y.slice(11) ? -1 : 1))).toEqual(l);
      expect(sizeLayers({ graph, contents: a, maxLayers, minLayerBytes: 1 << 20, maxLayerBytes: 64 << 20 })).toEqual(layers);
    }
  });

  it("keeps big paths alone and packs small ones", () => {
    const big = sp("9", "big-1");
    const small = Array.from({ length: 8 }, (_, i) => sp(`${i}`, `small-${i}`));
    const root = sp("r", "root");
    const graph = new MapClosureGraph([
      { path: big, narSize: 100 << 20, references: [] },
      ...small.map((path) => ({ path, narSize: 1000, references: [] })),
      { path: root, narSize: 1000, references: [big, ...small] },
    ]);
    const layers = sizeLayers({ graph, contents: [root], minLayerBytes: 1 << 20, maxLayerBytes: 50 << 20 });
    expect(layers).toContainEqual([big]);
    expect(layers.length).toBe(2);
  });

  it("shares more bytes than popularity layering between two related images", () => {
    const { graph, a, b } = relatedImages();
    const size = (p: string) => graph.narSize(p);
    const total = runtimeClosure(graph, a).reduce((s, p) => s + size(p), 0);
    const rows: string[] = [];
    let wins = 0;
    for (const maxLayers of [20, 50, 100]) {
      const popShared = sharedBytes(
        popularityLayers({ graph, contents: a, maxLayers }),
        popularityLayers({ graph, contents: b, maxLayers }),
        size,
      );
      const opts = { maxLayers, minLayerBytes: 2 << 20, maxLayerBytes: 64 << 20 };
      const sizeShared = sharedBytes(sizeLayers({ graph, contents: a, ...opts }), sizeLayers({ graph, contents: b, ...opts }), size);
      rows.push(
        `maxLayers ${maxLayers}: popularity shares ${(popShared / 2 ** 20).toFixed(1)} MiB, size ${(sizeShared / 2 ** 20).toFixed(1)} MiB of ${(total / 2 ** 20).toFixed(1)} MiB`,
      );
      if (sizeShared > popShared) wins++;
    }
    console.log(rows.join("\n"));
    expect(wins).toBe(3);
  });

  it("sharedBytes counts identical layers once", () => {
    const g = new MapClosureGraph([
      { path: "/nix/store/a-x", narSize: 10, references: [] },
      { path: "/nix/store/b-y", narSize: 5, references: [] },
    ]);
    const s = (p: string) => g.narSize(p);
    expect(sharedBytes([["/nix/store/a-x"], ["/nix/store/b-y"]], [["/nix/store/a-x"]], s)).toBe(10);
    expect(sharedBytes([["/nix/store/a-x", "/nix/store/b-y"]], [["/nix/store/b-y", "/nix/store/a-x"]], s)).toBe(15);
    expect(sharedBytes([["/nix/store/a-x"], ["/nix/store/a-x"]], [["/nix/store/a-x"]], s)).toBe(10);
  });
});
