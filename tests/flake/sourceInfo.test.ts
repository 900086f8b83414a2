/**
 * What a flake's inputs look like to its `outputs` (sourceInfo attributes of
 * path, git and tarball inputs, flake and non-flake), against `nix eval` (Nix 2.8).
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { printForNixEval } from "../../src/evaluator/cli/nixEval.js";
import { Evaluator, FLAKE_FEATURES } from "../../src/evaluator/evaluator.js";
import { evalInstallableValue } from "../../src/evaluator/flake/evalValue.js";
import { parseHashAnyPrefixed, printHash } from "../../src/store/format/index.js";
import { LocalStore } from "../../src/store/index.js";
import { haveTools } from "../helpers/tools.js";

const gitEnv = { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@e", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@e", GIT_COMMITTER_DATE: "2022-02-03T04:05:06Z", GIT_AUTHOR_DATE: "2022-02-03T04:05:06Z" };
const git = (dir: string, ...args: string[]) => execFileSync("git", ["-C", dir, ...args], { env: gitEnv, encoding: "utf8" });

describe.skipIf(!haveTools("nix", "git", "tar"))("inputs' sourceInfo, as nix eval (Nix 2.8)", () => {
  const work = mkdtempSync(join(tmpdir(), "flake-si-"));
  let store: LocalStore;
  const show = (x: string) => `{ names = builtins.attrNames ${x}; lm = ${x}.lastModified or "none"; rev = ${x}.shortRev or "none"; rc = ${x}.revCount or "none"; }`;
  const attrs: Record<string, string> = {
    self: show("self"),
    path: show("p"),
    pathData: show("pd"),
    git: show("g"),
    gitData: show("gd"),
    tarball: show("tb"),
    tarballData: show("tbd"),
    fetchTreeUnlocked: `builtins.fetchTree { type = "git"; url = "file://${"$"}{WORK}/g"; }`,
  };

  beforeAll(() => {
    const leaf = '{ outputs = { self }: { }; }\n';
    mkdirSync(join(work, "p"));
    writeFileSync(join(work, "p/flake.nix"), leaf);
    mkdirSync(join(work, "g"));
    writeFileSync(join(work, "g/flake.nix"), leaf);
    git(join(work, "g"), "init", "-q");
    git(join(work, "g"), "add", "-A");
    git(join(work, "g"), "commit", "-qm", "g");
    mkdirSync(join(work, "tbsrc/tb"), { recursive: true });
    writeFileSync(join(work, "tbsrc/tb/flake.nix"), leaf);
    execFileSync("tar", ["-czf", join(work, "tb.tar.gz"), "--mtime=2020-01-01", "-C", join(work, "tbsrc"), "tb"]);
    mkdirSync(join(work, "root"));
    const body = Object.entries(attrs).map(([k, v]) => `    ${k} = ${v.replace("${WORK}", work)};`).join("\n");
    writeFileSync(
      join(work, "root/flake.nix"),
      `{
  inputs.p.url = "path:${work}/p";
  inputs.pd = { url = "path:${work}/p"; flake = false; };
  inputs.g.url = "git+file://${work}/g";
  inputs.gd = { url = "git+file://${work}/g"; flake = false; };
  inputs.tb.url = "file://${work}/tb.tar.gz";
  inputs.tbd = { url = "file://${work}/tb.tar.gz"; flake = false; };
  outputs = { self, p, pd, g, gd, tb, tbd }: {
${body}
  };
}
`,
    );
    git(join(work, "root"), "init", "-q");
    git(join(work, "root"), "add", "-A");
    git(join(work, "root"), "commit", "-qm", "root");
    // Lock with Nix first, so both sides read the same flake.lock.
    execFileSync("nix", ["flake", "lock", "--store", join(work, "nixstore"), join(work, "root")], { stdio: "pipe" });
    git(join(work, "root"), "add", "-A");
    git(join(work, "root"), "commit", "-qm", "lock");
    store = new LocalStore({ root: join(work, "store") });
  });
  afterAll(() => {
    store?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it.each(Object.keys(attrs))("%s", (attr) => {
    let expected: string;
    try {
      expected = execFileSync("nix", ["eval", "--store", join(work, "nixstore"), `${join(work, "root")}#${attr}`], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (e) {
      expected = String((e as { stderr: string }).stderr).split("\n").find((l) => l.startsWith("error:"))!.replaceAll(`${join(work, "nixstore")}/nix/store`, "/nix/store");
    }
    const narHashOf = (p: string) => printHash(parseHashAnyPrefixed(store.queryPathInfo(p).narHash), "sri");
    let got: string;
    try {
      const { ev, value } = evalInstallableValue({ installable: `${join(work, "root")}#${attr}`, cwd: work, system: "x86_64-linux", noFetchCache: true }, Object.assign(store, { narHashOf }));
      got = printForNixEval(ev, value, { json: false, raw: false });
    } catch (e) {
      // Positions name the file where this store keeps it, as Nix's do for its store.
      got = `error: ${(e as Error).message.split("\n")[0]}`.replaceAll(`${join(work, "store")}/nix/store`, "/nix/store");
    }
    expect(got).toBe(expected);
  });

  it("builtins.fetchTree and builtins.fetchGit (impure) give Nix's attributes", () => {
    const rev = git(join(work, "g"), "rev-parse", "HEAD").trim();
    const ev = new Evaluator({ store, system: "x86_64-linux", pureEval: false, env: {}, experimentalFeatures: FLAKE_FEATURES });
    const tb = execFileSync("nix", ["eval", "--impure", "--raw", "--store", join(work, "nixstore"), "--expr", `(builtins.fetchTree "file://${work}/tb.tar.gz").narHash`], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const exprs = [
      `builtins.fetchGit "${work}/g"`,
      `builtins.fetchGit { url = "${work}/g"; rev = "${rev}"; }`,
      `builtins.fetchTree { type = "git"; url = "file://${work}/g"; rev = "${rev}"; }`,
      `builtins.fetchTree { type = "tarball"; url = "file://${work}/tb.tar.gz"; narHash = "${tb}"; }`,
      `builtins.fetchTree { type = "path"; path = "${work}/p"; }`,
      `builtins.fetchGit "${work}/dirty-g"`,
    ];
    cpSync(join(work, "g"), join(work, "dirty-g"), { recursive: true });
    writeFileSync(join(work, "dirty-g/flake.nix"), "{ outputs = { self }: { x = 1; }; }\n");
    for (const expr of exprs) {
      const full = `let x = ${expr}; in builtins.removeAttrs x [ "lastModified" "lastModifiedDate" ] // { outPath = builtins.unsafeDiscardStringContext x.outPath; }`;
      const expected = execFileSync("nix", ["eval", "--impure", "--store", join(work, "nixstore"), "--expr", full], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      const v = ev.evalExprText(full, "«string»", "/");
      expect(`${expr}: ${printForNixEval(ev, v, { json: false, raw: false })}`).toBe(`${expr}: ${expected}`);
    }
  });

  it("a dirty tree: no rev, and dropping every input rewrites the lock file (Removed input …), as Nix", () => {
    for (const who of ["nix", "our"]) {
      cpSync(join(work, "root"), join(work, `dirty-${who}`), { recursive: true });
      writeFileSync(join(work, `dirty-${who}/flake.nix`), "{ outputs = { self }: { n = builtins.attrNames self; }; }\n");
    }
    const nixOut = execFileSync("nix", ["eval", "--store", join(work, "nixstore"), `${join(work, "dirty-nix")}#n`], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const narHashOf = (p: string) => printHash(parseHashAnyPrefixed(store.queryPathInfo(p).narHash), "sri");
    const messages: string[] = [];
    const { ev, value } = evalInstallableValue({ installable: `${join(work, "dirty-our")}#n`, cwd: work, system: "x86_64-linux", noFetchCache: true }, Object.assign(store, { narHashOf }), messages);
    expect(printForNixEval(ev, value, { json: false, raw: false })).toBe(nixOut);
    expect(nixOut).not.toMatch(/rev|dirty/i);
    expect(messages.join("\n")).toMatch(/warning: updating lock file '.*dirty-our\/flake\.lock':\n• Removed input 'g'\n• Removed input 'gd'/);
    expect(readFileSync(join(work, "dirty-our/flake.lock"), "utf8")).toBe(readFileSync(join(work, "dirty-nix/flake.lock"), "utf8"));
  });

  it("builtins.getFlake: a locked flake's value; unlocked references refused in pure mode; no lock changes", () => {
    const nixEval = (expr: string, impure: boolean) => {
      try {
        return execFileSync("nix", ["eval", ...(impure ? ["--impure"] : []), "--store", join(work, "nixstore"), "--expr", expr], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      } catch (e) {
        return String((e as { stderr: string }).stderr).split("\n").find((l) => l.startsWith("error:"))!;
      }
    };
    const ours = (expr: string, impure: boolean) => {
      const ev = new Evaluator({ store, system: "x86_64-linux", pureEval: !impure, env: {}, experimentalFeatures: FLAKE_FEATURES });
      try {
        return printForNixEval(ev, ev.evalExprText(expr, "(string)", "/"), { json: false, raw: false });
      } catch (e) {
        return `error: ${(e as Error).message.split("\n")[0]}`;
      }
    };
    const root = `git+file://${work}/root`;
    for (const [expr, impure] of [
      [`builtins.attrNames (builtins.getFlake "path:${work}/p")`, true],
      [`let f = builtins.getFlake "${root}"; in [ f.narHash f.revCount (builtins.attrNames f.inputs) f.inputs.tb.narHash ]`, true],
      [`(builtins.getFlake "path:${work}/p").narHash`, false],
      [`(builtins.getFlake "path:${work}/dirty-our").outputs`, true],
    ] as const) {
      expect(`${expr}: ${ours(expr, impure)}`).toBe(`${expr}: ${nixEval(expr, impure)}`);
    }
  });
});
