/**
 * Import from derivation: a flake whose outputs import a file that a derivation writes. Evaluation
 * builds that derivation first (Nix's realiseContext), in the sandbox, into the same store; the values
 * and the final package's drvPath equal Nix 2.8's, and the image builds.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { haveTools } from "../helpers/tools.js";

const bin = new URL("../../bin/nixoci.js", import.meta.url).pathname;

const FLAKE = `{
  outputs = { self }: let
    gen = derivation {
      name = "generated";
      system = "x86_64-linux";
      builder = "/bin/sh";
      args = [ "-c" "echo '{ answer = 42; name = \\"from-ifd\\"; }' > $out" ];
    };
    settings = import gen;
    pkg = derivation {
      name = settings.name;
      system = "x86_64-linux";
      builder = "/bin/sh";
      args = [ "-c" "mkdir -p $out && echo \${toString settings.answer} > $out/answer" ];
    };
  in {
    x = [ settings.answer settings.name (builtins.readFile gen) (builtins.pathExists gen) ];
    packages.x86_64-linux.default = pkg;
  };
}
`;

describe.skipIf(!haveTools("nix", "bwrap", "busybox"))("import from derivation", () => {
  let work: string;
  const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { cwd: join(work, "f"), encoding: "utf8", env: { ...process.env, NIXOCI_STORE: join(work, "store"), XDG_CACHE_HOME: join(work, "cache") } });
  const nix = (args: string[]) => run("nix", [...args, "--store", join(work, "nixstore")]);
  const ours = (args: string[]) => run(process.execPath, [bin, ...args]);

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "nixoci-ifd-"));
    mkdirSync(join(work, "f"));
    writeFileSync(join(work, "f/flake.nix"), FLAKE);
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("builds what is imported, then evaluates as Nix does", () => {
    const theirs = nix(["eval", "--json", ".#x"]);
    expect(theirs.status, theirs.stderr).toBe(0);
    const mine = ours(["eval", "--json", ".#x"]);
    expect(mine.status, mine.stderr).toBe(0);
    expect(mine.stdout).toBe(`${theirs.stdout}\n`);
    expect(mine.stderr).toMatch(/building '\/nix\/store\/[a-z0-9]{32}-generated\.drv'/);

    const drv = (r: ReturnType<typeof run>) => r.stdout.trim();
    expect(drv(ours(["eval", "--raw", ".#default.drvPath"]))).toBe(drv(nix(["eval", "--raw", ".#default.drvPath"])));
  });

  it("builds an image from a package that needed import from derivation", () => {
    const r = ours(["build", ".#default", "-o", join(work, "img.tar"), "--json"]);
    expect(r.status, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { digest: string }).digest).toMatch(/^sha256:/);
  });

  it("nixoci instantiate builds what an expression imports, as nix-instantiate does", () => {
    const expr = `let gen = derivation { name = "gen2"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "echo '\\"ifd-name\\"' > $out" ]; }; in derivation { name = import gen; system = "x86_64-linux"; builder = "/bin/sh"; }`;
    const theirs = spawnSync("nix-instantiate", ["--store", join(work, "nixstore"), "-E", expr], { encoding: "utf8" });
    expect(theirs.status, theirs.stderr).toBe(0);
    const mine = run(process.execPath, [bin, "instantiate", "--store", join(work, "store"), "-E", expr]);
    expect(mine.status, mine.stderr).toBe(0);
    expect(mine.stdout.trim()).toBe(theirs.stdout.trim());
    expect(mine.stdout).toMatch(/-ifd-name\.drv\n$/);
  });

  it("says what could not be built", () => {
    writeFileSync(
      join(work, "f/flake.nix"),
      `{ outputs = { self }: { x = import (derivation { name = "broken"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "exit 3" ]; }); }; }\n`,
    );
    const r = ours(["eval", ".#x"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot build '\/nix\/store\/[a-z0-9]{32}-broken\.drv\^out' during evaluation/);
  });
});
