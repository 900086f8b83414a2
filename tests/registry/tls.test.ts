/**
 * A docker-registry serving HTTPS with a self-signed certificate on 127.0.0.1:
 * plain HTTP is tried first for loopback hosts, then HTTPS; the certificate is
 * verified unless --tls-verify=false.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RegistryError } from "../../src/oci/registry/errors.js";
import { pushImage } from "../../src/oci/registry/push.js";
import { sha256Digest } from "../../src/oci/spec.js";
import { haveTools } from "../helpers/tools.js";
import { startTlsRegistry } from "./helpers/isolated.js";
import type { RegistryServer } from "./helpers/registryServer.js";
import { testImage } from "./helpers/testImage.js";

describe.skipIf(!haveTools("docker-registry", "skopeo", "openssl"))("HTTPS registry with a self-signed certificate", () => {
  let registry: RegistryServer;
  beforeAll(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "nixoci-tls-"));
    try {
      ({ registry } = await startTlsRegistry(dir));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it("refuses an unverifiable certificate by default, naming the problem", async () => {
    const { image } = testImage([1_000]);
    const err = await pushImage(image, `${registry.host}/tls/app:v1`, { blobLocations: false, retry: { sleep: async () => {} } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as Error).message).toMatch(/cannot reach the registry: self.signed certificate.*--tls-verify=false/i);
  });

  it("pushes over HTTPS with tlsVerify false", async () => {
    const { image } = testImage([30_000]);
    const result = await pushImage(image, `${registry.host}/tls/app:v1`, { blobLocations: false, tlsVerify: false });
    const { stdout } = await promisify(execFile)("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${registry.host}/tls/app:v1`], {
      encoding: "buffer",
    });
    expect(sha256Digest(stdout)).toBe(result.digest);
  });
});
