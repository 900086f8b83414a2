/**
 * The GitHub Action, run as the runner runs it: `node action/main.mjs` with
 * INPUT_* variables (names upper-cased, dashes kept), GITHUB_OUTPUT and
 * GITHUB_STEP_SUMMARY files, against a real registry with Basic auth.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRegistry, type RegistryServer } from "../registry/helpers/registryServer.js";
import { initExampleWorkTree } from "../helpers/exampleRepo.js";
import { haveTools } from "../helpers/tools.js";

const repoRoot = new URL("../..", import.meta.url).pathname;
const secret = "s3cr3t-action-password";

/** Parse `name<<DELIM ... DELIM` blocks of a GITHUB_OUTPUT file. */
function readOutputs(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = readFileSync(file, "utf8").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /^([\w-]+)<<(.+)$/.exec(lines[i]!);
    if (!m) continue;
    const value: string[] = [];
    for (i++; lines[i] !== m[2]; i++) value.push(lines[i]!);
    out[m[1]!] = value.join("\n");
  }
  return out;
}

describe.skipIf(!haveTools("docker-registry", "htpasswd", "skopeo", "bwrap", "busybox", "git"))("GitHub Action", () => {
  const work = mkdtempSync(join(tmpdir(), "nixoci-action-"));
  let registry: RegistryServer;

  beforeAll(async () => {
    registry = await startRegistry({ kind: "basic", user: "ci-bot", password: secret });
    initExampleWorkTree(work);
  });
  afterAll(async () => {
    await registry?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("builds, pushes with the given credentials, and writes outputs and a job summary", () => {
    const outFile = join(work, "github_output");
    const summaryFile = join(work, "step_summary");
    writeFileSync(outFile, "");
    writeFileSync(summaryFile, "");
    const image = `127.0.0.1:${registry.port}/acme/hello`;
    const env = {
      ...process.env,
      SOURCE_DATE_EPOCH: "1",
      XDG_CACHE_HOME: join(work, "cache"),
      NIXOCI_STORE: join(work, "store"),
      GITHUB_WORKSPACE: work,
      GITHUB_OUTPUT: outFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      GITHUB_ACTOR: "someone-else",
      INPUT_FLAKE: "./examples/hello#default",
      INPUT_IMAGE: image,
      INPUT_TAGS: "v1, latest",
      INPUT_PUSH: "true",
      "INPUT_REGISTRY-USERNAME": "ci-bot",
      "INPUT_REGISTRY-PASSWORD": secret,
      "INPUT_MAX-LAYERS": "100",
      INPUT_DISALLOW: "",
      "INPUT_TLS-VERIFY": "false",
    };
    // The runner runs `pre` (install/build, a no-op here: dist exists) and then `main`.
    const pre = spawnSync(process.execPath, [join(repoRoot, "action/setup.mjs")], { cwd: work, env, encoding: "utf8" });
    expect(pre.status).toBe(0);
    const r = spawnSync(process.execPath, [join(repoRoot, "action/main.mjs")], { cwd: work, env, encoding: "utf8" });
    expect(r.stdout + r.stderr).not.toMatch(/::error::/);
    expect(r.status).toBe(0);

    // The secret is masked first and never printed otherwise.
    const all = r.stdout + r.stderr;
    expect(all.split(secret).length - 1).toBe(1);
    expect(r.stdout.startsWith(`::add-mask::${secret}\n`)).toBe(true);

    const outputs = readOutputs(outFile);
    expect(outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(outputs.imageid).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(outputs.tags!.split("\n")).toEqual([`${image}:v1`, `${image}:latest`]);
    const metadata = JSON.parse(outputs.metadata!);
    expect(metadata.digest).toBe(outputs.digest);
    expect(metadata.layers.length).toBeGreaterThanOrEqual(2);

    const summary = readFileSync(summaryFile, "utf8");
    expect(summary).toContain(outputs.digest!);
    expect(summary).toContain("| layer | digest | store paths | size |");

    // The registry has it under both tags, with the same digest.
    for (const tag of ["v1", "latest"]) {
      const inspect = JSON.parse(
        execFileSync("skopeo", ["inspect", "--tls-verify=false", "--creds", `ci-bot:${secret}`, `docker://${image}:${tag}`], { encoding: "utf8" }),
      );
      expect(inspect.Digest).toBe(outputs.digest);
    }
  });

  it("substitutes from the given binary cache instead of building, and masks the GitHub token", () => {
    // A cache holding hello's closure, written by `nixoci store copy` from the store the first test built.
    const cache = `file://${join(work, "binary-cache")}`;
    const outPath = JSON.parse(
      execFileSync(process.execPath, [join(repoRoot, "bin/nixoci.js"), "build", "./examples/hello", "--store", join(work, "store"), "-o", join(work, "h.tar"), "--json"], {
        cwd: work,
        env: { ...process.env, SOURCE_DATE_EPOCH: "1", XDG_CACHE_HOME: join(work, "cache") },
        encoding: "utf8",
      }),
    ) as { digest: string; outputs: Record<string, string> };
    // Signed, as a real cache is; the action is given the public key.
    const secretKey = execFileSync(process.execPath, [join(repoRoot, "bin/nixoci.js"), "key", "generate-secret", "--key-name", "test-cache-1"], { encoding: "utf8" });
    writeFileSync(join(work, "cache.sec"), secretKey);
    const publicKey = execFileSync(process.execPath, [join(repoRoot, "bin/nixoci.js"), "key", "convert-secret-to-public"], { input: secretKey, encoding: "utf8" }).trim();
    const copy = spawnSync(
      process.execPath,
      [join(repoRoot, "bin/nixoci.js"), "store", "copy", "--store", join(work, "store"), "--to", `${cache}?secret-key=${join(work, "cache.sec")}`, ...Object.values(outPath.outputs)],
      { cwd: work, encoding: "utf8" },
    );
    expect(copy.status, copy.stderr).toBe(0);

    const outFile = join(work, "github_output3");
    writeFileSync(outFile, "");
    const token = "ghs_notARealToken123";
    const r = spawnSync(process.execPath, [join(repoRoot, "action/main.mjs")], {
      cwd: work,
      env: {
        ...process.env,
        SOURCE_DATE_EPOCH: "1",
        XDG_CACHE_HOME: join(work, "cache3"),
        NIXOCI_STORE: join(work, "fresh-store"),
        GITHUB_WORKSPACE: work,
        GITHUB_OUTPUT: outFile,
        INPUT_FLAKE: "./examples/hello#default",
        INPUT_PUSH: "false",
        INPUT_SUBSTITUTERS: cache,
        "INPUT_TRUSTED-PUBLIC-KEYS": publicKey,
        "INPUT_GITHUB-ACCESS-TOKEN": token,
      },
      encoding: "utf8",
    });
    const all = r.stdout + r.stderr;
    expect(all).not.toMatch(/::error::/);
    expect(r.status).toBe(0);
    expect(all).not.toMatch(/building '/);
    for (const path of Object.values(outPath.outputs)) expect(all).toContain(`copying path '${path}' from '${cache}'`);
    expect(all.split(token).length - 1).toBe(1);
    expect(r.stdout).toContain(`::add-mask::${token}\n`);
    expect(readOutputs(outFile).digest).toBe(outPath.digest);
  });

  it("fails with an ::error:: line when the flake attribute does not exist", () => {
    const outFile = join(work, "github_output2");
    writeFileSync(outFile, "");
    const r = spawnSync(process.execPath, [join(repoRoot, "action/main.mjs")], {
      cwd: work,
      env: { ...process.env, XDG_CACHE_HOME: join(work, "cache"), NIXOCI_STORE: join(work, "store"), GITHUB_WORKSPACE: work, GITHUB_OUTPUT: outFile, INPUT_FLAKE: "./examples/hello#missing", INPUT_PUSH: "false" },
      encoding: "utf8",
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^::error::.*does not provide attribute/m);
    expect(readFileSync(outFile, "utf8")).toBe("");
  });
});
