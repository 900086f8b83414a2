/**
 * builtin:fetchurl (what `import <nix/fetchurl.nix>` builds): file:// and
 * http:// downloads, `unpack` of a NAR (plain and .xz), built by Nix 2.8 and
 * by nixoci with the same resulting outputs.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalStore, buildDerivations } from "../../src/store/index.js";
import { parseHashAny, printHash } from "../../src/store/format/index.js";
import { haveTools } from "../helpers/tools.js";
import { importFromNix, nixInstantiate, nixPathInfo, nixRealise } from "./nixOracle.js";

describe.skipIf(!haveTools("nix-instantiate", "nix-store", "nix", "xz", "bwrap"))("builtin:fetchurl against Nix 2.8", () => {
  let dir: string;
  let server: ChildProcess;
  let port: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "nixoci-fetchurl-"));
    const tree = join(dir, "tree");
    mkdirSync(join(tree, "bin"), { recursive: true });
    writeFileSync(join(tree, "bin/tool"), "#!/bin/sh\necho tool\n", { mode: 0o755 });
    writeFileSync(join(tree, "README"), "unpacked from a NAR\n");
    symlinkSync("bin/tool", join(tree, "link"));
    writeFileSync(join(dir, "tree.nar"), execFileSync("nix-store", ["--dump", tree]));
    execFileSync("sh", ["-c", `xz -k -c '${join(dir, "tree.nar")}' > '${join(dir, "tree.nar.xz")}'`]);
    writeFileSync(join(dir, "data.txt"), "served over http\n");
    server = spawn(process.execPath, [
      "-e",
      `const fs=require("fs");const s=require("http").createServer((q,r)=>{try{r.end(fs.readFileSync(${JSON.stringify(dir)}+q.url))}catch{r.statusCode=404;r.end()}});s.listen(0,"127.0.0.1",()=>console.log(s.address().port))`,
    ]);
    port = await new Promise<number>((r) => server.stdout!.once("data", (d: Buffer) => r(Number(d.toString().trim()))));
    writeFileSync(
      join(dir, "fetch.nix"),
      `{ port }: {
  unpack = import <nix/fetchurl.nix> { name = "unpacked"; url = "file://\${./tree.nar}"; sha256 = builtins.hashFile "sha256" ./tree.nar; unpack = true; };
  unpack-xz = import <nix/fetchurl.nix> { name = "unpacked-xz"; url = "file://\${./tree.nar.xz}"; sha256 = builtins.hashFile "sha256" ./tree.nar; unpack = true; };
  http = import <nix/fetchurl.nix> { url = "http://127.0.0.1:\${toString port}/data.txt"; sha256 = builtins.hashFile "sha256" ./data.txt; };
  missing = import <nix/fetchurl.nix> { url = "http://127.0.0.1:\${toString port}/nope"; sha256 = builtins.hashFile "sha256" ./data.txt; };
}\n`,
    );
  });
  afterAll(() => {
    server?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("file:// unpack (plain and xz) and http:// give Nix's outputs; a 404 fails", async () => {
    const nixRoot = join(dir, "nix");
    const drvs = nixInstantiate(nixRoot, join(dir, "fetch.nix"), ["--arg", "port", String(port), "-A", "unpack", "-A", "unpack-xz", "-A", "http"]);
    expect(nixRealise(nixRoot, drvs).stderr).toBe("");
    const store = new LocalStore({ root: join(dir, "ours") });
    try {
      importFromNix(store, nixRoot, drvs);
      const results = await buildDerivations(store, drvs);
      const outs = [...results.values()].map((m) => m.get("out")!);
      expect(outs).toHaveLength(3);
      for (const theirs of nixPathInfo(nixRoot, outs))
        expect(store.queryPathInfo(theirs.path).narHash).toBe(printHash(parseHashAny(theirs.narHash), "base16", true));
      const [missing] = nixInstantiate(nixRoot, join(dir, "fetch.nix"), ["--arg", "port", String(port), "-A", "missing"]);
      importFromNix(store, nixRoot, [missing!]);
      await expect(buildDerivations(store, [missing!])).rejects.toThrow(/HTTP error 404/);
    } finally {
      store.close();
    }
  });
});
