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
