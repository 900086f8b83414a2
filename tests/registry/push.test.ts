/**
 * Push/pull against a real docker-registry without auth, checked by skopeo,
 * with request counting through a loopback proxy.
 */
import { execFileSync } from "node:child_process";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readAll } from "../../src/oci/image.js";
import { pullImage } from "../../src/oci/registry/pull.js";
import { pushImage } from "../../src/oci/registry/push.js";
import { copyImage } from "../../src/oci/transport/copy.js";
import { parseImageLocation } from "../../src/oci/transport/location.js";
import { BlobLocations } from "../../src/oci/registry/blobLocations.js";
import { newIndex, blobLayer, newImage } from "../../src/oci/image.js";
import { MediaType } from "../../src/oci/spec.js";
import { sha256Digest } from "../../src/oci/spec.js";
import { haveTools } from "../helpers/tools.js";
import { startFaultProxy, type FaultProxy } from "./helpers/faultProxy.js";
import { startRegistry, type RegistryServer } from "./helpers/registryServer.js";
import { testImage } from "./helpers/testImage.js";

describe.skipIf(!haveTools("docker-registry", "skopeo"))("push and pull, no auth", () => {
  let registry: RegistryServer;
  let proxy: FaultProxy;
  let tmp: string;
  let cacheFile: string;
  const { image, blobs } = testImage([300_000, 50_000, 1_000]);

  beforeAll(async () => {
    registry = await startRegistry();
    proxy = await startFaultProxy(registry.port);
    tmp = mkdtempSync(path.join(os.tmpdir(), "nixoci-push-"));
    cacheFile = path.join(tmp, "blob-locations.json");
  });
  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("pushes an image that skopeo reads back byte for byte", async () => {
    const result = await pushImage(image, `${registry.host}/test/app:v1`, { blobLocations: cacheFile });
    expect(result.digest).toBe(await image.digest());
    expect(result.blobs.pushed.sort()).toEqual([...blobs.keys(), (await image.manifest()).config.digest].sort());
    expect(result.blobs.skipped).toEqual([]);

    const raw = execFileSync("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${registry.host}/test/app:v1`]);
    expect(sha256Digest(raw)).toBe(result.digest);
    expect(Buffer.compare(raw, await image.rawManifest())).toBe(0);

    const layout = path.join(tmp, "layout");
    execFileSync("skopeo", ["copy", "--src-tls-verify=false", `docker://${registry.host}/test/app:v1`, `oci:${layout}:v1`], { stdio: "pipe" });
    for (const [digest, bytes] of blobs) {
      const onDisk = readFileSync(path.join(layout, "blobs", "sha256", digest.slice(7)));
      expect(Buffer.compare(onDisk, bytes)).toBe(0);
    }
    const config = readFileSync(path.join(layout, "blobs", "sha256", (await image.manifest()).config.digest.slice(7)));
    expect(Buffer.compare(config, await image.rawConfig())).toBe(0);
  });

  it("pulls the image back with verified blobs", async () => {
    const { image: pulled, client } = await pullImage(`${registry.host}/test/app:v1`);
    try {
      expect(await pulled.digest()).toBe(await image.digest());
      if ("layers" in pulled) {
        const layers = await pulled.layers();
        for (const layer of layers) {
          const bytes = await readAll(layer.compressed());
          expect(sha256Digest(bytes)).toBe(await layer.digest());
          expect(Buffer.compare(bytes, blobs.get(await layer.digest())!)).toBe(0);
        }
        expect(Buffer.compare(await pulled.rawConfig(), await image.rawConfig())).toBe(0);
      } else {
        throw new Error("expected an image, got an index");
      }
    } finally {
      client.close();
    }
  });

  it("pulls into an OCI layout (blobs several at once, written in batches) with the same blobs as skopeo's", async () => {
    const big = testImage([3_000_000, 2_200_000, 700_000, 10]);
    await pushImage(big.image, `${registry.host}/test/big:v1`, { blobLocations: false });
    const ours = path.join(tmp, "pulled-big");
    const theirs = path.join(tmp, "skopeo-big");
    await copyImage(parseImageLocation(`docker://${registry.host}/test/big:v1`), parseImageLocation(`oci:${ours}:v1`));
    execFileSync("skopeo", ["copy", "--src-tls-verify=false", `docker://${registry.host}/test/big:v1`, `oci:${theirs}:v1`], { stdio: "pipe" });
    const blobDir = (root: string) => path.join(root, "blobs", "sha256");
    expect(readdirSync(blobDir(ours)).sort()).toEqual(readdirSync(blobDir(theirs)).sort());
    for (const name of readdirSync(blobDir(theirs))) {
      expect(Buffer.compare(readFileSync(path.join(blobDir(ours), name)), readFileSync(path.join(blobDir(theirs), name)))).toBe(0);
    }
    for (const [digest, bytes] of big.blobs) expect(Buffer.compare(readFileSync(path.join(blobDir(ours), digest.slice(7))), bytes)).toBe(0);
  });

  it("a second push uploads no blob", async () => {
    proxy.reset();
    const result = await pushImage(image, `${proxy.host}/test/app:v1`, { blobLocations: cacheFile });
    expect(result.blobs.pushed).toEqual([]);
    expect(result.blobs.skipped).toHaveLength(4);
    const uploads = proxy.log.filter((r) => r.method === "POST" || r.method === "PATCH" || (r.method === "PUT" && r.url.includes("/blobs/")));
    expect(uploads).toEqual([]);
    // ping + HEAD of the tag, which already names this digest
    expect(proxy.log.map((r) => `${r.method} ${r.url}`)).toEqual(["GET /v2/", "HEAD /v2/test/app/manifests/v1"]);
    expect(result.requests).toBe(proxy.log.length);
  });

  it("a push under a new tag checks blobs one by one, uploads none, and adds the tag", async () => {
    proxy.reset();
    // Through the proxy's host name: the blob cache now knows the blobs at test/app on this host.
    const result = await pushImage(image, `${proxy.host}/test/app:v2`, { blobLocations: cacheFile });
    expect(result.blobs.skipped).toHaveLength(4);
    expect(proxy.log.map((r) => r.method).sort()).toEqual(["GET", "HEAD", "HEAD", "HEAD", "HEAD", "HEAD", "PUT"]);
    const raw = execFileSync("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${registry.host}/test/app:v2`]);
    expect(sha256Digest(raw)).toBe(result.digest);
  });

  it("pushing to a second repository mounts every blob", async () => {
    proxy.reset();
    const result = await pushImage(image, `${proxy.host}/other/copy:v1`, { blobLocations: cacheFile });
    expect(result.blobs.mounted).toHaveLength(4);
    expect(result.blobs.pushed).toEqual([]);
    const mounts = proxy.log.filter((r) => r.method === "POST" && r.url.includes("mount="));
    expect(mounts).toHaveLength(4);
    expect(proxy.log.filter((r) => r.method === "PATCH" || (r.method === "PUT" && r.url.includes("/blobs/")))).toEqual([]);
    const raw = execFileSync("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${registry.host}/other/copy:v1`]);
    expect(sha256Digest(raw)).toBe(await image.digest());
  });

  it("uploads big blobs in chunks that the registry assembles correctly", async () => {
    const big = testImage([1_000_000]);
    proxy.reset();
    const result = await pushImage(big.image, `${proxy.host}/test/chunked:v1`, { blobLocations: false, chunkSize: 256 * 1024 });
    expect(result.blobs.pushed).toHaveLength(2);
    expect(proxy.log.filter((r) => r.method === "PATCH")).toHaveLength(4);
    const layout = path.join(tmp, "chunked");
    execFileSync("skopeo", ["copy", "--src-tls-verify=false", `docker://${registry.host}/test/chunked:v1`, `oci:${layout}:v1`], { stdio: "pipe" });
    const [digest, bytes] = [...big.blobs][0]!;
    expect(Buffer.compare(readFileSync(path.join(layout, "blobs", "sha256", digest.slice(7))), bytes)).toBe(0);
  });

  it("falls back to uploading through the session a declined mount opened", async () => {
    const { image, blobs } = testImage([20_000]);
    const locations = await BlobLocations.open(undefined);
    // A stale cache entry: the registry has no such repository, so it declines the mount with 202.
    for (const d of [...blobs.keys(), (await image.manifest()).config.digest]) locations.record(d, proxy.host, "ghost/repo");
    proxy.reset();
    const result = await pushImage(image, `${proxy.host}/test/declined:v1`, { blobLocations: locations });
    expect(result.blobs.pushed).toHaveLength(2);
    const posts = proxy.log.filter((r) => r.method === "POST");
    expect(posts.every((r) => r.url.includes("mount=") && r.status === 202)).toBe(true);
    expect(posts).toHaveLength(2);
    expect(locations.candidates([...blobs.keys()][0]!, proxy.host, "test/declined")).toEqual([]);
    const raw = execFileSync("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${registry.host}/test/declined:v1`]);
    expect(sha256Digest(raw)).toBe(result.digest);
  });

  it("honours OCI-Chunk-Min-Length over a smaller chunk size", async () => {
    const big = testImage([700_000]);
    proxy.reset();
    proxy.fault = ({ method, url }) =>
      method === "POST" && url.includes("/blobs/uploads/") ? { kind: "addHeaders", headers: { "OCI-Chunk-Min-Length": "300000" } } : undefined;
    await pushImage(big.image, `${proxy.host}/test/minchunk:v1`, { blobLocations: false, chunkSize: 100_000 });
    // ~700 KB in chunks of at least 300 000 bytes: 3 PATCHes, not 7.
    expect(proxy.log.filter((r) => r.method === "PATCH")).toHaveLength(3);
  });

  it("pushes a multi-platform index; pull selects a platform", async () => {
    const mk = (architecture: string, variant?: string) => {
      // gzip layers: skopeo would recompress uncompressed ones and change the manifest.
      const payload = gzipSync(Buffer.from(`layer for ${architecture}`));
      const layer = blobLayer({ mediaType: MediaType.OciLayerGzip, open: () => Readable.from([payload]) });
      return newImage({ config: { architecture, os: "linux", ...(variant ? { variant } : {}), rootfs: { type: "layers", diff_ids: [] } }, layers: [layer] });
    };
    const amd = mk("amd64");
    const arm = mk("arm64", "v8");
    const index = newIndex({ images: [amd, arm] });
    const result = await pushImage(index, `${registry.host}/test/multi:v1`, { blobLocations: false });
    expect(result.mediaType).toBe(MediaType.OciIndex);
    const raw = execFileSync("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${registry.host}/test/multi:v1`]);
    expect(sha256Digest(raw)).toBe(await index.digest());
    // skopeo resolves the index for a platform and copies our child manifest.
    const armLayout = path.join(tmp, "arm");
    execFileSync("skopeo", ["copy", "--override-arch", "arm64", "--src-tls-verify=false", `docker://${registry.host}/test/multi:v1`, `oci:${armLayout}:x`], {
      stdio: "pipe",
    });
    const armIndex = JSON.parse(readFileSync(path.join(armLayout, "index.json"), "utf8")) as { manifests: { digest: string }[] };
    expect(armIndex.manifests[0]!.digest).toBe(await arm.digest());
    const pulled = await pullImage(`${registry.host}/test/multi:v1`, { platform: { os: "linux", architecture: "arm64" } });
    pulled.client.close();
    expect(await pulled.image.digest()).toBe(await arm.digest());
    const all = await pullImage(`${registry.host}/test/multi:v1`, { all: true });
    all.client.close();
    expect(await all.image.digest()).toBe(await index.digest());
    await expect(pullImage(`${registry.host}/test/multi:v1`, { platform: { os: "linux", architecture: "s390x" } })).rejects.toThrow(
      /no image for linux\/s390x \(it has: linux\/amd64, linux\/arm64\/v8\)/,
    );
  });

  it("reuses keep-alive connections (responses are drained)", async () => {
    const many = testImage(Array.from({ length: 24 }, () => 500));
    await pushImage(many.image, `${proxy.host}/test/many:v1`, { blobLocations: false, jobs: 4 });
    proxy.reset();
    // New tag: one HEAD per blob, 25 of them, over at most `jobs` (+ping) connections.
    const result = await pushImage(many.image, `${proxy.host}/test/many:v2`, { blobLocations: false, jobs: 4 });
    expect(result.blobs.skipped).toHaveLength(25);
    expect(proxy.log.filter((r) => r.method === "HEAD")).toHaveLength(26);
    // Undrained responses would pin one socket each (26 HEADs); drained ones come back to the pool.
    expect(proxy.connections).toBeLessThanOrEqual(8);
  });

  it("copies registry to registry, streaming each blob from GET to upload", async () => {
    const second = await startRegistry();
    try {
      const result = await copyImage(
        parseImageLocation(`docker://${registry.host}/test/app:v1`),
        parseImageLocation(`docker://${second.host}/copied/app:v1`),
        { destination: { blobLocations: false } },
      );
      expect(result.digest).toBe(await image.digest());
      expect(result.push!.blobs.pushed).toHaveLength(4);
      const layout = path.join(tmp, "copied");
      execFileSync("skopeo", ["copy", "--src-tls-verify=false", `docker://${second.host}/copied/app:v1`, `oci:${layout}:v1`], { stdio: "pipe" });
      for (const [digest, bytes] of blobs) {
        expect(Buffer.compare(readFileSync(path.join(layout, "blobs", "sha256", digest.slice(7))), bytes)).toBe(0);
      }
    } finally {
      await second.stop();
    }
  });

  it("copies within a registry by mounting from the source repository (no cache needed)", async () => {
    proxy.reset();
    const result = await copyImage(
      parseImageLocation(`docker://${proxy.host}/test/app:v1`),
      parseImageLocation(`docker://${proxy.host}/mirror/app:v1`),
      { destination: { blobLocations: false } },
    );
    expect(result.push!.blobs.mounted).toHaveLength(4);
    const mounts = proxy.log.filter((r) => r.method === "POST");
    expect(mounts.every((r) => r.url.includes("from=test%2Fapp") && r.status === 201)).toBe(true);
    // Mounting reads no blob bytes from the source.
    expect(proxy.log.filter((r) => r.method === "GET" && r.url.includes("/blobs/sha256:"))).toHaveLength(1); // the config
  });
});
