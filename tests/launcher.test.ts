/**
 * bin/nixoci, the launcher npm installs: it keeps Node from parsing NODE_EXTRA_CA_CERTS at start-up, yet
 * nixoci still trusts those certificates when it connects (an HTTPS registry whose self-signed
 * certificate is only in that file), and the programs nixoci runs still see the variable.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeLayout } from "../src/oci/layout.js";
import { haveTools } from "./helpers/tools.js";
import { isolatedEnv, startTlsRegistry } from "./registry/helpers/isolated.js";
import type { RegistryServer } from "./registry/helpers/registryServer.js";
import { testImage } from "./registry/helpers/testImage.js";

const run = promisify(execFile);
const launcher = new URL("../bin/nixoci", import.meta.url).pathname;

describe.skipIf(!haveTools("docker-registry", "openssl"))("bin/nixoci launcher", () => {
  let registry: RegistryServer;
  let tmp: string;
  let env: NodeJS.ProcessEnv;
  const { image } = testImage([20_000]);

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), "nixoci-launcher-"));
    ({ registry } = await startTlsRegistry(tmp));
    env = isolatedEnv(tmp);
    delete env.NODE_EXTRA_CA_CERTS;
    delete env.NIXOCI_EXTRA_CA_CERTS;
    await writeLayout(path.join(tmp, "layout"), image, { tag: "v1" });
  });
  afterAll(async () => {
    await registry?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("runs through an npm-style symlink, starting Node without NODE_EXTRA_CA_CERTS", async () => {
    const bin = path.join(tmp, "node_modules/.bin");
    mkdirSync(bin, { recursive: true });
    rmSync(path.join(bin, "nixoci"), { force: true });
    symlinkSync(launcher, path.join(bin, "nixoci"));
    // A preloaded script records what Node saw when it started, before nixoci's own code runs.
    const probe = path.join(tmp, "probe.cjs");
    writeFileSync(probe, `require("fs").writeFileSync(${JSON.stringify(path.join(tmp, "seen.json"))}, JSON.stringify({ node: process.env.NODE_EXTRA_CA_CERTS ?? null, nixoci: process.env.NIXOCI_EXTRA_CA_CERTS ?? null }));`);
    const { stdout } = await run(path.join(bin, "nixoci"), ["--version"], { env: { ...env, NODE_EXTRA_CA_CERTS: "/x/ca.pem", NODE_OPTIONS: `--require ${probe}` } });
    expect(stdout).toMatch(/\d+\.\d+\.\d+/);
    expect(JSON.parse(readFileSync(path.join(tmp, "seen.json"), "utf8"))).toEqual({ node: null, nixoci: "/x/ca.pem" });
  });

  it("trusts the certificates of NODE_EXTRA_CA_CERTS when pushing over HTTPS", async () => {
    const ref = `${registry.host}/launcher/app:v1`;
    const push = (extra: NodeJS.ProcessEnv) =>
      run(launcher, ["push", ref, "--from-layout", `${path.join(tmp, "layout")}:v1`, "--json"], { env: { ...env, ...extra }, encoding: "utf8" });
    const refused = await push({}).catch((e: { stderr: string }) => e);
    expect((refused as { stderr: string }).stderr).toMatch(/self.signed certificate/i);
    const { stdout } = await push({ NODE_EXTRA_CA_CERTS: path.join(tmp, "cert.pem") });
    expect((JSON.parse(stdout) as { digest: string }).digest).toBe(await image.digest());
  });

  it("warns as Node does about an unreadable bundle, and goes on", async () => {
    const ref = `${registry.host}/launcher/other:v1`;
    const err = await run(launcher, ["push", ref, "--from-layout", `${path.join(tmp, "layout")}:v1`], {
      env: { ...env, NODE_EXTRA_CA_CERTS: path.join(tmp, "missing.pem") },
      encoding: "utf8",
    }).catch((e: { stderr: string }) => e);
    expect((err as { stderr: string }).stderr).toContain(`Ignoring extra certs from \`${path.join(tmp, "missing.pem")}\``);
    expect((err as { stderr: string }).stderr).toMatch(/self.signed certificate/i);
  });
});
