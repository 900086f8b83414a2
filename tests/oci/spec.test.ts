import { execFileSync } from "node:child_process";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { blobLayer, newImage, newIndex, readAll } from "../../src/oci/image.js";
import {
  encodeConfig,
  encodeManifest,
  MediaType,
  parseDigest,
  platformFromSystem,
  sha256Digest,
  type ImageConfig,
  type Manifest,
} from "../../src/oci/spec.js";

const sha256sum = (b: Buffer): string =>
  `sha256:${execFileSync("sha256sum", { input: b }).toString().split(" ")[0]}`;

describe("spec serialisation", () => {
  it("writes keys in declared order whatever order the value was built in", () => {
    const a: Manifest = {
      layers: [{ size: 3, digest: sha256Digest("x"), mediaType: MediaType.OciLayer }],
      config: { size: 2, mediaType: MediaType.OciConfig, digest: sha256Digest("{}") },
      annotations: { z: "1", a: "2" },
      mediaType: MediaType.OciManifest,
      schemaVersion: 2,
    };
    const text = encodeManifest(a).toString();
    expect(text.startsWith('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType"')).toBe(true);
    expect(text.endsWith('"annotations":{"a":"2","z":"1"}}')).toBe(true);
    expect(JSON.parse(text)).toEqual(a);
  });

  it("drops undefined fields and sorts free-form maps", () => {
    const c: ImageConfig = {
      architecture: "amd64",
      os: "linux",
      variant: undefined,
      config: { Labels: { b: "1", a: "2" }, Env: ["PATH=/bin"] },
      rootfs: { type: "layers", diff_ids: [] },
    };
    expect(encodeConfig(c).toString()).toBe(
      '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"],"Labels":{"a":"2","b":"1"}},"rootfs":{"type":"layers","diff_ids":[]}}',
    );
  });

  it("digests agree with sha256sum and are validated", () => {
    const b = Buffer.from("hello\n");
    expect(sha256Digest(b)).toBe(sha256sum(b));
    expect(() => parseDigest("sha256:ABC")).toThrow(/invalid digest/);
    expect(parseDigest(sha256Digest(b)).algorithm).toBe("sha256");
  });

  it("maps Nix systems to OCI platforms", () => {
    expect(platformFromSystem("x86_64-linux")).toEqual({ architecture: "amd64", os: "linux" });
    expect(platformFromSystem("aarch64-linux")).toEqual({ architecture: "arm64", os: "linux", variant: "v8" });
    expect(platformFromSystem("armv7l-linux")).toEqual({ architecture: "arm", os: "linux", variant: "v7" });
    expect(() => platformFromSystem("vax-linux")).toThrow(/no OCI architecture/);
  });
});

describe("composed image", () => {
  const tarish = Buffer.from("pretend this is a tar".repeat(100));
  const gz = gzipSync(tarish);
  const layer = blobLayer({ mediaType: MediaType.OciLayerGzip, open: () => Readable.from([gz]) });

  it("computes digest, size and diff id of a blob layer", async () => {
    expect(await layer.digest()).toBe(sha256sum(gz));
    expect(await layer.size()).toBe(gz.length);
    expect(await layer.diffId()).toBe(sha256sum(tarish));
    expect(await readAll(layer.uncompressed())).toEqual(tarish);
  });

  it("builds manifest and config with diff ids, in OCI and Docker media types", async () => {
    const config: ImageConfig = { architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } };
    const oci = newImage({ config, layers: [layer], annotations: { "org.opencontainers.image.title": "t" } });
    const m = await oci.manifest();
    expect(m.layers[0]).toEqual({ mediaType: MediaType.OciLayerGzip, digest: sha256sum(gz), size: gz.length });
    expect((await oci.configFile()).rootfs.diff_ids).toEqual([sha256sum(tarish)]);
    expect(m.config.digest).toBe(sha256sum(await oci.rawConfig()));
    expect(await oci.digest()).toBe(sha256sum(await oci.rawManifest()));
    expect(m.annotations).toEqual({ "org.opencontainers.image.title": "t" });

    const docker = newImage({ config, layers: [layer], format: "docker" });
    const dm = await docker.manifest();
    expect(dm.mediaType).toBe(MediaType.DockerManifest);
    expect(dm.config.mediaType).toBe(MediaType.DockerConfig);
    expect(dm.layers[0]!.mediaType).toBe(MediaType.DockerLayerGzip);

    const arm = newImage({ config: { ...config, ...platformFromSystem("aarch64-linux") }, layers: [layer] });
    const index = await newIndex({ images: [oci, arm] }).manifest();
    expect(index.manifests.map((d) => d.platform)).toEqual([
      { architecture: "amd64", os: "linux" },
      { architecture: "arm64", os: "linux", variant: "v8" },
    ]);
  });
});
