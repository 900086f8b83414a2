/**
 * `nixoci push` and `nixoci copy` as a user runs them (bin/nixoci.js, built
 * by `npm test`), against a real docker-registry with Basic auth; skopeo checks.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeLayout } from "../../src/oci/layout.js";
import { imageFromRawConfig, newIndex, type Image } from "../../src/oci/image.js";
import { pushImage } from "../../src/oci/registry/push.js";
import { haveTools } from "../helpers/tools.js";
import { isolatedEnv } from "./helpers/isolated.js";
import { startRegistry, type RegistryServer } from "./helpers/registryServer.js";
import { testImage } from "./helpers/testImage.js";

const run = promisify(execFile);

/** The same layers under a config that says another architecture. */
async function convertImageArch(image: Image, architecture: string): Promise<Image> {
  const config = JSON.parse((await image.rawConfig()).toString()) as Record<string, unknown>;
  return imageFromRawConfig({ rawConfig: Buffer.from(JSON.stringify({ ...config, architecture })), layers: await image.layers() });
}
const bin = new URL("../../bin/nixoci.js", import.meta.url).pathname;
const USER = "bob";
const PASSWORD = "cli-Secret-987";
const CREDS = `${USER}:${PASSWORD}`;

describe.skipIf(!haveTools("docker-registry", "skopeo", "htpasswd"))("nixoci push / copy", () => {
  let registry: RegistryServer;
  let tmp: string;
  let env: NodeJS.ProcessEnv;
  const { image, blobs } = testImage([80_000, 3_000]);

  const nixoci = (...args: string[]) => run(process.execPath, [bin, ...args], { env, encoding: "utf8" });
  const skopeo = (...args: string[]) => run("skopeo", args, { encoding: "utf8" });

  beforeAll(async () => {
    registry = await startRegistry({ kind: "basic", user: USER, password: PASSWORD });
    tmp = mkdtempSync(path.join(os.tmpdir(), "nixoci-cli-"));
    env = isolatedEnv(tmp);
    await writeLayout(path.join(tmp, "layout"), image, { tag: "v1" });
  });
  afterAll(async () => {
    await registry?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("push --from-layout with --json and --digestfile", async () => {
    const digestFile = path.join(tmp, "digest");
    const { stdout } = await nixoci(
      "push", `${registry.host}/cli/app:v1`, "--from-layout", `${path.join(tmp, "layout")}:v1`,
      "--creds", CREDS, "--json", "--digestfile", digestFile, "-t", "extra",
    );
    const summary = JSON.parse(stdout) as { digest: string; tags: string[]; blobs: { pushed: string[]; skipped: string[]; mounted: string[] } };
    expect(summary.digest).toBe(await image.digest());
    expect(summary.tags).toEqual(["v1", "extra"]);
    expect(summary.blobs.pushed).toHaveLength(blobs.size + 1);
    expect(readFileSync(digestFile, "utf8")).toBe(summary.digest);
    for (const tag of ["v1", "extra"]) {
      const { stdout: inspect } = await skopeo("inspect", "--tls-verify=false", "--creds", CREDS, `docker://${registry.host}/cli/app:${tag}`);
      expect((JSON.parse(inspect) as { Digest: string }).Digest).toBe(summary.digest);
    }
  });

  it("copy docker:// → docker:// mounts within the registry, and --debug never prints secrets", async () => {
    const { stdout, stderr } = await nixoci(
      "copy", `docker://${registry.host}/cli/app:v1`, `docker://${registry.host}/cli/mirror:v1`, "--creds", CREDS, "--json", "--debug",
    );
    const summary = JSON.parse(stdout) as { blobs: { mounted: string[]; pushed: string[] } };
    expect(summary.blobs.mounted).toHaveLength(blobs.size + 1);
    expect(summary.blobs.pushed).toEqual([]);
    expect(stderr).toContain("debug: > POST");
    expect(stderr).toContain("Basic <redacted>");
    expect(stderr).not.toContain(PASSWORD);
    expect(stderr).not.toContain(Buffer.from(CREDS).toString("base64"));
  });

  it("copy docker:// → oci:, oci-archive: and docker-archive: read back by skopeo", async () => {
    const dir = path.join(tmp, "out-layout");
    const { stderr: pullLog } = await nixoci("copy", `docker://${registry.host}/cli/app:v1`, `oci:${dir}:v1`, "--creds", CREDS);
    // Not a terminal: one line per blob read from the registry, then the summary.
    for (const digest of blobs.keys()) expect(pullLog).toContain(`pulled ${digest}\n`);
    expect(pullLog).toContain(`Copied to oci:${dir}:v1: ${await image.digest()}`);
    const { stdout: raw } = await skopeo("inspect", "--raw", `oci:${dir}:v1`);
    expect(Buffer.compare(Buffer.from(raw), await image.rawManifest())).toBe(0);
    for (const [digest, bytes] of blobs) {
      expect(Buffer.compare(readFileSync(path.join(dir, "blobs", "sha256", digest.slice(7))), bytes)).toBe(0);
    }
    const archive = path.join(tmp, "out.tar");
    await nixoci("copy", `docker://${registry.host}/cli/app:v1`, `oci-archive:${archive}:v1`, "--creds", CREDS, "-q");
    const { stdout: fromArchive } = await skopeo("inspect", "--raw", `oci-archive:${archive}:v1`);
    expect(Buffer.compare(Buffer.from(fromArchive), await image.rawManifest())).toBe(0);
    const dockerArchive = path.join(tmp, "docker.tar");
    await nixoci("copy", `docker://${registry.host}/cli/app:v1`, `docker-archive:${dockerArchive}:cli/app:v1`, "--creds", CREDS, "-q");
    const { stdout: cfg } = await skopeo("inspect", "--config", `docker-archive:${dockerArchive}`);
    expect(JSON.parse(cfg)).toEqual(JSON.parse((await image.rawConfig()).toString()));
  });

  it("push --from docker-archive: and oci-archive: (the OCI engineer's readers)", async () => {
    const dockerArchive = path.join(tmp, "docker.tar");
    const archive = path.join(tmp, "out.tar");
    await nixoci("push", `${registry.host}/cli/fromdocker:v1`, "--from", `docker-archive:${dockerArchive}`, "--creds", CREDS, "-q");
    const { stdout: cfg } = await skopeo("inspect", "--config", "--tls-verify=false", "--creds", CREDS, `docker://${registry.host}/cli/fromdocker:v1`);
    expect(JSON.parse(cfg)).toEqual(JSON.parse((await image.rawConfig()).toString()));
    // docker-archive layers are plain tars: gzipped on the way, as skopeo does.
    const { stdout: rawDocker } = await skopeo("inspect", "--raw", "--tls-verify=false", "--creds", CREDS, `docker://${registry.host}/cli/fromdocker:v1`);
    const m = JSON.parse(rawDocker) as { mediaType: string; layers: { mediaType: string }[] };
    expect(m.mediaType).toBe("application/vnd.docker.distribution.manifest.v2+json");
    expect(m.layers.map((l) => l.mediaType)).toEqual(Array(blobs.size).fill("application/vnd.docker.image.rootfs.diff.tar.gzip"));
    const { stdout } = await nixoci("push", `${registry.host}/cli/fromarchive:v1`, "--from", `oci-archive:${archive}:v1`, "--creds", CREDS, "--json");
    expect((JSON.parse(stdout) as { digest: string }).digest).toBe(await image.digest());
  });

  it("copy --all keeps a multi-platform index; --platform picks one image", async () => {
    const arm = testImage([2_000]).image;
    const index = newIndex({ images: [image, await convertImageArch(arm, "arm64")] });
    await pushImage(index, `${registry.host}/cli/multi:v1`, { credentials: { creds: CREDS }, blobLocations: false });
    const all = path.join(tmp, "all");
    await nixoci("copy", "--all", `docker://${registry.host}/cli/multi:v1`, `oci:${all}:v1`, "--creds", CREDS, "-q");
    const { stdout: rawIndex } = await skopeo("inspect", "--raw", `oci:${all}:v1`);
    expect(Buffer.compare(Buffer.from(rawIndex), await index.rawManifest())).toBe(0);
    const one = path.join(tmp, "one");
    await nixoci("copy", "--platform", "linux/amd64", `docker://${registry.host}/cli/multi:v1`, `oci:${one}:v1`, "--creds", CREDS, "-q");
    const { stdout: rawOne } = await skopeo("inspect", "--raw", `oci:${one}:v1`);
    expect(Buffer.compare(Buffer.from(rawOne), await image.rawManifest())).toBe(0);
  });

  it("reports a wrong password as an error without the password, exit 1", async () => {
    const err = (await nixoci("push", `${registry.host}/cli/app:v2`, "--from-layout", path.join(tmp, "layout"), "--creds", `${USER}:nope-${PASSWORD}x`, "-q").catch(
      (e: unknown) => e,
    )) as { code: number; stderr: string };
    expect(err.code).toBe(1);
    expect(err.stderr).toMatch(/^error: .*authentication failed with credentials from --creds/m);
    expect(err.stderr).toContain("HTTP 401");
    expect(err.stderr).not.toContain(PASSWORD);
  });

  it("rejects unknown transports and bad references as usage errors (exit 2)", async () => {
    for (const args of [["copy", "foo:bar", `oci:${tmp}/x`], ["push", "UPPER/Case:v1", "--from-layout", tmp]]) {
      const err = (await nixoci(...args).catch((e: unknown) => e)) as { code: number; stderr: string };
      expect(err.code, args.join(" ")).toBe(2);
    }
  });
});
