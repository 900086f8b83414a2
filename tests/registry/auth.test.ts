/**
 * Push against a real docker-registry with htpasswd Basic auth and with
 * Bearer-token auth (our token server signs RS256 JWTs with an x5c header).
 */
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RegistryAuthError } from "../../src/oci/registry/errors.js";
import { pullImage } from "../../src/oci/registry/pull.js";
import { pushImage } from "../../src/oci/registry/push.js";
import { sha256Digest } from "../../src/oci/spec.js";
import { haveTools } from "../helpers/tools.js";
import { startRegistry, type RegistryServer } from "./helpers/registryServer.js";
import { testImage } from "./helpers/testImage.js";
import { startTokenServer, type TokenServer } from "./helpers/tokenServer.js";

const USER = "alice";
const PASSWORD = "s3cret-Pa55word";
const REFRESH = "refresh-Token-4711";

/** Async: with token auth, skopeo talks to the token server in this very process. */
async function skopeoRaw(ref: string, creds: string): Promise<Buffer> {
  const { stdout } = await promisify(execFile)("skopeo", ["inspect", "--raw", "--tls-verify=false", "--creds", creds, `docker://${ref}`], {
    encoding: "buffer",
  });
  return stdout;
}

describe.skipIf(!haveTools("docker-registry", "skopeo", "htpasswd"))("Basic auth (htpasswd)", () => {
  let registry: RegistryServer;
  let tmp: string;
  beforeAll(async () => {
    registry = await startRegistry({ kind: "basic", user: USER, password: PASSWORD });
    tmp = mkdtempSync(path.join(os.tmpdir(), "nixoci-auth-"));
  });
  afterAll(async () => {
    await registry?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("pushes with --creds", async () => {
    const { image } = testImage([20_000]);
    const result = await pushImage(image, `${registry.host}/basic/app:v1`, { credentials: { creds: `${USER}:${PASSWORD}` }, blobLocations: false });
    expect(sha256Digest(await skopeoRaw(`${registry.host}/basic/app:v1`, `${USER}:${PASSWORD}`))).toBe(result.digest);
  });

  it("reads credentials from a docker config.json (base64 auth)", async () => {
    const dockerDir = path.join(tmp, "docker");
    execFileSync("mkdir", ["-p", dockerDir]);
    writeFileSync(
      path.join(dockerDir, "config.json"),
      JSON.stringify({ auths: { [`http://${registry.host}`]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString("base64") } } }),
    );
    const env = { HOME: path.join(tmp, "home"), DOCKER_CONFIG: dockerDir };
    const { image } = testImage([10_000]);
    const result = await pushImage(image, `${registry.host}/basic/fromconfig:v1`, { credentials: { env }, blobLocations: false });
    const { image: pulled, client } = await pullImage(`${registry.host}/basic/fromconfig:v1`, { credentials: { env } });
    client.close();
    expect(await pulled.digest()).toBe(result.digest);
  });

  it("gets credentials from a docker-credential helper named in credHelpers", async () => {
    const dir = path.join(tmp, "helper");
    execFileSync("mkdir", ["-p", path.join(dir, "bin")]);
    // A real helper program: reads the server name on stdin, prints {Username, Secret}.
    writeFileSync(
      path.join(dir, "bin", "docker-credential-nixocitest"),
      `#!/bin/sh\nread server\n[ "$server" = "${registry.host}" ] || { echo "credentials not found in native keychain"; exit 1; }\n` +
        `echo '{"Username":"${USER}","Secret":"${PASSWORD}"}'\n`,
      { mode: 0o755 },
    );
    writeFileSync(path.join(dir, "config.json"), JSON.stringify({ credHelpers: { [registry.host]: "nixocitest" } }));
    const env = { HOME: dir, DOCKER_CONFIG: dir, PATH: `${path.join(dir, "bin")}:${process.env.PATH}` };
    const { image } = testImage([4_000]);
    const result = await pushImage(image, `${registry.host}/basic/helper:v1`, { credentials: { env }, blobLocations: false });
    expect(sha256Digest(await skopeoRaw(`${registry.host}/basic/helper:v1`, `${USER}:${PASSWORD}`))).toBe(result.digest);
  });

  it("fails with a typed auth error naming the credential source, never the password", async () => {
    const { image } = testImage([1_000]);
    const err = await pushImage(image, `${registry.host}/basic/app:v2`, { credentials: { creds: `${USER}:wrong-password` }, blobLocations: false }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RegistryAuthError);
    const e = err as RegistryAuthError;
    expect(e.status).toBe(401);
    expect(e.registry).toBe(registry.host);
    expect(e.message).toContain("--creds");
    expect(e.message).not.toContain("wrong-password");
  });
});

describe.skipIf(!haveTools("docker-registry", "skopeo", "openssl"))("Bearer token auth", () => {
  let registry: RegistryServer;
  let tokens: TokenServer;
  beforeAll(async () => {
    tokens = await startTokenServer({ user: USER, password: PASSWORD, anonymousPull: true, refreshToken: REFRESH });
    registry = await startRegistry({ kind: "token", realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, certPem: tokens.certPem });
  });
  afterAll(async () => {
    await registry?.stop();
    await tokens?.stop();
  });

  it("pushes with a token for repository:NAME:pull,push and skopeo reads it back", async () => {
    const { image, blobs } = testImage([40_000, 5_000]);
    const debug: string[] = [];
    const result = await pushImage(image, `${registry.host}/tok/app:v1`, {
      credentials: { creds: `${USER}:${PASSWORD}` },
      blobLocations: false,
      debug: (l) => debug.push(l),
    });
    expect(result.blobs.pushed).toHaveLength(blobs.size + 1);
    expect(sha256Digest(await skopeoRaw(`${registry.host}/tok/app:v1`, `${USER}:${PASSWORD}`))).toBe(result.digest);
    // One token for the whole push, asked for with the right scope and service.
    const ours = tokens.requests.filter((r) => r.scopes.includes("repository:tok/app:pull,push"));
    expect(ours).toHaveLength(1);
    expect(ours[0]!.user).toBe(USER);
    // Debug output shows requests but never a secret.
    const text = debug.join("\n");
    expect(text).toContain("Bearer <redacted>");
    expect(text).toContain("/v2/tok/app/blobs/uploads/");
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(Buffer.from(`${USER}:${PASSWORD}`).toString("base64"));
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/); // no JWT
  });

  it("accepts access_token and fetches a new token when the old one expired", async () => {
    tokens.useAccessTokenField = true;
    // Lifetime 1 s, issued 5 s ago: every token is stale when it arrives, so each request fetches one.
    tokens.expiresIn = 1;
    tokens.issuedAgo = 5;
    const before = tokens.requests.length;
    try {
      const { image } = testImage([3_000]);
      const result = await pushImage(image, `${registry.host}/tok/short:v1`, { credentials: { creds: `${USER}:${PASSWORD}` }, blobLocations: false, jobs: 1 });
      expect(sha256Digest(await skopeoRaw(`${registry.host}/tok/short:v1`, `${USER}:${PASSWORD}`))).toBe(result.digest);
      // ping needs none; HEAD manifest, 2×(HEAD, POST, PUT) blobs, manifest PUT: one token each.
      expect(tokens.requests.length - before).toBeGreaterThanOrEqual(8);
    } finally {
      tokens.useAccessTokenField = false;
      tokens.expiresIn = 300;
      tokens.issuedAgo = 0;
    }
  });

  it("fetches a new token once when the registry rejects the cached one (401)", async () => {
    tokens.badTokens = 1;
    const before = tokens.requests.length;
    const { image } = testImage([2_000]);
    const result = await pushImage(image, `${registry.host}/tok/rejected:v1`, { credentials: { creds: `${USER}:${PASSWORD}` }, blobLocations: false, jobs: 1 });
    expect(tokens.requests.length - before).toBe(2);
    expect(sha256Digest(await skopeoRaw(`${registry.host}/tok/rejected:v1`, `${USER}:${PASSWORD}`))).toBe(result.digest);
  });

  it("exchanges a docker identity token (OAuth2 refresh-token grant) for an access token", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "nixoci-idtok-"));
    try {
      writeFileSync(path.join(dir, "config.json"), JSON.stringify({ auths: { [registry.host]: { identitytoken: REFRESH } } }));
      const { image } = testImage([2_000]);
      const result = await pushImage(image, `${registry.host}/tok/idtoken:v1`, { credentials: { env: { HOME: dir, DOCKER_CONFIG: dir } }, blobLocations: false });
      const last = tokens.requests.at(-1)!;
      expect(last.user).toBe(USER);
      expect(last.scopes).toEqual(["repository:tok/idtoken:pull,push"]);
      expect(sha256Digest(await skopeoRaw(`${registry.host}/tok/idtoken:v1`, `${USER}:${PASSWORD}`))).toBe(result.digest);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("pulls anonymously with a pull-only token", async () => {
    const { image } = testImage([2_000]);
    const pushed = await pushImage(image, `${registry.host}/tok/public:v1`, { credentials: { creds: `${USER}:${PASSWORD}` }, blobLocations: false });
    const { image: pulled, client } = await pullImage(`${registry.host}/tok/public:v1`, { credentials: { env: { HOME: "/nonexistent" } } });
    client.close();
    expect(await pulled.digest()).toBe(pushed.digest);
    expect(tokens.requests.at(-1)!.user).toBeUndefined();
    expect(tokens.requests.at(-1)!.scopes).toEqual(["repository:tok/public:pull"]);
  });

  it("anonymous push is refused with a clear error", async () => {
    const { image } = testImage([1_000]);
    const err = await pushImage(image, `${registry.host}/tok/nope:v1`, { credentials: { env: { HOME: "/nonexistent" } }, blobLocations: false }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RegistryAuthError);
    expect((err as Error).message).toMatch(/anonymous/);
    expect((err as RegistryAuthError).status).toBe(401);
  });
});
