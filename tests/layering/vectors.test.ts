import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { graphFromPathInfoJson } from "../../src/layering/graph.js";
import { whyDepends } from "../../src/layering/whyDepends.js";
import { formatGraph, formatPathInfo, formatTree } from "../../src/layering/formatters.js";
import { popularityContest } from "../../src/layering/popularity.js";
import { popularityLayers } from "../../src/layering/layers.js";
import { runtimeClosure } from "../../src/layering/closure.js";
import { referenceOrder, unfoldingReference } from "./popularityReference.js";

/** Nix 2.8 outputs recorded by tests/fixtures/layering/generate.sh: these run without Nix. */
const dir = new URL("../fixtures/layering/vectors/", import.meta.url).pathname;
const vector = (name: string) => readFileSync(dir + name, "utf8");
const graph = graphFromPathInfoJson(vector("path-info.json"));
const p = JSON.parse(vector("paths.json")) as Record<"app" | "app2" | "libc" | "liby", string>;

describe("recorded Nix 2.8 vectors", () => {
  it("why-depends plain and --all", async () => {
    const text = async (a: string, b: string, all: boolean) => {
      const r = await whyDepends(graph, a, b, { all });
      return r.dependent ? r.output : r.message;
    };
    expect(await text(p.app, p.libc, false)).toBe(vector("why-depends-app-libc.txt"));
    expect(await text(p.app, p.libc, true)).toBe(vector("why-depends-all-app-libc.txt"));
    expect(await text(p.app, p.liby, true)).toBe(vector("why-depends-all-app-liby.txt"));
  });

  it("nix-store -q --tree / --graph and nix path-info -rsS / -rsSh", () => {
    expect(formatTree(graph, [p.app, p.app2])).toBe(vector("tree-app-app2.txt"));
    expect(formatGraph(graph, [p.app, p.app2])).toBe(vector("graph-app-app2.dot"));
    expect(formatPathInfo(graph, [p.app, p.app2], { recursive: true, size: true, closureSize: true })).toBe(vector("path-info-rsS.txt"));
    expect(formatPathInfo(graph, [p.app, p.app2], { recursive: true, size: true, closureSize: true, humanReadable: true })).toBe(
      vector("path-info-rsSh.txt"),
    );
  });

  it("popularity layering of the real closure matches the literal tree unfolding", () => {
    const closure = runtimeClosure(graph, [p.app, p.app2]);
    const entries = closure.map((path) => ({ path, references: graph.references(path) }));
    const expected = referenceOrder(unfoldingReference(entries));
    expect(popularityContest(graph, closure).order).toEqual(expected);
    // libc is referenced from everywhere: first; the two apps (roots) last.
    expect(expected[0]).toBe(p.libc);
    const layers = popularityLayers({ graph, contents: [p.app], maxLayers: 4 });
    expect(layers.length).toBe(3);
    expect(layers[0]).toEqual([p.libc]);
    expect(layers.flat().sort()).toEqual(runtimeClosure(graph, [p.app]).sort());
  });
});
