import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { haveTools } from "../helpers/tools.js";
import { graphFromPathInfoJson, type MapClosureGraph } from "../../src/layering/graph.js";
import { whyDepends } from "../../src/layering/whyDepends.js";
import { formatGraph, formatTree } from "../../src/layering/formatters.js";
import { localStoreTree } from "../../src/layering/storeTree.js";
import { prng } from "./randomDag.js";
import { runNixBuild } from "../helpers/nixBuild.js";

/**
 * A random DAG of busybox derivations (written as a Nix expression from a
 * seeded PRNG), built with Nix 2.8: many paths of unequal length between the
 * same two paths, which is where Nix's why-depends edge order gets subtle.
 */
function randomStoreExpr(seed: number, n: number): string {
  const rnd = prng(seed);
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    // 1-4 references among the 10 previous paths: deep, with many unequal routes.
    const deps = new Set<number>();
    if (i > 0) {
      const k = 1 + Math.floor(rnd() * 4);
      for (let j = 0; j < k; j++) deps.add(Math.max(0, i - 1 - Math.floor(rnd() * 10)));
    }
    // Each reference lands in a file, some in a second file too, some only in a symlink.
    const script = [...deps]
      .map((d, j) =>
        j % 3 === 2
          ? `ln -s \${p${d}} $out/link${j}`
          : `echo dep \${p${d}} node ${i} >> $out/f${j % 2}; echo \${p${d}} >> $out/sub/again`,
      )
      .join("; ");
    lines.push(
      `  p${i} = derivation { name = "node${i}-${Math.floor(rnd() * 3)}.0"; inherit system; builder = "/bin/sh"; args = [ "-c" "mkdir -p $out/sub; touch $out/sub/again; ${script}" ]; };`,
    );
  }
  return `let system = "x86_64-linux"; in rec {\n${lines.join("\n")}\n}\n`;
}

describe.skipIf(!haveTools("nix-build", "nix", "nix-store"))("why-depends on a random store, against Nix 2.8", () => {
  const N = 40;
  let dir: string;
  let paths: string[];
  let graph: MapClosureGraph;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "nixoci-layering-rnd-"));
    writeFileSync(join(dir, "dag.nix"), randomStoreExpr(2, N));
    const attrs = Array.from({ length: N }, (_, i) => ["-A", `p${i}`]).flat();
    paths = runNixBuild("nix-build", ["--store", join(dir, "s"), "--no-out-link", join(dir, "dag.nix"), ...attrs])
      .trim()
      .split("\n");
    graph = graphFromPathInfoJson(
      execFileSync("nix", ["path-info", "--store", join(dir, "s"), "-r", "--json", ...paths], { encoding: "utf8" }),
    );
  }, 180_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Nix 2.8 orders edges by distances from a priority queue keyed by node
  // address: on this graph many pairs come out differently from a true
  // shortest-path order, so these comparisons pin that behaviour down.
  it("--all for every top path and dependency; --precise --all for some", async () => {
    let compared = 0;
    for (let a = N - 1; a >= N - 6; a--) {
      for (let b = 0; b < N - 12; b += 2) {
        const flags = (a + b) % 5 === 0 ? ["--all", "--precise"] : ["--all"];
        const ours = await whyDepends(graph, paths[a]!, paths[b]!, {
          all: true,
          precise: flags.includes("--precise"),
          files: localStoreTree(join(dir, "s")),
        });
        if (!ours.dependent) continue;
        const nix = execFileSync("nix", ["why-depends", "--store", join(dir, "s"), ...flags, paths[a]!, paths[b]!], {
          encoding: "utf8",
        });
        expect(`${a} ${b} ${flags}\n${ours.output}`).toBe(`${a} ${b} ${flags}\n${nix}`);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(40);
    for (const root of paths.slice(N - 6)) {
      const tree = execFileSync("nix-store", ["--store", join(dir, "s"), "-q", "--tree", root], { encoding: "utf8" });
      expect(formatTree(graph, [root])).toBe(tree);
      const dot = execFileSync("nix-store", ["--store", join(dir, "s"), "-q", "--graph", root], { encoding: "utf8" });
      expect(formatGraph(graph, [root])).toBe(dot);
    }
  }, 120_000);
});
