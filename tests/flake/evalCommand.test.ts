/**
 * `nixoci eval FLAKEREF#ATTR` against `nix eval` (Nix 2.8) on the examples, in a git work tree with
 * every file tracked (as a clone looks): the same stdout for plain, --json, --raw and --apply, and
 * the same "does not provide attribute" error for a missing one. Two things follow current Nix rather
 * than 2.8, as `nixoci eval --expr` does: --json ends with a newline, and a derivation prints as
 * «derivation DRVPATH» instead of all its attributes.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initExampleWorkTree } from "../helpers/exampleRepo.js";
import { hasTool } from "../helpers/tools.js";

const bin = new URL("../../bin/nixoci.js", import.meta.url).pathname;

describe.skipIf(!hasTool("nix"))("nixoci eval with a flake installable", () => {
  let work: string;
  const run = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { cwd: join(work, "examples"), encoding: "utf8", env: { ...process.env, NIXOCI_STORE: join(work, "store") } });
    return { stdout: r.stdout, stderr: r.stderr, status: r.status };
  };
  const nix = (args: string[]) => run("nix", ["eval", "--store", join(work, "nixstore"), ...args]);
  const ours = (args: string[]) => run(process.execPath, [bin, "eval", ...args]);

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "nixoci-evalcmd-"));
    initExampleWorkTree(work);
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const cases: string[][] = [
    ["./hello#default.name"],
    ["./hello#packages.x86_64-linux.default.meta", "--json"],
    ["./hello#default.drvPath", "--raw"],
    ["./layered#default.name", "--apply", "n: builtins.stringLength n"],
    ["./webserver", "--json", "--apply", "p: p.name"],
    // Flake evaluation has the flakes feature on, and its builtins with it.
    ["./hello#default.name", "--apply", "n: [ (builtins ? getFlake) (builtins ? fetchTree) ]"],
  ];
  it.each(cases)("%s … prints what nix eval prints", (...args) => {
    const theirs = nix(args);
    expect(theirs.status, theirs.stderr).toBe(0);
    const mine = ours(args);
    expect(mine.status, mine.stderr).toBe(0);
    expect(mine.stdout).toBe(args.includes("--json") ? `${theirs.stdout}\n` : theirs.stdout);
  });

  it("prints a derivation as «derivation DRVPATH», with Nix's drvPath", () => {
    const drvPath = nix(["./hello#default.drvPath", "--raw"]).stdout;
    expect(drvPath).toMatch(/^\/nix\/store\/[a-z0-9]{32}-hello-1\.0\.drv$/);
    expect(ours(["./hello"]).stdout).toBe(`«derivation ${drvPath}»\n`);
  });

  it("names the attributes it looked for when none exists, as nix eval does", () => {
    const theirs = nix(["./hello#nope"]);
    const mine = ours(["./hello#nope"]);
    expect(mine.status).toBe(1);
    const error = (s: string) => s.split("\n").find((l) => l.startsWith("error:"));
    expect(error(mine.stderr)).toBe(error(theirs.stderr));
  });
});
