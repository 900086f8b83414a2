/**
 * Fault injection through a loopback proxy in front of a real docker-registry:
 * 5xx, 429 with Retry-After, connections cut mid-upload and mid-download. A
 * push either completes with correct content or fails with a clear error after
 * the retry budget, and never leaves a manifest whose blobs are missing.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readAll } from "../../src/oci/image.js";
import { RegistryError } from "../../src/oci/registry/errors.js";
import { pullImage } from "../../src/oci/registry/pull.js";
import { pushImage, type PushOptions } from "../../src/oci/registry/push.js";
import { DigestMismatchError, sha256Digest } from "../../src/oci/spec.js";
import { copyImage } from "../../src/oci/transport/copy.js";
import { parseImageLocation } from "../../src/oci/transport/location.js";
import { haveTools } from "../helpers/tools.js";
import { startFaultProxy, type FaultProxy } from "./helpers/faultProxy.js";
import { freePort, startRegistry, type RegistryServer } from "./helpers/registryServer.js";
import { testImage } from "./helpers/testImage.js";

describe.skipIf(!haveTools("docker-registry", "skopeo"))("faults between client and registry", () => {
  let registry: RegistryServer;
  let proxy: FaultProxy;
  let tmp: string;
  let waits: number[];
  const opts = (): PushOptions => ({
    blobLocations: false,
    retry: { baseDelayMs: 1, sleep: async (ms) => void waits.push(ms) },
  });

  beforeAll(async () => {
    registry = await startRegistry();
    proxy = await startFaultProxy(registry.port);
    tmp = mkdtempSync(path.join(os.tmpdir(), "nixoci-faults-"));
  });
  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });
  beforeEach(() => {
    proxy.reset();
    waits = [];
  });

  /** skopeo copies the image out of the registry (directly, not through the proxy) and we compare blobs. */
  function verifyInRegistry(ref: string, blobs: Map<string, Buffer>): void {
    const layout = path.join(tmp, `check-${Math.random().toString(36).slice(2)}`);
    execFileSync("skopeo", ["copy", "--src-tls-verify=false", `docker://${registry.host}/${ref}`, `oci:${layout}:x`], { stdio: "pipe" });
    for (const [digest, bytes] of blobs) {
      expect(Buffer.compare(readFileSync(path.join(layout, "blobs", "sha256", digest.slice(7))), bytes)).toBe(0);
    }
  }

  function manifestExists(ref: string): boolean {
    try {
      execFileSync("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${registry.host}/${ref}`], { stdio: "pipe" });
      return true;
    } catch {
      return false;
    }
  }

  it("retries 500s on HEAD, upload and manifest PUT", async () => {
    const { image, blobs } = testImage([100_000, 20_000]);
    const failed = new Set<string>();
    proxy.fault = ({ method, url }) => {
      // Uploads get a new session URL per attempt: key them by digest.
      const key = `${method} ${url.match(/digest=sha256%3A([0-9a-f]+)/)?.[1] ?? url.replace(/\?.*/, "")}`;
      if ((method === "HEAD" || method === "PUT") && !failed.has(key)) {
        failed.add(key);
        return { kind: "status", status: 500 };
      }
      return undefined;
    };
    const result = await pushImage(image, `${proxy.host}/faults/five-hundred:v1`, opts());
    expect(result.retries).toBeGreaterThanOrEqual(6);
    expect(proxy.log.filter((r) => r.faulted).length).toBe(result.retries);
    verifyInRegistry("faults/five-hundred:v1", blobs);
  });

  it("waits as long as Retry-After says on 429 (seconds and HTTP date)", async () => {
    const { image, blobs } = testImage([10_000]);
    let n = 0;
    proxy.fault = ({ method }) => {
      if (method !== "POST") return undefined;
      n++;
      if (n === 1) return { kind: "status", status: 429, headers: { "Retry-After": "2" } };
      if (n === 2) return { kind: "status", status: 429, headers: { "Retry-After": new Date(Date.now() + 5000).toUTCString() } };
      return undefined;
    };
    await pushImage(image, `${proxy.host}/faults/ratelimit:v1`, { ...opts(), jobs: 1 });
    expect(waits[0]).toBe(2000);
    expect(waits[1]).toBeGreaterThan(2500);
    expect(waits[1]).toBeLessThanOrEqual(5000);
    verifyInRegistry("faults/ratelimit:v1", blobs);
  });

  it("restarts a monolithic upload whose connection was cut mid-blob", async () => {
    const { image, blobs } = testImage([500_000]);
    const layerHex = [...blobs.keys()][0]!.slice(7);
    let cut = false;
    proxy.fault = ({ method, url }) => {
      if (method === "PUT" && url.includes(layerHex) && !cut) {
        cut = true;
        return { kind: "cutRequest", afterBytes: 200_000 };
      }
      return undefined;
    };
    const result = await pushImage(image, `${proxy.host}/faults/cut-put:v1`, opts());
    expect(cut).toBe(true);
    expect(result.retries).toBeGreaterThanOrEqual(1);
    verifyInRegistry("faults/cut-put:v1", blobs);
  });

  it("resumes a chunked upload from the registry's offset after a failed PATCH", async () => {
    const { image, blobs } = testImage([1_000_000]);
    let patches = 0;
    // The second PATCH never reaches the registry: it still holds exactly the first chunk.
    proxy.fault = ({ method }) => (method === "PATCH" && ++patches === 2 ? { kind: "status", status: 503 } : undefined);
    const result = await pushImage(image, `${proxy.host}/faults/resume:v1`, { ...opts(), chunkSize: 300_000 });
    expect(result.blobs.pushed).toHaveLength(2);
    const status = proxy.log.filter((r) => r.method === "GET" && r.url.includes("/blobs/uploads/"));
    expect(status.map((r) => r.status)).toEqual([204]);
    // One session for the big blob (no restart), 4 chunks + the failed one.
    expect(proxy.log.filter((r) => r.method === "POST")).toHaveLength(2);
    expect(proxy.log.filter((r) => r.method === "PATCH")).toHaveLength(5);
    verifyInRegistry("faults/resume:v1", blobs);
  });

  it("restarts a chunked upload whose session the registry dropped after a cut PATCH", async () => {
    const { image, blobs } = testImage([1_000_000]);
    let patches = 0;
    // distribution 2.8 cancels an upload whose PATCH was cut (its offset no longer matches): we
    // find out through the status GET (404) and start a new session.
    proxy.fault = ({ method }) => (method === "PATCH" && [2, 6].includes(++patches) ? { kind: "cutRequest", afterBytes: 100_000 } : undefined);
    const result = await pushImage(image, `${proxy.host}/faults/cut-patch:v1`, { ...opts(), chunkSize: 300_000 });
    expect(result.blobs.pushed).toHaveLength(2);
    expect(proxy.log.filter((r) => r.faulted)).toHaveLength(2);
    expect(proxy.log.filter((r) => r.method === "GET" && r.url.includes("/blobs/uploads/")).length).toBeGreaterThanOrEqual(2);
    verifyInRegistry("faults/cut-patch:v1", blobs);
  });

  it("retries a manifest PUT whose connection was cut", async () => {
    const { image, blobs } = testImage([5_000]);
    let cut = false;
    proxy.fault = ({ method, url }) => {
      if (method === "PUT" && url.includes("/manifests/") && !cut) {
        cut = true;
        return { kind: "cutRequest", afterBytes: 20 };
      }
      return undefined;
    };
    const result = await pushImage(image, `${proxy.host}/faults/cut-manifest:v1`, opts());
    expect(cut).toBe(true);
    expect(proxy.log.filter((r) => r.method === "PUT" && r.url.includes("/manifests/"))).toHaveLength(2);
    expect(result.retries).toBe(1);
    verifyInRegistry("faults/cut-manifest:v1", blobs);
  });

  it("names the failing blob and the network error when every upload is cut", async () => {
    const { image } = testImage([50_000]);
    proxy.fault = ({ method, url }) => (method === "PUT" && url.includes("/blobs/") ? { kind: "cutRequest", afterBytes: 1_000 } : undefined);
    const err = await pushImage(image, `${proxy.host}/faults/always-cut:v1`, { ...opts(), jobs: 1, retry: { attempts: 3, budget: 5, sleep: async () => {} } }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as Error).message).toMatch(/uploading blob sha256:[0-9a-f]{64}: .*(socket hang up|ECONNRESET|EPIPE)/);
    expect(manifestExists("faults/always-cut:v1")).toBe(false);
  });

  it("gives up after the retry budget with a clear error and no manifest", async () => {
    const { image } = testImage([5_000]);
    proxy.fault = ({ method, url }) => (method === "PUT" && url.includes("/blobs/") ? { kind: "status", status: 503 } : undefined);
    const err = await pushImage(image, `${proxy.host}/faults/dead:v1`, { ...opts(), retry: { attempts: 3, budget: 4, baseDelayMs: 1, sleep: async () => {} } }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RegistryError);
    const e = err as RegistryError;
    expect(e.status).toBe(503);
    expect(e.message).toMatch(/uploading blob sha256:[0-9a-f]{64}/);
    expect(e.message).toContain("UNAVAILABLE");
    expect(e.repository).toBe("faults/dead");
    expect(proxy.log.filter((r) => r.method === "PUT" && r.url.includes("/manifests/"))).toEqual([]);
    expect(manifestExists("faults/dead:v1")).toBe(false);
  });

  it("a pull resumes a blob download cut mid-stream and verifies it", async () => {
    const { image, blobs } = testImage([400_000]);
    await pushImage(image, `${registry.host}/faults/pull:v1`, opts());
    const layerDigest = [...blobs.keys()][0]!;
    let cut = false;
    proxy.fault = ({ method, url }) => {
      if (method === "GET" && url.endsWith(`/blobs/${layerDigest}`) && !cut) {
        cut = true;
        return { kind: "cutResponse", afterBytes: 150_000 };
      }
      return undefined;
    };
    const { image: pulled, client } = await pullImage(`${proxy.host}/faults/pull:v1`, { retry: { baseDelayMs: 1, sleep: async () => {} } });
    try {
      if (!("layers" in pulled)) throw new Error("expected an image");
      const [layer] = await pulled.layers();
      const bytes = await readAll(layer!.compressed());
      expect(cut).toBe(true);
      expect(sha256Digest(bytes)).toBe(layerDigest);
      expect(proxy.log.filter((r) => r.url.endsWith(`/blobs/${layerDigest}`))).toHaveLength(2);
    } finally {
      client.close();
    }
  });

  it("a pull rejects a blob whose bytes do not match its digest", async () => {
    const { image, blobs } = testImage([30_000]);
    await pushImage(image, `${registry.host}/faults/corrupt:v1`, opts());
    const layerDigest = [...blobs.keys()][0]!;
    proxy.fault = ({ method, url }) =>
      method === "GET" && url.endsWith(`/blobs/${layerDigest}`) ? { kind: "status", status: 200, body: "not the blob you are looking for" } : undefined;
    const { image: pulled, client } = await pullImage(`${proxy.host}/faults/corrupt:v1`);
    try {
      if (!("layers" in pulled)) throw new Error("expected an image");
      const [layer] = await pulled.layers();
      await expect(readAll(layer!.compressed())).rejects.toBeInstanceOf(DigestMismatchError);
    } finally {
      client.close();
    }
  });

  it("a pull into an OCI layout fails on a corrupt blob and leaves no layout or temporary behind", async () => {
    // Several blobs fetched at once: the good ones are written while the corrupt one fails.
    const { image, blobs } = testImage([3_000_000, 1_500_000, 20_000]);
    await pushImage(image, `${registry.host}/faults/corrupt-layout:v1`, opts());
    const bad = [...blobs.keys()][1]!;
    proxy.fault = ({ method, url }) =>
      method === "GET" && url.endsWith(`/blobs/${bad}`) ? { kind: "status", status: 200, body: "x".repeat(1_500_000) } : undefined;
    const parent = mkdtempSync(path.join(tmp, "pull-"));
    const dest = path.join(parent, "layout");
    const err = await copyImage(parseImageLocation(`docker://${proxy.host}/faults/corrupt-layout:v1`), parseImageLocation(`oci:${dest}:v1`)).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DigestMismatchError);
    expect(readdirSync(parent)).toEqual([]);
  });

  it("an unreachable registry fails once, clearly, after the retries", async () => {
    const { image } = testImage([1_000]);
    const port = await freePort();
    const sleeps: number[] = [];
    const err = await pushImage(image, `127.0.0.1:${port}/x/y:v1`, { blobLocations: false, retry: { sleep: async (ms) => void sleeps.push(ms) } }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as Error).message).toMatch(new RegExp(`cannot reach the registry: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}`));
    // 5 attempts on plain HTTP, no pointless HTTPS attempt on a refused port.
    expect(sleeps).toHaveLength(4);
  });
});
