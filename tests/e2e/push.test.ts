/**
 * `nixoci push REF FLAKEREF`: build and push in one step, against a real
 * registry; the pushed manifest is the one `nixoci build` writes, and a
 * second push uploads nothing.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRegistry, type RegistryServer } from "../registry/helpers/registryServer.js";
import { initExampleWorkTree } from "../helpers/exampleRepo.js";
import { haveTools } from "../helpers/tools.js";

const repoRoot = new URL("../..", import.meta.url).pathname;

describe.skipIf(!haveTools("docker-registry", "skopeo", "bwrap", "busybox", "git"))("nixoci push FLAKEREF", () => {
  const work = mkdtempSync(join(tmpdir(), "nixoci-push-"));
  const env = { ...process.env, SOURCE_DATE_EPOCH: "1", XDG_CACHE_HOME: join(work, "cache") };
  const nixoci = (args: string[]) => spawnSync(process.execPath, [join(repoRoot, "bin/nixoci.js"), ...args], { cwd: work, env, encoding: "utf8" });
  let registry: RegistryServer;

  beforeAll(async () => {
    registry = await startRegistry();
    initExampleWorkTree(work);
  });
  afterAll(async () => {
    await registry?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("builds and pushes under the package version, then skips every blob on a second push", () => {
    const repo = `127.0.0.1:${registry.port}/demo/hello`;
    const store = join(work, "store");
    const first = nixoci(["push", repo, "./examples/hello", "--store", store, "--tls-verify=false", "--json", "-t", "latest"]);
    expect(first.status, first.stderr).toBe(0);
    const summary = JSON.parse(first.stdout);
    expect(summary.push ?? summary).toBeTruthy();
    expect(summary.blobs.pushed.length).toBeGreaterThan(0);

    const built = JSON.parse(nixoci(["build", "./examples/hello", "--store", store, "-o", join(work, "h.tar"), "--json"]).stdout);
    expect(summary.digest).toBe(built.digest);
    for (const tag of ["1.0", "latest"]) {
      const inspect = JSON.parse(execFileSync("skopeo", ["inspect", "--tls-verify=false", `docker://${repo}:${tag}`], { encoding: "utf8" }));
      expect(inspect.Digest).toBe(built.digest);
    }

    const second = nixoci(["push", `${repo}:1.0`, "./examples/hello", "--store", store, "--tls-verify=false", "--json"]);
    expect(second.status, second.stderr).toBe(0);
    const again = JSON.parse(second.stdout);
    expect(again.blobs.pushed).toEqual([]);
    expect(again.digest).toBe(built.digest);
  });
});
