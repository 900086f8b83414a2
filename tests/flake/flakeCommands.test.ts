/**
 * `nixoci flake metadata | show | lock | update` against `nix flake …` (Nix 2.8):
 * the same stdout byte for byte (ANSI escapes included), the same stderr
 * lines, the same flake.lock. Flakes: the repository's examples (copied into
 * a committed git repository), a flake with every kind of output, and a flake
 * with path, git, non-flake and `follows` inputs. Also the registry (indirect
 * references) and the errors for inputs that cannot be fetched.
 */
import { execFile, execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FlakeCommandRequest, runFlakeCommand } from "../../src/evaluator/flake/flakeCommands.js";
import { type Registry, resolveIndirect } from "../../src/evaluator/flake/registry.js";
import { parseHashAnyPrefixed, printHash } from "../../src/store/format/index.js";
import { LocalStore } from "../../src/store/index.js";
import { haveTools } from "../helpers/tools.js";

const run = promisify(execFile);
const repoRoot = new URL("../..", import.meta.url).pathname;
const gitEnv = { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@e", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@e" };
const git = (dir: string, ...args: string[]) => execFileSync("git", ["-C", dir, ...args], { env: gitEnv, encoding: "utf8" });

/** Every kind of output `nix flake show` knows. */
const kindsFlake = `{
  description = "kinds";
  outputs = { self }: let
    d = name: derivation { inherit name; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "echo > $out" ]; };
  in {
    packages.x86_64-linux.a = d "a-1";
    packages.x86_64-linux.b = (d "b-2") // { meta.description = "the b"; };
    defaultPackage.x86_64-linux = d "dp";
    devShells.x86_64-linux.default = d "shell";
    devShell.x86_64-linux = d "shell2";
    checks.x86_64-linux.c = d "check";
    apps.x86_64-linux.app = { type = "app"; program = "/bin/sh"; };
    defaultApp.x86_64-linux = { type = "app"; program = "/bin/sh"; };
    nixosModules.m = { };
    nixosModule = { };
    overlay = f: p: { };
    overlays.o = f: p: { };
    templates.t = { path = ./.; description = "a template"; };
    defaultTemplate = { path = ./.; description = "dt"; };
    legacyPackages.x86_64-linux.x = d "x";
    hydraJobs.j.x86_64-linux = d "job";
    lib = { f = 1; };
    formatter.x86_64-linux = d "fmt";
    nixosConfigurations.host = { };
  };
}
`;

describe.skipIf(!haveTools("nix", "git"))("nixoci flake … prints what nix flake … prints (Nix 2.8)", () => {
  const work = mkdtempSync(join(tmpdir(), "flake-cmd-"));
  const nixStore = join(work, "nixstore");
  const emptyRegistry = join(work, "empty-registry.json");
  // Both tools read the user registry from here; Nix's network registry is replaced by an empty one.
  const env = { ...process.env, XDG_CONFIG_HOME: join(work, "config"), XDG_CACHE_HOME: join(work, "cache"), HOME: join(work, "home") };
  let store: LocalStore;
  const saved = { XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME };

  beforeAll(() => {
    process.env.XDG_CONFIG_HOME = env.XDG_CONFIG_HOME;
    writeFileSync(emptyRegistry, '{"flakes":[],"version":2}');
    cpSync(join(repoRoot, "examples"), join(work, "ex"), { recursive: true });
    git(join(work, "ex"), "init", "-q");
    git(join(work, "ex"), "add", "-A");
    git(join(work, "ex"), "commit", "-qm", "examples");
    mkdirSync(join(work, "kinds"));
    writeFileSync(join(work, "kinds/flake.nix"), kindsFlake);
    git(join(work, "kinds"), "init", "-q");
    git(join(work, "kinds"), "add", "-A");

    // Inputs: leaf (path flake), dep (git flake with its own input on leaf, made to follow ours), data (not a flake).
    for (const [d, v] of [["leaf", 1], ["leaf2", 2]] as const) {
      mkdirSync(join(work, d));
      writeFileSync(join(work, d, "flake.nix"), `{ outputs = { self }: { v = ${v}; }; }\n`);
    }
    mkdirSync(join(work, "data"));
    writeFileSync(join(work, "data/x"), "hi\n");
    mkdirSync(join(work, "dep"));
    writeFileSync(join(work, "dep/flake.nix"), `{ inputs.leaf.url = "path:${work}/leaf"; outputs = { self, leaf }: { v = leaf.v; }; }\n`);
    git(join(work, "dep"), "init", "-q");
    git(join(work, "dep"), "add", "-A");
    git(join(work, "dep"), "commit", "-qm", "dep");
    const rootNix = `{
  description = "root";
  inputs.leaf.url = "path:${work}/leaf";
  inputs.dep.url = "git+file://${work}/dep";
  inputs.dep.inputs.leaf.follows = "leaf";
  inputs.data = { url = "path:${work}/data"; flake = false; };
  outputs = { self, leaf, data, dep }: { v = leaf.v; };
}
`;
    for (const r of ["root-nix", "root-our"]) {
      mkdirSync(join(work, r));
      writeFileSync(join(work, r, "flake.nix"), rootNix);
      git(join(work, r), "init", "-q");
      git(join(work, r), "add", "-A");
    }
    store = new LocalStore({ root: join(work, "store") });
  });
  afterAll(() => {
    process.env.XDG_CONFIG_HOME = saved.XDG_CONFIG_HOME;
    store?.close();
    rmSync(work, { recursive: true, force: true });
  });

  function ours(req: Omit<FlakeCommandRequest, "system" | "cwd"> & { cwd?: string }) {
    const narHashOf = (p: string) => printHash(parseHashAnyPrefixed(store.queryPathInfo(p).narHash), "sri");
    const r = runFlakeCommand({ system: "x86_64-linux", cwd: work, noFetchCache: true, ...req }, Object.assign(store, { narHashOf }));
    const lines = (fd: 1 | 2) => r.output.filter(([f]) => f === fd).map(([, l]) => `${l}\n`).join("");
    return { stdout: lines(1), stderr: lines(2) + (r.error ? `${r.error}\n` : ""), ok: r.error === undefined };
  }

  async function nix(args: string[], cwd = work) {
    try {
      const { stdout, stderr } = await run("nix", [...args, "--store", nixStore, "--flake-registry", emptyRegistry], { cwd, env });
      return { stdout, stderr, ok: true };
    } catch (e) {
      const x = e as { stdout: string; stderr: string };
      return { stdout: x.stdout, stderr: x.stderr, ok: false };
    }
  }

  /** Nix 2.8 repeats some warnings (it fetches a dirty tree twice); we say each once. */
  const dedupe = (s: string) => [...new Set(s.split("\n"))].join("\n");

  const cases: Array<[string, Omit<FlakeCommandRequest, "system" | "cwd">, string[]]> = [
    ["metadata of a committed example", { command: "metadata", flakeRef: "./ex/hello" }, ["flake", "metadata", "./ex/hello"]],
    ["metadata --json of an example with a path input", { command: "metadata", flakeRef: "./ex/with-input", json: true }, ["flake", "metadata", "--json", "./ex/with-input"]],
    ["metadata of an example with a path input", { command: "metadata", flakeRef: "./ex/with-input" }, ["flake", "metadata", "./ex/with-input"]],
    ["show of an example", { command: "show", flakeRef: "./ex/hello" }, ["flake", "show", "./ex/hello"]],
    ["show --json of an example", { command: "show", flakeRef: "./ex/layered", json: true }, ["flake", "show", "--json", "./ex/layered"]],
    ["show of every output kind (dirty tree)", { command: "show", flakeRef: "./kinds" }, ["flake", "show", "./kinds"]],
    ["show --json of every output kind", { command: "show", flakeRef: "./kinds", json: true }, ["flake", "show", "--json", "./kinds"]],
    ["show --legacy", { command: "show", flakeRef: "./kinds", legacy: true }, ["flake", "show", "--legacy", "./kinds"]],
    ["metadata of a path: flake", { command: "metadata", flakeRef: `path:${"WORK"}/kinds` }, ["flake", "metadata", "path:WORK/kinds"]],
    ["metadata --json of a dirty git flake", { command: "metadata", flakeRef: "./kinds", json: true }, ["flake", "metadata", "--json", "./kinds"]],
  ];

  it.each(cases)("%s", async (_name, req, args) => {
    const fix = (s: string) => s.replace("WORK", work);
    const expected = await nix(args.map(fix));
    const got = ours({ ...req, flakeRef: req.flakeRef === undefined ? undefined : fix(req.flakeRef) });
    expect(got.ok).toBe(true);
    expect(expected.ok).toBe(true);
    expect(got.stdout).toBe(expected.stdout);
    expect(got.stderr).toBe(dedupe(expected.stderr));
  }, 60_000);

  /** Run a lock-changing command on both copies; the lock files, stdout and stderr must agree. */
  async function both(req: Omit<FlakeCommandRequest, "system" | "cwd" | "flakeRef">, args: string[]) {
    const expected = await nix([...args, "."], join(work, "root-nix"));
    const got = ours({ ...req, flakeRef: ".", cwd: join(work, "root-our") });
    const norm = (s: string) => s.replaceAll("root-nix", "ROOT").replaceAll("root-our", "ROOT");
    expect(norm(got.stdout)).toBe(norm(expected.stdout));
    expect(norm(got.stderr)).toBe(norm(dedupe(expected.stderr)));
    expect(readFileSync(join(work, "root-our/flake.lock"), "utf8")).toBe(readFileSync(join(work, "root-nix/flake.lock"), "utf8"));
    return got;
  }

  it("locks, updates one input, overrides, updates all, and shows the Inputs tree with follows", async () => {
    const created = await both({ command: "lock" }, ["flake", "lock"]);
    expect(created.stderr).toMatch(/creating lock file/);
    // The Inputs tree, with a follows arrow.
    const meta = await both({ command: "metadata" }, ["flake", "metadata"]);
    expect(meta.stdout).toMatch(/\u2514\u2500\u2500\u2500\x1b\[1mleaf\x1b\[0m follows input 'leaf'/);
    writeFileSync(join(work, "data/y"), "new\n");
    const updated = await both({ command: "lock", updateInputs: ["data"] }, ["flake", "lock", "--update-input", "data"]);
    expect(updated.stderr).toMatch(/• Updated input 'data':\n {4}'path:.*' \(\d{4}-\d\d-\d\d\)\n {2}→ 'path:/);
    const overridden = await both({ command: "lock", overrideInputs: { leaf: `path:${work}/leaf2` } }, ["flake", "lock", "--override-input", "leaf", `path:${work}/leaf2`]);
    expect(overridden.stderr).toMatch(/Updated input 'leaf'/);
    // A CLI override of a path the flake itself overrides (dep/leaf follows leaf) is ignored by Nix 2.8.
    await both({ command: "lock", overrideInputs: { "dep/leaf": `path:${work}/leaf2` } }, ["flake", "lock", "--override-input", "dep/leaf", `path:${work}/leaf2`]);
    await both({ command: "update" }, ["flake", "update"]);
    const nope = await both({ command: "lock", updateInputs: ["nope"] }, ["flake", "lock", "--update-input", "nope"]);
    expect(nope.stderr).toMatch(/warning: the flag '--update-input nope' does not match any input/);
  }, 120_000);

  it("locks a git input with a subdirectory as Nix 2.8 (its `dir` also inside the URL)", async () => {
    mkdirSync(join(work, "nest/a/hello"), { recursive: true });
    writeFileSync(join(work, "nest/a/hello/flake.nix"), '{ outputs = { self }: { v = "nested"; }; }\n');
    git(join(work, "nest"), "init", "-q");
    git(join(work, "nest"), "add", "-A");
    git(join(work, "nest"), "commit", "-qm", "nest");
    for (const who of ["nix", "our"]) {
      mkdirSync(join(work, `dirin-${who}`));
      writeFileSync(join(work, `dirin-${who}/flake.nix`), `{ inputs.h.url = "git+file://${work}/nest?dir=a/hello"; outputs = { self, h }: { v = h.v; }; }\n`);
      git(join(work, `dirin-${who}`), "init", "-q");
      git(join(work, `dirin-${who}`), "add", "-A");
    }
    await nix(["flake", "lock", join(work, "dirin-nix")]);
    const got = ours({ command: "lock", flakeRef: join(work, "dirin-our") });
    expect(got.ok).toBe(true);
    const lock = readFileSync(join(work, "dirin-our/flake.lock"), "utf8");
    expect(lock).toBe(readFileSync(join(work, "dirin-nix/flake.lock"), "utf8"));
    expect(lock).toContain(`"url": "file://${work}/nest?dir=a%2fhello"`);
    const expected = await nix(["flake", "metadata", join(work, "dirin-nix")]);
    const meta = ours({ command: "metadata", flakeRef: join(work, "dirin-our") });
    expect(meta.stdout.replaceAll("dirin-our", "DIR").split("\n").slice(-3)).toEqual(expected.stdout.replaceAll("dirin-nix", "DIR").split("\n").slice(-3));
  }, 60_000);

  it("resolves indirect references through the user registry, as Nix", async () => {
    const registry = join(work, "config/nix/registry.json");
    mkdirSync(join(work, "config/nix"), { recursive: true });
    writeFileSync(registry, JSON.stringify({ flakes: [{ from: { id: "kinds", type: "indirect" }, to: { path: `${work}/kinds`, type: "path" } }], version: 2 }));
    const expected = await nix(["flake", "metadata", "--json", "kinds"]);
    const got = ours({ command: "metadata", flakeRef: "kinds", json: true });
    expect(got.stdout).toBe(expected.stdout);
    expect(JSON.parse(got.stdout)).toMatchObject({ originalUrl: "flake:kinds", resolvedUrl: `path:${work}/kinds` });

    const missing = ours({ command: "metadata", flakeRef: "nope" });
    const nixMissing = await nix(["flake", "metadata", "nope"]);
    expect(missing.stderr.split("\n")[0]).toBe("error: cannot find flake 'flake:nope' in the flake registries");
    expect(nixMissing.stderr.split("\n")[0]).toBe(missing.stderr.split("\n")[0]);
    rmSync(registry);
  }, 60_000);
});

describe.skipIf(!haveTools("nix", "git"))("errors for inputs that cannot be fetched", () => {
  const work = mkdtempSync(join(tmpdir(), "flake-err-"));
  let store: LocalStore;
  const saved = process.env.XDG_CONFIG_HOME;
  beforeAll(() => {
    process.env.XDG_CONFIG_HOME = join(work, "config");
    store = new LocalStore({ root: join(work, "store") });
  });
  afterAll(() => {
    process.env.XDG_CONFIG_HOME = saved;
    store.close();
    rmSync(work, { recursive: true, force: true });
  });
  const lock = (dir: string) => {
    const narHashOf = (p: string) => printHash(parseHashAnyPrefixed(store.queryPathInfo(p).narHash), "sri");
    return runFlakeCommand({ command: "lock", flakeRef: dir, cwd: work, system: "x86_64-linux", noFetchCache: true }, Object.assign(store, { narHashOf }));
  };
  const flakeWithInput = (name: string, url: string) => {
    mkdirSync(join(work, name));
    writeFileSync(join(work, name, "flake.nix"), `{ inputs.x.url = "${url}"; outputs = { self, x }: { }; }\n`);
    return join(work, name);
  };

  /** Our error and Nix's for `flake metadata DIR`, store locations made logical. */
  async function errorsFor(dir: string) {
    const nixStore = join(work, "nixstore");
    let nixErr = "";
    try {
      await run("nix", ["flake", "metadata", "--store", nixStore, dir]);
    } catch (e) {
      const lines = String((e as { stderr: string }).stderr).split("\n");
      nixErr = lines.slice(lines.findIndex((l) => l.startsWith("error:"))).join("\n").replaceAll(`${nixStore}/nix/store`, "/nix/store");
    }
    const narHashOf = (p: string) => printHash(parseHashAnyPrefixed(store.queryPathInfo(p).narHash), "sri");
    const r = runFlakeCommand({ command: "metadata", flakeRef: dir, cwd: work, system: "x86_64-linux", noFetchCache: true }, Object.assign(store, { narHashOf }));
    return { ours: r.error ?? "", nix: nixErr };
  }
  const committedFlake = (name: string, text: string) => {
    mkdirSync(join(work, name));
    writeFileSync(join(work, name, "flake.nix"), text);
    git(join(work, name), "init", "-q");
    git(join(work, name), "add", "-A");
    git(join(work, name), "commit", "-qm", name);
    return join(work, name);
  };

  it("reports a flake without outputs, an unsupported attribute and a syntax error as Nix 2.8", async () => {
    const noOutputs = await errorsFor(committedFlake("no-outputs", '{ description = "x"; }\n'));
    expect(noOutputs.ours).toMatch(/^error: flake 'git\+file:\/\/.*\/no-outputs\?ref=\w+&rev=[0-9a-f]{40}' lacks attribute 'outputs'$/);
    expect(noOutputs.nix.split("\n")[0]).toBe(noOutputs.ours);
    const extra = await errorsFor(committedFlake("extra-attr", "{ outputs = { self }: {}; foo = 1; }\n"));
    expect(extra.ours).toMatch(/has an unsupported attribute 'foo', at \/nix\/store\/\w{32}-source\/flake\.nix:1:27$/);
    expect(extra.nix.split("\n")[0]).toBe(extra.ours);
    const syntax = await errorsFor(committedFlake("syntax", "{ outputs = { self }: {\n  packages = ;\n}; }\n"));
    expect(syntax.ours.split("\n")[0]).toBe("error: syntax error, unexpected ';'");
    // The same position in the same (content-addressed) source; the excerpt's layout is the parser's.
    const at = (s: string) => s.split("\n").find((l) => l.trim().startsWith("at "))?.trim();
    expect(at(syntax.ours)).toMatch(/^at \/nix\/store\/\w{32}-source\/flake\.nix:2:14:$/);
    expect(at(syntax.ours)).toBe(at(syntax.nix));
  });

  it("resolves nixpkgs through the built-in registry to GitHub, and says what could not be downloaded", () => {
    // A proxy nobody listens on: the same answer with or without a network (forges: tests/flake/gitForge.test.ts).
    const saved = process.env.https_proxy;
    process.env.https_proxy = "http://127.0.0.1:1";
    try {
      const r = lock(flakeWithInput("gh", "nixpkgs"));
      expect(r.error).toBe("error: unable to download 'https://api.github.com/repos/NixOS/nixpkgs/commits/HEAD': connect ECONNREFUSED 127.0.0.1:1");
    } finally {
      if (saved === undefined) delete process.env.https_proxy;
      else process.env.https_proxy = saved;
    }
  });

  it("names a path input that does not exist as Nix 2.8 does", async () => {
    const dir = flakeWithInput("missing", `path:${work}/does-not-exist`);
    const r = lock(dir);
    let nixErr = "";
    try {
      await run("nix", ["flake", "lock", "--store", join(work, "nixstore"), dir]);
    } catch (e) {
      nixErr = String((e as { stderr: string }).stderr).split("\n").find((l) => l.startsWith("error:"))!;
    }
    expect(r.error).toBe(`error: getting status of '${work}/does-not-exist': No such file or directory`);
    expect(nixErr).toBe(r.error);
  });
});

describe.skipIf(!haveTools("nix"))("nixoci registry add | list | remove, as nix registry (Nix 2.8)", () => {
  const work = mkdtempSync(join(tmpdir(), "flake-reg-"));
  const bin = join(repoRoot, "bin/nixoci.js");
  const empty = join(work, "empty.json");
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const envFor = (who: string) => ({ ...process.env, XDG_CONFIG_HOME: join(work, who), HOME: join(work, "home") });
  const both = (...args: string[]) => {
    execFileSync("nix", ["registry", ...args], { env: envFor("nix"), stdio: "pipe" });
    execFileSync(process.execPath, [bin, "registry", ...args], { env: envFor("our"), stdio: "pipe" });
  };
  const file = (who: string) => readFileSync(join(work, who, "nix/registry.json"), "utf8");

  it("writes the same registry.json and lists the same entries", () => {
    writeFileSync(empty, '{"flakes":[],"version":2}');
    both("add", "foo", `path:${work}`);
    both("add", "nixpkgs", "github:NixOS/nixpkgs/nixos-22.05");
    both("add", "bar/main", `git+file://${work}/repo`);
    both("add", "baz", `git+file://${work}/repo?dir=sub`);
    both("add", "foo", `path:${work}/other`);
    expect(file("our")).toBe(file("nix"));
    const nixList = execFileSync("nix", ["registry", "list", "--flake-registry", empty], { env: envFor("nix"), encoding: "utf8" });
    const ourList = execFileSync(process.execPath, [bin, "registry", "list"], { env: envFor("our"), encoding: "utf8" });
    expect(ourList).toBe(`${nixList}global flake:nixpkgs github:NixOS/nixpkgs\n`);
    both("remove", "bar/main");
    expect(file("our")).toBe(file("nix"));
  });
});

describe("flake registry lookup", () => {
  const regs: Registry[] = [
    { type: "user", entries: [{ from: { id: "foo", type: "indirect" }, to: { id: "bar", type: "indirect" } }, { from: { id: "pinned", ref: "v1", type: "indirect" }, to: { type: "path", path: "/v1" }, exact: true }] },
    { type: "global", entries: [{ from: { id: "bar", type: "indirect" }, to: { owner: "o", repo: "r", type: "github" } }, { from: { id: "nixpkgs", type: "indirect" }, to: { owner: "NixOS", repo: "nixpkgs", type: "github" } }] },
  ];

  it("follows chains, carries ref/rev over and keeps dir", () => {
    expect(resolveIndirect({ id: "foo", type: "indirect" }, regs)).toEqual({ owner: "o", repo: "r", type: "github" });
    expect(resolveIndirect({ id: "nixpkgs", ref: "nixos-22.05", type: "indirect", dir: "lib" }, regs)).toEqual({ owner: "NixOS", repo: "nixpkgs", ref: "nixos-22.05", type: "github", dir: "lib" });
    expect(resolveIndirect({ id: "pinned", ref: "v1", type: "indirect" }, regs)).toEqual({ type: "path", path: "/v1" });
    expect(() => resolveIndirect({ id: "pinned", ref: "v2", type: "indirect" }, regs)).toThrow("cannot find flake 'flake:pinned/v2' in the flake registries");
  });
});
