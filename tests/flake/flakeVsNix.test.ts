/**
 * Flakes against Nix 2.8: the examples' drvPath/outPath (committed fixture),
 * and a generated flake with git, path, follows, flake = false and tarball
 * inputs whose flake.lock and drvPath must equal `nix flake lock` / `nix eval`.
 */
import { execFileSync } from "node:child_process";
import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EvalRequest } from "../../src/evaluator/flake/evalInstallable.js";
import { evaluateInstallable } from "../../src/evaluator/flake/evaluate.js";
import { parseHashAnyPrefixed, printHash } from "../../src/store/format/index.js";
import { LocalStore } from "../../src/store/index.js";
import { haveTools } from "../helpers/tools.js";

const repoRoot = new URL("../..", import.meta.url).pathname;
const expected = JSON.parse(readFileSync(join(repoRoot, "tests/fixtures/examples/expected.json"), "utf8")) as Record<string, { drvPath: string; outPath: string }>;

// The fetch cache is on (in a temporary file): results must not depend on it.
const fetchCachePath = join(mkdtempSync(join(tmpdir(), "flake-fc-")), "fetch.sqlite");

function evaluate(req: Omit<EvalRequest, "system">, store: LocalStore) {
  const narHashOf = (p: string) => printHash(parseHashAnyPrefixed(store.queryPathInfo(p).narHash), "sri");
  return evaluateInstallable({ system: "x86_64-linux", noEvalCache: true, fetchCachePath, ...req }, Object.assign(store, { narHashOf }));
}

const serveScript = `
  const http = require("node:http"), fs = require("node:fs");
  const s = http.createServer((q, r) => q.url === "/tb.tar.gz" ? fs.createReadStream(process.argv[1]).pipe(r) : r.writeHead(404).end());
  s.listen(0, "127.0.0.1", () => console.log(s.address().port));`;

const gitEnv = { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@e", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@e", GIT_COMMITTER_DATE: "2021-05-06T07:08:09Z", GIT_AUTHOR_DATE: "2021-05-06T07:08:09Z" };
const git = (dir: string, ...args: string[]) => execFileSync("git", ["-C", dir, ...args], { env: gitEnv, encoding: "utf8" });

describe("flake examples evaluate to Nix 2.8's derivations", () => {
  const work = mkdtempSync(join(tmpdir(), "flake-ex-"));
  let store: LocalStore;
  beforeAll(() => {
    // A clean git copy of examples/, like a fresh clone: only tracked files count.
    cpSync(join(repoRoot, "examples"), join(work, "examples"), { recursive: true });
    git(work, "init", "-q");
    git(work, "add", "-A");
    store = new LocalStore({ root: join(work, "store") });
  });
  afterAll(() => {
    store.close();
    rmSync(work, { recursive: true, force: true });
  });

  it.each(Object.entries(expected))("%s", (key, exp) => {
    const [ex, attr] = key.split("#") as [string, string];
    const r = evaluate({ installable: `./examples/${ex}#${attr}`, cwd: work, noWriteLock: true }, store);
    expect(r.error).toBeUndefined();
    expect(r.info!.drvPath).toBe(exp.drvPath);
    expect(r.info!.outputs.out).toBe(exp.outPath);
  });

  it("reads meta.mainProgram, the nixoci settings and the name parts", () => {
    const r = evaluate({ installable: "./examples/layered", cwd: work, noWriteLock: true }, store);
    expect(r.info).toMatchObject({ pname: "layered-app", version: "1.2", mainProgram: "layered-app", attrPath: ["packages", "x86_64-linux", "default"] });
    expect(r.info!.settings).toEqual({ maxLayers: 4, env: { GREETING: "layers" }, labels: { "org.example.kind": "demo" } });
  });

  it("lists what is available when the attribute is missing", () => {
    const r = evaluate({ installable: "./examples/hello#nope", cwd: work, noWriteLock: true }, store);
    // Nix 2.8's first line: error: flake 'git+file://…?dir=hello' does not provide attribute 'packages.x86_64-linux.nope', 'legacyPackages.x86_64-linux.nope' or 'nope'
    expect(r.error!.split("\n")[0]).toBe(`error: flake 'git+file://${work}?dir=examples%2fhello' does not provide attribute 'packages.x86_64-linux.nope', 'legacyPackages.x86_64-linux.nope' or 'nope'`);
    expect(r.error).toMatch(/packages\.x86_64-linux\.hello/);
  });

  it("reports a syntax error in flake.nix with its position", () => {
    writeFileSync(join(work, "examples/hello/flake.nix"), "{ outputs = { self }: {\n  packages = ;\n}; }\n");
    const r = evaluate({ installable: "./examples/hello", cwd: work, noWriteLock: true }, store);
    expect(r.error).toMatch(/^error: syntax error, unexpected ';'/);
    expect(r.error).toMatch(/examples\/hello\/flake\.nix:2:14/);
    git(work, "checkout", "--", "examples/hello/flake.nix");
  });

  it("rejects a flake without outputs", () => {
    mkdirSync(join(work, "examples/broken"), { recursive: true });
    writeFileSync(join(work, "examples/broken/flake.nix"), '{ description = "x"; }\n');
    git(work, "add", "examples/broken");
    const r = evaluate({ installable: "./examples/broken", cwd: work, noWriteLock: true }, store);
    expect(r.error).toMatch(/lacks attribute 'outputs'/);
  });

  it("turns store paths in the nixoci settings into output paths (image roots), never .drv files", () => {
    mkdirSync(join(work, "examples/ctx"), { recursive: true });
    writeFileSync(
      join(work, "examples/ctx/flake.nix"),
      `{ outputs = { self }: let
          mk = name: derivation { inherit name; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "echo > $out" ]; };
          tool = mk "tool";
          two = derivation { name = "two"; system = "x86_64-linux"; builder = "/bin/sh"; outputs = [ "out" "doc" ]; args = [ "-c" "echo > $out; echo > $doc" ]; };
        in { packages.x86_64-linux = { inherit tool two; default = mk "app" // { nixoci.entrypoint = [ "\${tool}/bin/tool" ]; nixoci.env.DOC = "\${two.doc}"; }; }; }; }\n`,
    );
    git(work, "add", "examples/ctx");
    const app = evaluate({ installable: "./examples/ctx", cwd: work, noWriteLock: true }, store);
    const tool = evaluate({ installable: "./examples/ctx#tool", cwd: work, noWriteLock: true }, store);
    const two = evaluate({ installable: "./examples/ctx#two", cwd: work, noWriteLock: true }, store);
    expect(app.error).toBeUndefined();
    expect(app.info!.settingsReferences).toEqual([tool.info!.outputs.out, two.info!.outputs.doc].sort());
  });
});

describe.skipIf(!haveTools("nix", "git"))("locking against nix flake lock (Nix 2.8)", () => {
  const work = mkdtempSync(join(tmpdir(), "flake-lock-"));
  let server: ChildProcess;
  let port = 0;
  let store: LocalStore;

  beforeAll(async () => {
    // leaf: a path flake; dep: a git flake with its own input on leaf;
    // data: a plain directory (flake = false); tb: a flake in a tarball over HTTP.
    mkdirSync(join(work, "leaf"));
    writeFileSync(join(work, "leaf/flake.nix"), '{ outputs = { self }: { value = "leaf"; }; }\n');
    mkdirSync(join(work, "dep"));
    writeFileSync(join(work, "dep/flake.nix"), `{ inputs.leaf.url = "path:${work}/leaf"; outputs = { self, leaf }: { value = "dep+" + leaf.value; }; }\n`);
    git(join(work, "dep"), "init", "-q");
    git(join(work, "dep"), "add", "-A");
    git(join(work, "dep"), "commit", "-qm", "dep");
    mkdirSync(join(work, "data"));
    writeFileSync(join(work, "data/x.txt"), "data file\n");
    mkdirSync(join(work, "tbsrc/tb"), { recursive: true });
    writeFileSync(join(work, "tbsrc/tb/flake.nix"), '{ outputs = { self }: { value = "tarball"; }; }\n');
    execFileSync("tar", ["-czf", join(work, "tb.tar.gz"), "--mtime=2020-01-01", "-C", join(work, "tbsrc"), "tb"]);
    // In its own process: evaluation is synchronous and would block a server in ours.
    server = spawn(process.execPath, ["-e", serveScript, join(work, "tb.tar.gz")], { stdio: ["ignore", "pipe", "inherit"] });
    port = await new Promise<number>((resolve, reject) => {
      server.stdout!.once("data", (d: Buffer) => resolve(Number(d.toString().trim())));
      server.once("exit", (c) => reject(new Error(`server exited ${c}`)));
    });

    mkdirSync(join(work, "root"));
    writeFileSync(
      join(work, "root/flake.nix"),
      `{
  inputs = {
    dep.url = "git+file://${work}/dep";
    leaf.url = "path:${work}/leaf";
    dep.inputs.leaf.follows = "leaf";
    data = { url = "path:${work}/data"; flake = false; };
    tb.url = "http://127.0.0.1:${port}/tb.tar.gz";
  };
  outputs = { self, dep, leaf, data, tb }: {
    packages.x86_64-linux.default = derivation {
      name = "combined";
      system = "x86_64-linux";
      builder = "/bin/sh";
      args = [ "-c" "cat \${data}/x.txt > $out" ];
      values = dep.value + " " + leaf.value + " " + tb.value;
      src = self;
    };
  };
}
`,
    );
    git(join(work, "root"), "init", "-q");
    git(join(work, "root"), "add", "-A");
    store = new LocalStore({ root: join(work, "store") });
  });

  afterAll(() => {
    store?.close();
    server?.kill();
    rmSync(work, { recursive: true, force: true });
  });

  it("writes the same flake.lock and computes the same drvPath as Nix", () => {
    const nixStore = join(work, "nixstore");
    execFileSync("nix", ["flake", "lock", "--store", nixStore, join(work, "root")], { stdio: "pipe" });
    const nixLock = readFileSync(join(work, "root/flake.lock"), "utf8");
    const nixDrv = execFileSync("nix", ["eval", "--store", nixStore, "--raw", `${join(work, "root")}#packages.x86_64-linux.default.drvPath`], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    rmSync(join(work, "root/flake.lock"));

    const r = evaluate({ installable: join(work, "root"), cwd: work }, store);
    expect(r.error).toBeUndefined();
    expect(readFileSync(join(work, "root/flake.lock"), "utf8")).toBe(nixLock);
    expect(r.info!.drvPath).toBe(nixDrv);
    expect(r.messages.join("\n")).toMatch(/creating lock file/);

    // Locked now: evaluating again reuses the lock as it is.
    const again = evaluate({ installable: join(work, "root"), cwd: work }, store);
    expect(again.info!.drvPath).toBe(nixDrv);
    expect(readFileSync(join(work, "root/flake.lock"), "utf8")).toBe(nixLock);
  });

  it("uses a locked input already in the store as is, and refuses changed contents in a fresh store, as Nix", async () => {
    const before = evaluate({ installable: join(work, "root"), cwd: work }, store);
    writeFileSync(join(work, "data/x.txt"), "changed\n");
    try {
      // Nix 2.8 computes a locked input's store path from its narHash and does not look at the source again.
      const same = evaluate({ installable: join(work, "root"), cwd: work }, store);
      expect(same.error).toBeUndefined();
      expect(same.info!.drvPath).toBe(before.info!.drvPath);
      const fresh = new LocalStore({ root: join(work, "fresh-store") });
      const r = evaluate({ installable: join(work, "root"), cwd: work }, fresh);
      fresh.close();
      const nixFresh = join(work, "nix-fresh-store");
      let nixError = "";
      try {
        execFileSync("nix", ["eval", "--store", nixFresh, "--raw", `${join(work, "root")}#packages.x86_64-linux.default.drvPath`], { stdio: "pipe" });
      } catch (e) {
        nixError = String((e as { stderr: Buffer }).stderr).split("\n").find((l) => l.startsWith("error:"))!;
      }
      const ours = r.error!.replaceAll(join(work, "fresh-store"), "STORE");
      expect(ours).toMatch(/^error: NAR hash mismatch in input 'path:.*\/data\?lastModified=\d+&narHash=sha256-.*' \(STORE\/nix\/store\/\w{32}-source\), expected 'sha256-.*', got 'sha256-.*'$/);
      expect(ours).toBe(nixError.replaceAll(nixFresh, "STORE"));
    } finally {
      writeFileSync(join(work, "data/x.txt"), "data file\n");
    }
  });
});
