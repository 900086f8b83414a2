/**
 * `nixoci realise --substituters …` fetches outputs from a Nix-written cache
 * instead of building them; the result equals what nixoci builds itself.
 * Settings also come from $XDG_CONFIG_HOME/nixoci/nixoci.conf.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalStore } from "../../src/store/index.js";
import { haveTools } from "../helpers/tools.js";
import { FIXTURE, buildFixtureWithNix, nixCopyTo, removeDir, run, tempDir, type NixFixture } from "./helpers.js";

const bin = new URL("../../bin/nixoci.js", import.meta.url).pathname;

function nixoci(args: string[]): { stdout: string } {
  return { stdout: execFileSync("node", [bin, ...args], { encoding: "utf8", env: { ...process.env, XDG_CONFIG_HOME: "/nonexistent" }, stdio: ["ignore", "pipe", "pipe"] }) };
}
describe.skipIf(!haveTools("nix", "nix-store", "xz", "bwrap"))("nixoci realise with substituters", () => {
  let dir: string;
  let fx: NixFixture;
  let bigDrv: string;
  let cache: string;

  beforeAll(() => {
    dir = tempDir("realise");
    fx = buildFixtureWithNix(dir);
    bigDrv = run("nix-instantiate", ["--store", fx.nixRoot, FIXTURE, "-A", "big"]).trim();
    cache = `file://${dir}/cache`;
    nixCopyTo(fx, `${cache}?secret-key=${fx.secretKeyFile}`, [fx.outPath]);
    nixCopyTo(fx, `${cache}?secret-key=${fx.secretKeyFile}`, [fx.drvPath], true);
  });
  afterAll(() => removeDir(dir));

  const outInfo = (root: string, path: string) => {
    const s = new LocalStore({ root, readOnly: true });
    try {
      return s.queryPathInfo(path);
    } finally {
      s.close();
    }
  };

  it("flags: outputs are substituted, not built; same NAR as a local build", () => {
    const subst = join(dir, "subst");
    const built = join(dir, "built");
    for (const root of [subst, built]) nixoci(["store", "copy", "--store", root, "--from", cache, "--trusted-public-keys", fx.publicKey, fx.drvPath]);
    const log = join(dir, "realise.log");
    const out = run("sh", [
      "-c",
      `XDG_CONFIG_HOME=/nonexistent node '${bin}' realise --store '${subst}' --no-out-link --substituters '${cache}' --trusted-public-keys '${fx.publicKey}' '${fx.drvPath}' 2>'${log}'`,
    ]);
    expect(out.trim()).toBe(fx.outPath);
    const stderr = run("cat", [log]);
    expect(stderr).toContain(`copying path '${fx.outPath}' from '${cache}'...`);
    expect(stderr).not.toContain("building");

    const bigOut = nixoci(["realise", "--store", built, "--no-out-link", bigDrv]).stdout.trim();
    const bigSubst = outInfo(subst, bigOut);
    const bigBuilt = outInfo(built, bigOut);
    expect(bigSubst.narHash).toBe(bigBuilt.narHash);
    expect(bigSubst.narSize).toBe(bigBuilt.narSize);
    expect(bigSubst.sigs.length).toBe(1);
  });

  it("nixoci.conf: substituters and keys from the config file; an untrusted cache means building", () => {
    const conf = join(dir, "xdg");
    mkdirSync(join(conf, "nixoci"), { recursive: true });
    writeFileSync(join(conf, "nixoci", "nixoci.conf"), `# test\nsubstituters = ${cache}\ntrusted-public-keys = ${fx.publicKey}\nrequire-sigs = true\n`);
    const root = join(dir, "conf");
    nixoci(["store", "copy", "--store", root, "--from", cache, "--trusted-public-keys", fx.publicKey, bigDrv]);
    const log = join(dir, "conf.log");
    const out = run("sh", ["-c", `XDG_CONFIG_HOME='${conf}' node '${bin}' realise --store '${root}' --no-out-link '${bigDrv}' 2>'${log}'`]);
    expect(run("cat", [log])).toMatch(/copying path '.*-bc-big' from/);
    expect(outInfo(root, out.trim()).sigs.length).toBe(1);

    // Same cache, no trusted key: Nix builds instead (the narinfo is skipped with a warning in Nix; here it is simply not used).
    const root2 = join(dir, "conf2");
    writeFileSync(join(conf, "nixoci", "nixoci.conf"), `substituters = ${cache}\n`);
    nixoci(["store", "copy", "--store", root2, "--from", cache, "--trusted-public-keys", fx.publicKey, bigDrv]);
    const log2 = join(dir, "conf2.log");
    run("sh", ["-c", `XDG_CONFIG_HOME='${conf}' node '${bin}' realise --store '${root2}' --no-out-link '${bigDrv}' 2>'${log2}'`]);
    expect(run("cat", [log2])).toContain("building");
    expect(outInfo(root2, out.trim()).sigs.length).toBe(0);
  });
});
