/**
 * A derivation input whose store object is itself a symlink (an output made
 * with `ln -s … $out`) is visible in the sandbox as that symlink, with bwrap
 * and with unshare; the dependent's output equals Nix 2.8's.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalStore, buildDerivations } from "../../src/store/index.js";
import { parseHashAny, printHash } from "../../src/store/format/index.js";
import { haveTools } from "../helpers/tools.js";
import { importFromNix, nixInstantiate, nixPathInfo, nixRealise } from "./nixOracle.js";

const expr = `
let
  sys = "x86_64-linux";
  target = derivation { name = "target"; system = sys; builder = "/bin/sh"; args = [ "-c" "echo payload > $out" ]; };
  link = derivation { name = "link"; system = sys; builder = "/bin/sh"; args = [ "-c" "ln -s \${target} $out" ]; };
in {
  user = derivation { name = "user"; system = sys; builder = "/bin/sh"; args = [ "-c" "{ readlink \${link}; cat \${link}; } > $out" ]; };
}`;

describe.skipIf(!haveTools("nix-instantiate", "nix-store", "nix", "bwrap", "unshare"))("symlink store objects as inputs", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "nixoci-symlink-in-"));
    writeFileSync(join(dir, "links.nix"), expr);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(["bwrap", "unshare"] as const)("%s: the dependent builds and equals Nix's output", async (tool) => {
    const nixRoot = join(dir, "nix");
    const drvs = nixInstantiate(nixRoot, join(dir, "links.nix"), ["-A", "user"]);
    expect(nixRealise(nixRoot, drvs).ok).toBe(true);
    const store = new LocalStore({ root: join(dir, `ours-${tool}`) });
    try {
      importFromNix(store, nixRoot, drvs);
      const results = await buildDerivations(store, drvs, { sandboxTool: tool });
      const out = results.get(drvs[0]!)!.get("out")!;
      const [theirs] = nixPathInfo(nixRoot, [out]);
      expect(printHash(parseHashAny(store.queryPathInfo(out).narHash), "nix32")).toBe(printHash(parseHashAny(theirs!.narHash), "nix32"));
    } finally {
      store.close();
    }
  });
});
