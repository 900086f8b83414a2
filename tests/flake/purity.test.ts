/**
 * Flake-mode pure evaluation against `nix eval` (Nix 2.8): getEnv is "",
 * currentSystem/currentTime are missing, paths outside the flake's sources
 * are refused (pathExists says false), also through a symlink in the flake, copies made from the flake's own
 * files stay readable; `--impure` lifts all of it.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { printForNixEval } from "../../src/evaluator/cli/nixEval.js";
import { evalInstallableValue } from "../../src/evaluator/flake/evalValue.js";
import { parseHashAnyPrefixed, printHash } from "../../src/store/format/index.js";
import { LocalStore } from "../../src/store/index.js";
import { haveTools } from "../helpers/tools.js";

const run = promisify(execFile);

const outputs: Record<string, string> = {
  env: 'builtins.getEnv "HOME"',
  sys: "builtins.currentSystem",
  time: "builtins.currentTime",
  hasSys: "builtins ? currentSystem",
  hasTime: "builtins ? currentTime",
  passwd: "builtins.readFile /etc/passwd",
  passwdString: 'builtins.readFile "/etc/passwd"',
  exists: "builtins.pathExists /etc/passwd",
  storeDirExists: 'builtins.pathExists "/nix/store"',
  selfFile: 'builtins.readFile "${self}/f.txt"',
  relFile: "builtins.readFile ./f.txt",
  selfExists: "builtins.pathExists ./f.txt",
  importEtc: "import /etc/passwd",
  copied: 'builtins.readFile "${./f.txt}"',
  pathBuiltin: 'builtins.readFile (builtins.path { path = ./f.txt; name = "g"; })',
  pathDir: 'builtins.readFile "${builtins.path { path = ./.; name = "g2"; }}/f.txt"',
  pathEtc: "builtins.path { path = /etc/hostname; }",
  interpolated: '"${/etc/hostname}"',
  toFile: 'builtins.readFile (builtins.toFile "x" "y")',
  readDirEtc: "builtins.readDir /etc",
  hashEtc: 'builtins.hashFile "sha256" /etc/passwd',
  typeEtc: "builtins.typeOf /etc/passwd",
  strEtc: "toString /etc/passwd",
  // Symlinks in the flake: one leading out of it is refused, wherever it is read from.
  linkOut: "builtins.readFile ./leak",
  linkOutSelf: 'builtins.readFile "${self}/leak"',
  linkOutExists: "builtins.pathExists ./leak",
  linkDirOut: "builtins.readFile ./leakDir/passwd",
  linkDirMissing: "builtins.pathExists ./leakDir/nope",
  linkOutCopied: '"${./leak}"',
  linkIn: "builtins.readFile ./inside",
  linkList: "builtins.attrNames (builtins.readDir ./.)",
};

describe.skipIf(!haveTools("nix", "git"))("pure evaluation in flake mode, as nix eval (Nix 2.8)", () => {
  const work = mkdtempSync(join(tmpdir(), "flake-pure-"));
  const nixStore = join(work, "nixstore");
  let store: LocalStore;

  beforeAll(() => {
    mkdirSync(join(work, "flake"));
    writeFileSync(join(work, "flake/f.txt"), "data\n");
    symlinkSync("/etc/passwd", join(work, "flake/leak"));
    symlinkSync("/etc", join(work, "flake/leakDir"));
    symlinkSync("f.txt", join(work, "flake/inside"));
    const attrs = Object.entries(outputs).map(([k, v]) => `    ${k} = ${v};`).join("\n");
    writeFileSync(join(work, "flake/flake.nix"), `{\n  outputs = { self }: {\n${attrs}\n  };\n}\n`);
    store = new LocalStore({ root: join(work, "store") });
  });
  afterAll(() => {
    store?.close();
    rmSync(work, { recursive: true, force: true });
  });

  /** What we print for `nix eval [--impure] path:FLAKE#attr`: the value's line, or the error's first line. */
  function ours(attr: string, impure: boolean): string {
    const narHashOf = (p: string) => printHash(parseHashAnyPrefixed(store.queryPathInfo(p).narHash), "sri");
    try {
      const { ev, value } = evalInstallableValue(
        { installable: `path:${work}/flake#${attr}`, cwd: work, system: "x86_64-linux", impure, noFetchCache: true },
        Object.assign(store, { narHashOf }),
      );
      return printForNixEval(ev, value, { json: false, raw: false }).trimEnd();
    } catch (e) {
      return `error: ${(e as Error).message.split("\n")[0]}`;
    }
  }

  async function nix(attr: string, impure: boolean): Promise<string> {
    const args = ["eval", "--store", nixStore, "--option", "eval-cache", "false", ...(impure ? ["--impure"] : []), `path:${work}/flake#${attr}`];
    try {
      const { stdout } = await run("nix", args, { env: { ...process.env, HOME: "/fake-home" } });
      return stdout.trimEnd();
    } catch (e) {
      // A store kept elsewhere shows its real location in paths; ours are logical.
      // The first error line (parallel runs may print "SQLite database is busy" warnings first).
      const line = String((e as { stderr: string }).stderr).split("\n").find((l) => l.startsWith("error:")) ?? "";
      return line.replaceAll(`${nixStore}/nix/store`, "/nix/store");
    }
  }

  it("gives Nix's value or error for every output", async () => {
    const names = Object.keys(outputs);
    // One evaluation first creates the store; then Nix runs in parallel.
    await nix("env", false);
    const expected = await Promise.all(names.map((n) => nix(n, false)));
    // Nix 2.8 refused to read back what builtins.toFile wrote; current Nix allows it (its eval.sh).
    expected[names.indexOf("toFile")] = '"y"';
    const got = names.map((n) => ours(n, false));
    expect(Object.fromEntries(names.map((n, i) => [n, got[i]]))).toEqual(Object.fromEntries(names.map((n, i) => [n, expected[i]])));
    // The refusals are really there (not both sides failing alike for another reason).
    expect(got[names.indexOf("passwd")]).toBe("error: access to absolute path '/etc/passwd' is forbidden in pure eval mode (use '--impure' to override)");
    expect(got[names.indexOf("sys")]).toBe("error: attribute 'currentSystem' missing");
    expect(got[names.indexOf("linkOut")]).toBe("error: access to canonical path '/etc/passwd' is forbidden in restricted mode");
  }, 120_000);

  it("lifts the restrictions with --impure", async () => {
    const names = ["env", "sys", "hasSys", "exists", "storeDirExists", "typeEtc"];
    const prev = process.env.HOME;
    process.env.HOME = "/fake-home";
    try {
      const expected = await Promise.all(names.map((n) => nix(n, true)));
      const got = names.map((n) => ours(n, true));
      expect(got).toEqual(expected);
      expect(got[0]).toBe('"/fake-home"');
    } finally {
      process.env.HOME = prev;
    }
  }, 120_000);
});
