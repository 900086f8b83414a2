/**
 * `nixoci build --from docker://REF`: a base image pulled from a real registry gives the same image as
 * the same base read from an OCI layout, its layers first; `push --base docker://…` too.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeLayout } from "../../src/oci/layout.js";
import { pushImage } from "../../src/oci/registry/push.js";
import { startRegistry, type RegistryServer } from "../registry/helpers/registryServer.js";
import { testImage } from "../registry/helpers/testImage.js";
import { initExampleWorkTree } from "../helpers/exampleRepo.js";
import { haveTools } from "../helpers/tools.js";

const repoRoot = new URL("../..", import.meta.url).pathname;

describe.skipIf(!haveTools("docker-registry", "skopeo", "bwrap", "busybox", "git"))("base image from a registry", () => {
  const work = mkdtempSync(join(tmpdir(), "nixoci-base-"));
  const env = { ...process.env, SOURCE_DATE_EPOCH: "1", XDG_CACHE_HOME: join(work, "cache") };
  const nixoci = (args: string[]) => spawnSync(process.execPath, [join(repoRoot, "bin/nixoci.js"), ...args], { cwd: work, env, encoding: "utf8" });
  const store = join(work, "store");
  const base = testImage([40_000, 5_000]);
  let registry: RegistryServer;
  let baseRef: string;

  beforeAll(async () => {
    registry = await startRegistry();
    initExampleWorkTree(work);
    await writeLayout(join(work, "base"), base.image, { tag: "v1" });
    baseRef = `127.0.0.1:${registry.port}/base/os:v1`;
    await pushImage(base.image, baseRef, { blobLocations: false });
  });
  afterAll(async () => {
    await registry?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("build --from docker://… equals build --from oci:…, base layers first", async () => {
    const fromLayout = nixoci(["build", "./examples/hello", "--store", store, "--from", `oci:${join(work, "base")}:v1`, "-o", join(work, "a.tar"), "--json"]);
    expect(fromLayout.status, fromLayout.stderr).toBe(0);
    const fromRegistry = nixoci(["build", "./examples/hello", "--store", store, "--from", `docker://${baseRef}`, "-o", join(work, "b.tar"), "--json"]);
    expect(fromRegistry.status, fromRegistry.stderr).toBe(0);
    const a = JSON.parse(fromLayout.stdout) as { digest: string };
    const b = JSON.parse(fromRegistry.stdout) as { digest: string };
    expect(b.digest).toBe(a.digest);

    const manifest = JSON.parse(execFileSync("skopeo", ["inspect", "--raw", `oci-archive:${join(work, "b.tar")}`], { encoding: "utf8" })) as { layers: { digest: string }[] };
    const baseLayers = (await base.image.manifest()).layers.map((l) => l.digest);
    expect(manifest.layers.slice(0, baseLayers.length).map((l) => l.digest)).toEqual(baseLayers);
    expect(manifest.layers.length).toBeGreaterThan(baseLayers.length);
  });

  it("push --base docker://… pushes the same image, the base's blobs mounted or skipped", () => {
    const repo = `127.0.0.1:${registry.port}/demo/app`;
    const pushed = nixoci(["push", repo, "./examples/hello", "--store", store, "--base", `docker://${baseRef}`, "--json"]);
    expect(pushed.status, pushed.stderr).toBe(0);
    const built = JSON.parse(nixoci(["build", "./examples/hello", "--store", store, "--from", `docker://${baseRef}`, "-o", join(work, "c.tar"), "--json"]).stdout) as { digest: string };
    expect((JSON.parse(pushed.stdout) as { digest: string }).digest).toBe(built.digest);
  });

  it("an unknown base names the registry and the reference", () => {
    const r = nixoci(["build", "./examples/hello", "--store", store, "--from", `docker://127.0.0.1:${registry.port}/base/none:v1`, "-o", join(work, "d.tar")]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/base\/none/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});
