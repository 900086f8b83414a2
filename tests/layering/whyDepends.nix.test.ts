import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { haveTools } from "../helpers/tools.js";
import { graphFromPathInfoJson, type MapClosureGraph } from "../../src/layering/graph.js";
import { whyDepends } from "../../src/layering/whyDepends.js";
import { formatGraph, formatPathInfo, formatTree } from "../../src/layering/formatters.js";
import { localStoreTree } from "../../src/layering/storeTree.js";
import { registerWhyDepends } from "../../src/cli/commands/why-depends.js";
import { runNixBuild } from "../helpers/nixBuild.js";

/*
 * Oracle: Nix 2.8 itself. The derivations are built into a throw-away store
 * (`--store DIR`), their path-info JSON becomes our graph, and every output is
 * compared byte for byte with what `nix why-depends` / `nix-store -q` print.
 */
const fixture = new URL("../fixtures/layering/closures.nix", import.meta.url).pathname;

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 26 });
}

describe.skipIf(!haveTools("nix-build", "nix", "nix-store"))("formatters against Nix 2.8", () => {
  let store: string;
  let out: Record<string, string>;
  let graph: MapClosureGraph;

  beforeAll(() => {
    store = mkdtempSync(join(tmpdir(), "nixoci-layering-"));
    const attrs = ["libc", "liby", "libx", "tool", "data", "app", "app2"];
    const paths = runNixBuild("nix-build", ["--store", store, "--no-out-link", fixture, ...attrs.flatMap((a) => ["-A", a])])
      .trim()
      .split("\n");
    out = Object.fromEntries(attrs.map((a, i) => [a, paths[i]!]));
    graph = graphFromPathInfoJson(run("nix", ["path-info", "--store", store, "-r", "--json", out.app!, out.app2!]));
  }, 120_000);
  afterAll(() => rmSync(store, { recursive: true, force: true }));

  const pairs: [string, string][] = [
    ["app", "libc"], ["app", "liby"], ["app", "libx"], ["app", "data"], ["app2", "libc"],
    ["libx", "libc"], ["tool", "libc"], ["tool", "tool"], ["app", "app"], ["app", "app2"],
  ];
  const flagSets = [[], ["--all"], ["--precise"], ["--precise", "--all"]];

  it("why-depends, plain / --all / --precise / --precise --all", async () => {
    for (const [a, b] of pairs) {
      for (const flags of flagSets) {
        const expected = execFileSync("nix", ["why-depends", "--store", store, ...flags, out[a]!, out[b]!], {
          encoding: "utf8",
          stdio: ["ignore", "pipe", "pipe"],
        });
        const ours = await whyDepends(graph, out[a]!, out[b]!, {
          all: flags.includes("--all"),
          precise: flags.includes("--precise"),
          files: localStoreTree(store),
        });
        const text = ours.dependent ? ours.output : "";
        expect({ pair: `${a} ${b} ${flags.join(" ")}`, text }).toEqual({ pair: `${a} ${b} ${flags.join(" ")}`, text: expected });
      }
    }
  });

  it("reports a path outside the closure as Nix does", async () => {
    const r = await whyDepends(graph, out.tool!, out.data!);
    expect(r).toEqual({ dependent: false, message: `'${out.tool}' does not depend on '${out.data}'` });
    const err = execFileSync("sh", ["-c", `nix why-depends --store ${store} ${out.tool} ${out.data} 2>&1`], { encoding: "utf8" });
    expect(err).toBe(`${r.dependent ? "" : r.message}\n`);
  });

  it("nix-store -q --tree and --graph, one and two roots", () => {
    for (const roots of [[out.app!], [out.app!, out.app2!], [out.libx!], [out.tool!]]) {
      expect(formatTree(graph, roots)).toBe(run("nix-store", ["--store", store, "-q", "--tree", ...roots]));
      expect(formatGraph(graph, roots)).toBe(run("nix-store", ["--store", store, "-q", "--graph", ...roots]));
    }
  });

  it("nix path-info -r with -s, -S, -h", () => {
    for (const flags of [["-r"], ["-rs"], ["-rsS"], ["-rsSh"], ["-rSh"], ["-s"]]) {
      const roots = [out.app!, out.app2!];
      const expected = run("nix", ["path-info", "--store", store, ...flags, ...roots]);
      const f = flags[0]!;
      const ours = formatPathInfo(graph, roots, {
        recursive: f.includes("r"),
        size: f.includes("s"),
        closureSize: f.includes("S"),
        humanReadable: f.includes("h"),
      });
      expect(ours).toBe(expected);
    }
  });

  it("nixoci why-depends (CLI over a path-info JSON graph) prints what nix prints", async () => {
    const json = join(store, "graph.json");
    writeFileSync(json, run("nix", ["path-info", "--store", store, "-r", "--json", out.app!]));
    const cli = async (args: string[]) => {
      const program = new Command("nixoci").exitOverride();
      registerWhyDepends(program);
      let stdout = "";
      const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((stdout += String(chunk)), true));
      try {
        await program.parseAsync(["node", "nixoci", "why-depends", "--path-info", json, "--store", store, ...args]);
      } finally {
        spy.mockRestore();
      }
      return stdout;
    };
    for (const flags of [["--all"], ["--precise", "--all"]]) {
      const expected = run("nix", ["why-depends", "--store", store, ...flags, out.app!, out.libc!]);
      expect(await cli([...flags, out.app!, out.libc!])).toBe(expected);
    }
    expect(await cli(["--no-ansi", "--precise", out.app!, out.libc!])).not.toMatch(/\x1b/);
  });
});
