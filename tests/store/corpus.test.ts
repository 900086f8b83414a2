/**
 * The corpus (tests/fixtures/store/corpus.nix) instantiated by Nix 2.8, built
 * by Nix 2.8 and by nixoci: same output paths, NAR hashes, sizes, references
 * and deriver. Nix itself also reads our store's database (`nix path-info
 * --store <ours>`), which checks the schema is really Nix's.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalStore, buildDerivations, readDerivation } from "../../src/store/index.js";
import { parseHashAny, printHash } from "../../src/store/format/index.js";
import { haveTools } from "../helpers/tools.js";
import { importFromNix, nixInstantiate, nixPathInfo, nixRealise, type NixPathInfo } from "./nixOracle.js";

const corpus = join(import.meta.dirname, "../fixtures/store/corpus.nix");
const normHash = (h: string) => printHash(parseHashAny(h), "base16", true);

describe.skipIf(!haveTools("nix-instantiate", "nix-store", "nix", "bwrap"))("corpus: nixoci builds what Nix 2.8 builds", () => {
  let dir: string;
  let nixRoot: string;
  let ourRoot: string;
  let drvs: string[];
  let store: LocalStore;
  let nixOutputs: Map<string, NixPathInfo>;
  let ourResults: Map<string, Map<string, string>>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "nixoci-corpus-"));
    nixRoot = join(dir, "nix");
    ourRoot = join(dir, "ours");
    drvs = nixInstantiate(nixRoot, corpus);
    const nix = nixRealise(nixRoot, drvs);
    expect(nix.stderr).toBe("");
    store = new LocalStore({ root: ourRoot });
    importFromNix(store, nixRoot, drvs);
    ourResults = await buildDerivations(store, drvs, { maxJobs: 2 });
    const outPaths = drvs.flatMap((d) => [...readDerivation(store, d).outputs.values()].map((o) => o.path));
    nixOutputs = new Map(nixPathInfo(nixRoot, outPaths).map((i) => [i.path, i]));
  });
  afterAll(() => {
    store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("has at least 30 derivations", () => {
    expect(drvs.length).toBeGreaterThanOrEqual(30);
  });

  it("produces the same output paths, NAR hashes, sizes, references and deriver", () => {
    let compared = 0;
    for (const drvPath of drvs) {
      for (const [, path] of ourResults.get(drvPath)!) {
        const theirs = nixOutputs.get(path);
        expect(theirs, `Nix has no output ${path}`).toBeDefined();
        const ours = store.queryPathInfo(path);
        expect({ path, narHash: ours.narHash, narSize: ours.narSize, references: ours.references, deriver: ours.deriver }).toEqual({
          path,
          narHash: normHash(theirs!.narHash),
          narSize: theirs!.narSize,
          references: [...theirs!.references].sort(),
          deriver: theirs!.deriver,
        });
        compared++;
      }
    }
    expect(compared).toBeGreaterThanOrEqual(30);
  });

  it("gives builders exactly Nix's sandbox (env, id, hostname, /, /etc files)", () => {
    const drv = drvs.find((d) => d.endsWith("-env-dump.drv"))!;
    const out = ourResults.get(drv)!.get("out")!;
    expect(readFileSync(store.toRealPath(out), "utf8")).toBe(readFileSync(join(nixRoot, out), "utf8"));
  });

  it("keeps a database Nix 2.8 itself can read", () => {
    const paths = [...nixOutputs.keys()].slice(0, 5);
    const viaNix = nixPathInfo(ourRoot, paths);
    expect(viaNix.map((i) => [i.path, normHash(i.narHash), i.narSize])).toEqual(
      paths.map((p) => [p, store.queryPathInfo(p).narHash, store.queryPathInfo(p).narSize]),
    );
  });

  it("skips derivations whose outputs are valid", async () => {
    let started = 0;
    await buildDerivations(store, drvs, { onBuildStart: () => started++ });
    expect(started).toBe(0);
  });
});
