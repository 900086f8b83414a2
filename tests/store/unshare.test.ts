/**
 * The util-linux `unshare` sandbox (used when bubblewrap is missing) gives
 * builders the same world as Nix 2.8: same env-dump output and the same
 * outputs for a part of the corpus; no network, no host files.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { BuildError, LocalStore, buildDerivations } from "../../src/store/index.js";
import { parseHashAny, printHash } from "../../src/store/format/index.js";
import { haveTools } from "../helpers/tools.js";
import { importFromNix, nixInstantiate, nixPathInfo, nixRealise } from "./nixOracle.js";

const fixtures = join(import.meta.dirname, "../fixtures/store");
const attrs = ["env-dump", "hello", "tree", "chain", "structured", "pass-as-file", "multi", "fod-rec-sha1", "fetchurl-file"];

describe.skipIf(!haveTools("nix-instantiate", "nix-store", "nix", "unshare"))("unshare sandbox", () => {
  let dir: string;
  let nixRoot: string;
  let store: LocalStore;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "nixoci-unshare-"));
    nixRoot = join(dir, "nix");
    store = new LocalStore({ root: join(dir, "ours") });
  });
  afterAll(() => {
    store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("builds like Nix 2.8, env-dump included", async () => {
    const drvs = nixInstantiate(nixRoot, join(fixtures, "corpus.nix"), attrs.flatMap((a) => ["-A", a]));
    expect(nixRealise(nixRoot, drvs).stderr).toBe("");
    importFromNix(store, nixRoot, drvs);
    const results = await buildDerivations(store, drvs, { sandboxTool: "unshare", maxJobs: 2 });
    const outs = [...results.values()].flatMap((m) => [...m.values()]);
    for (const theirs of nixPathInfo(nixRoot, outs)) {
      const ours = store.queryPathInfo(theirs.path);
      expect([theirs.path, ours.narHash, ours.references]).toEqual([theirs.path, printHash(parseHashAny(theirs.narHash), "base16", true), [...theirs.references].sort()]);
    }
    const envDump = results.get(drvs[0]!)!.get("out")!;
    expect(readFileSync(store.toRealPath(envDump), "utf8")).toBe(readFileSync(join(nixRoot, envDump), "utf8"));
  });

  it.each(["read-host-file", "read-root", "write-input", "network"])("%s fails", async (attr) => {
    // A live listener on the host's 127.0.0.1: reachable only without a network namespace.
    const server = spawn(process.execPath, ["-e", 'const s=require("net").createServer(c=>c.end("hi\\n"));s.listen(0,"127.0.0.1",()=>console.log(s.address().port))']);
    const port = await new Promise<number>((r) => server.stdout!.once("data", (d: Buffer) => r(Number(d.toString().trim()))));
    onTestFinished(() => void server.kill());
    const [drv] = nixInstantiate(nixRoot, join(fixtures, "failures.nix"), ["-A", attr, "--arg", "port", String(port)]);
    importFromNix(store, nixRoot, [drv!]);
    const err = await buildDerivations(store, [drv!], { sandboxTool: "unshare" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BuildError);
    // The builder itself failed (exit 1 from cat/ls/sh/nc), not the sandbox setup.
    expect((err as BuildError).message).toMatch(/failed with exit code 1;/);
    expect((err as BuildError).message).toMatch(/No such file|Permission denied|Read-only|can't connect|Connection refused|Network is unreachable/);
  });
});
