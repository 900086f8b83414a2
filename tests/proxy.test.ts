/**
 * Connections go through the proxy the environment names ($http_proxy, $https_proxy, $no_proxy), as
 * Nix's, skopeo's and crane's do: here a binary cache and a registry on host names only the proxy
 * can resolve.
 * (github: inputs through a CONNECT proxy: tests/flake/gitForge.test.ts.)
 */
import { execFile, execFileSync } from "node:child_process";
import { createReadStream, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeLayout } from "../src/oci/layout.js";
import { haveTools } from "./helpers/tools.js";
import { isolatedEnv } from "./registry/helpers/isolated.js";
import { startRegistry, type RegistryServer } from "./registry/helpers/registryServer.js";
import { testImage } from "./registry/helpers/testImage.js";

const run = promisify(execFile);
const bin = new URL("../bin/nixoci.js", import.meta.url).pathname;
const CACHE_HOST = "cache.nixoci.test";
const REGISTRY_HOST = "registry.nixoci.test";

describe.skipIf(!haveTools("nix", "nix-store", "docker-registry", "skopeo"))("HTTP proxies", () => {
  let dir: string;
  let registry: RegistryServer;
  let storePath: string;
  let cache: http.Server;
  let proxy: http.Server;
  let proxyUrl: string;
  const seen: string[] = [];

  const listen = async (server: http.Server) => {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return (server.address() as AddressInfo).port;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "nixoci-proxy-"));
    writeFileSync(join(dir, "hello.txt"), "through a proxy\n");
    storePath = execFileSync("nix-store", ["--store", join(dir, "nixroot"), "--add", join(dir, "hello.txt")], { encoding: "utf8" }).trim();
    execFileSync("nix", ["copy", "--store", join(dir, "nixroot"), "--to", `file://${join(dir, "cache")}`, storePath], { stdio: "ignore" });

    cache = http.createServer((req, res) => {
      const file = join(dir, "cache", decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname));
      if (!existsSync(file)) return res.writeHead(404).end();
      createReadStream(file).pipe(res);
    });
    const cachePort = await listen(cache);
    registry = await startRegistry();
    // A forward proxy: absolute-URI requests; only it knows where CACHE_HOST is.
    proxy = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      const target = new URL(req.url ?? "");
      const port = target.hostname === CACHE_HOST ? cachePort : target.hostname === REGISTRY_HOST ? registry.port : undefined;
      if (port === undefined) return res.writeHead(502).end();
      const upstream = http.request({ host: "127.0.0.1", port, method: req.method, path: target.pathname + target.search, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      upstream.on("error", () => res.writeHead(502).end());
      req.pipe(upstream);
    });
    proxyUrl = `http://127.0.0.1:${await listen(proxy)}`;
  });
  afterAll(async () => {
    await registry?.stop();
    cache?.close();
    proxy?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const copyFrom = (store: string, env: NodeJS.ProcessEnv) =>
    run(process.execPath, [bin, "store", "copy", "--store", join(dir, store), "--from", `http://${CACHE_HOST}`, "--no-check-sigs", storePath], {
      env: { ...process.env, XDG_CONFIG_HOME: "/nonexistent", ...env },
      encoding: "utf8",
    });

  it("substitutes from a binary cache through $http_proxy", async () => {
    seen.length = 0;
    await copyFrom("ours", { http_proxy: proxyUrl });
    const hash = storePath.slice("/nix/store/".length, "/nix/store/".length + 32);
    expect(seen).toContain(`GET http://${CACHE_HOST}/${hash}.narinfo`);
    expect(seen.some((l) => /^GET http:\/\/cache\.nixoci\.test\/nar\//.test(l))).toBe(true);
    const info = JSON.parse((await run(process.execPath, [bin, "path-info", "--store", join(dir, "ours"), "--json", storePath], { encoding: "utf8" })).stdout) as { path: string }[];
    expect(info[0]!.path).toBe(storePath);
  });

  it("connects directly to the hosts of $no_proxy", async () => {
    seen.length = 0;
    const err = await copyFrom("direct", { http_proxy: proxyUrl, no_proxy: `localhost,${CACHE_HOST}` }).catch((e: { stderr: string }) => e);
    expect((err as { stderr: string }).stderr).toMatch(/ENOTFOUND|EAI_AGAIN/);
    expect(seen).toEqual([]);
  });

  it("pushes to a registry through $http_proxy, and never proxies a loopback registry", async () => {
    const { image } = testImage([30_000]);
    await writeLayout(join(dir, "layout"), image, { tag: "v1" });
    const env = isolatedEnv(dir, { http_proxy: proxyUrl });
    seen.length = 0;
    // Not loopback: https first (the proxy has no CONNECT), then plain HTTP as --tls-verify=false allows.
    const pushed = await run(process.execPath, [bin, "push", `${REGISTRY_HOST}:${registry.port}/proxied/app:v1`, "--from-layout", `${join(dir, "layout")}:v1`, "--tls-verify=false", "--json"], { env, encoding: "utf8" });
    expect((JSON.parse(pushed.stdout) as { digest: string }).digest).toBe(await image.digest());
    expect(seen.some((l) => l.startsWith(`PUT http://${REGISTRY_HOST}:${registry.port}/v2/proxied/app/manifests/v1`))).toBe(true);
    const { stdout } = await run("skopeo", ["inspect", "--tls-verify=false", `docker://127.0.0.1:${registry.port}/proxied/app:v1`], { encoding: "utf8" });
    expect((JSON.parse(stdout) as { Digest: string }).Digest).toBe(await image.digest());

    seen.length = 0;
    await run(process.execPath, [bin, "push", `127.0.0.1:${registry.port}/direct/app:v1`, "--from-layout", `${join(dir, "layout")}:v1`], { env, encoding: "utf8" });
    expect(seen).toEqual([]);
  });
});
