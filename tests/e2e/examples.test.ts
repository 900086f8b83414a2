/**
 * The user's path, end to end, through the real CLI: every example flake is
 * built by `nixoci build`, checked by skopeo, unpacked by umoci and run by
 * runc; the leak example must fail with its why-depends chain; rebuilding
 * gives the same digest.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initExampleWorkTree } from "../helpers/exampleRepo.js";
import { haveTools } from "../helpers/tools.js";

const repoRoot = new URL("../..", import.meta.url).pathname;
const bin = join(repoRoot, "bin/nixoci.js");
const expected = JSON.parse(readFileSync(join(repoRoot, "tests/fixtures/examples/expected.json"), "utf8")) as Record<string, { outPath: string }>;

const work = mkdtempSync(join(tmpdir(), "nixoci-e2e-"));
const store = join(work, "store");
const env = { ...process.env, SOURCE_DATE_EPOCH: "1", XDG_CACHE_HOME: join(work, "cache") };

function nixoci(args: string[], cwd = work) {
  return spawnSync(process.execPath, [bin, ...args], { cwd, env, encoding: "utf8" });
}

/** The store path of `name` among the image's history entries (we record each layer's paths there). */
function storeName(cfg: { history: { created_by?: string }[] }, name: string): string {
  for (const h of cfg.history) {
    const m = new RegExp(`/nix/store/([a-z0-9]{32}-${name})`).exec(h.created_by ?? "");
    if (m) return m[1]!;
  }
  throw new Error(`no ${name} in the image history`);
}

function runImage(archive: string, name: string, args?: string[]): { stdout: string; config: { process: { user: { uid: number } } } } {
  const layout = join(work, `${name}-layout`);
  const bundle = join(work, `${name}-bundle`);
  execFileSync("skopeo", ["copy", "-q", `oci-archive:${archive}`, `oci:${layout}:latest`]);
  execFileSync("umoci", ["unpack", "--image", `${layout}:latest`, bundle], { stdio: "pipe" });
  const cfgFile = join(bundle, "config.json");
  const config = JSON.parse(readFileSync(cfgFile, "utf8"));
  config.process.terminal = false;
  if (args) config.process.args = args;
  writeFileSync(cfgFile, JSON.stringify(config));
  const stdout = execFileSync("runc", ["run", "-b", bundle, `nixoci-e2e-${name}-${process.pid}`], { encoding: "utf8", timeout: 30_000 });
  return { stdout, config };
}

describe.skipIf(!haveTools("skopeo", "umoci", "runc", "bwrap", "busybox", "git"))("examples, built and run", () => {
  beforeAll(() => {
    initExampleWorkTree(work);
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("hello: builds the same outPath as Nix 2.8 and prints its greeting under runc", () => {
    const r = nixoci(["build", "./examples/hello#default", "--store", store, "-o", join(work, "hello.tar"), "--json"]);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.status).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.outputs.out).toBe(expected["hello#default"]!.outPath);
    expect(summary.ref).toBe("hello:1.0");
    const inspect = JSON.parse(execFileSync("skopeo", ["inspect", `oci-archive:${join(work, "hello.tar")}`], { encoding: "utf8" }));
    expect(inspect.Digest).toBe(summary.digest);
    expect(runImage(join(work, "hello.tar"), "hello").stdout).toBe("Hello from nixoci!\n");
  });

  it("hello: a rebuild gives the same digest without building again", () => {
    const a = JSON.parse(nixoci(["build", "./examples/hello", "--store", store, "-o", join(work, "hello2.tar"), "--json"]).stdout);
    const b = nixoci(["build", "./examples/hello", "--store", store, "-o", join(work, "hello3.tar"), "--json"]);
    expect(b.stderr).not.toMatch(/building/);
    expect(JSON.parse(b.stdout).digest).toBe(a.digest);
    expect(readFileSync(join(work, "hello2.tar")).equals(readFileSync(join(work, "hello3.tar")))).toBe(true);
  });

  it("layered: the diamond's shared base gets its own layer, settings from the flake apply", () => {
    const r = nixoci(["build", "./examples/layered", "--store", store, "-o", join(work, "layered.tar"), "--json"]);
    expect(r.status).toBe(0);
    const summary = JSON.parse(r.stdout);
    // maxLayers = 4 in the flake: 3 store layers (2 alone, the rest together) + customisation.
    expect(summary.layers).toHaveLength(4);
    expect(summary.closure).toBe(5);
    const { stdout } = runImage(join(work, "layered.tar"), "layered");
    expect(stdout).toContain("app uses:");
    expect(stdout).toContain("liba-1.0");
    expect(stdout).toContain("libbase-2.1");
    const cfg = JSON.parse(execFileSync("skopeo", ["inspect", "--config", `oci-archive:${join(work, "layered.tar")}`], { encoding: "utf8" }));
    expect(cfg.config.Env).toContain("GREETING=layers");
    expect(cfg.config.Labels).toEqual({ "org.example.kind": "demo" });
  });

  it("webserver: exposes its port and runs as the non-root user", () => {
    const r = nixoci(["build", "./examples/webserver", "--store", store, "-o", join(work, "web.tar")]);
    expect(r.status).toBe(0);
    const cfg = JSON.parse(execFileSync("skopeo", ["inspect", "--config", `oci-archive:${join(work, "web.tar")}`], { encoding: "utf8" }));
    expect(cfg.config.ExposedPorts).toEqual({ "8080/tcp": {} });
    expect(cfg.config.User).toBe("www");
    expect(cfg.config.Entrypoint[0]).toMatch(/-webserver-0\.1\/bin\/webserver$/);
    // Serve inside the container and fetch the page from there (its network is private).
    const entry = cfg.config.Entrypoint[0] as string;
    const bb = `/nix/store/${storeName(cfg, "busybox-static")}/bin/busybox`;
    const { stdout, config } = runImage(join(work, "web.tar"), "web", [bb, "sh", "-c", `${entry} & ${bb} sleep 1; ${bb} wget -q -O- http://127.0.0.1:8080/; echo "uid=$(${bb} id -u)"`]);
    expect(stdout).toContain("Served by busybox httpd from a nixoci image.");
    expect(stdout).toContain("uid=1000");
    expect(config.process.user.uid).toBe(1000);
  });

  it("with-input: the path input from flake.lock ends up in the image", () => {
    const r = nixoci(["build", "./examples/with-input", "--store", store, "-o", join(work, "greet.tar")]);
    expect(r.status).toBe(0);
    expect(runImage(join(work, "greet.tar"), "greet").stdout).toBe("Hello from a path input!\n");
  });

  it("leak: --disallow (from the flake) fails before writing, with the chain", () => {
    const out = join(work, "leak.tar");
    const r = nixoci(["build", "./examples/leak", "--store", store, "-o", out]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/build-tools-1\.0/);
    expect(r.stderr).toMatch(/leaky-app-1\.0/);
    expect(spawnSync("test", ["-e", out]).status).not.toBe(0);
  });

  it("leak#strict: disallowedReferences fails the build with Nix's message", () => {
    const r = nixoci(["build", "./examples/leak#strict", "--store", store, "-o", join(work, "strict.tar")]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/output '\/nix\/store\/[a-z0-9]{32}-leaky-app-1\.0' is not allowed to refer to the following paths:\n\s+\/nix\/store\/[a-z0-9]{32}-build-tools-1\.0/);
  });

  it.skipIf(!haveTools("nix"))("--backend nix (Nix 2.8 evaluates and builds) gives the same image digests", () => {
    // with-input is left out: Nix 2.8 cannot re-read a lock of a relative path input.
    for (const ex of ["hello", "layered", "webserver"]) {
      const ours = nixoci(["build", `./examples/${ex}`, "--store", store, "-o", join(work, `${ex}-n.tar`), "--json"]);
      const viaNix = nixoci(["build", `./examples/${ex}`, "--backend", "nix", "--store", join(work, "nixstore"), "-o", join(work, `${ex}-x.tar`), "--json"]);
      expect(viaNix.status, viaNix.stderr).toBe(0);
      expect(JSON.parse(viaNix.stdout).digest).toBe(JSON.parse(ours.stdout).digest);
    }
  });

  it.skipIf(!haveTools("nix"))("why-depends on our store prints what nix why-depends prints on Nix's", () => {
    const hello = expected["hello#default"]!.outPath;
    const busybox = expected["hello#busybox"]!.outPath;
    for (const extra of [[], ["--precise"]]) {
      const ours = nixoci(["why-depends", "--store", store, ...extra, hello, busybox]);
      const theirs = spawnSync("nix", ["why-depends", "--store", join(work, "nixstore"), ...extra, hello, busybox], { encoding: "utf8" });
      expect(theirs.status, theirs.stderr).toBe(0);
      expect(ours.stdout).toBe(theirs.stdout);
    }
  });

  it("reports a missing attribute with what is available", () => {
    const r = nixoci(["build", "./examples/hello#nope", "--store", store]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/does not provide attribute/);
    expect(r.stderr).toMatch(/packages\.x86_64-linux\.hello/);
  });
});
