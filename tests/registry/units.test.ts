/** Pure parts of the registry client: references, challenges, Retry-After, redaction, credentials. */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseChallenges } from "../../src/oci/registry/challenge.js";
import { mergeScopes } from "../../src/oci/registry/client.js";
import { authFilePaths, findCredentials, normalizeAuthKey } from "../../src/oci/registry/credentials.js";
import { redactHeaders, redactTokenBody, redactUrl } from "../../src/oci/registry/redact.js";
import { apiHost, formatReference, isLoopbackRegistry, parseReference } from "../../src/oci/registry/reference.js";
import { parseRetryAfter, RetryPolicy } from "../../src/oci/registry/retry.js";
import { parseImageLocation } from "../../src/oci/transport/location.js";
import { humanBytes, progressFor } from "../../src/oci/registry/progress.js";
import { Writable } from "node:stream";

describe("parseReference (docker/crane rules)", () => {
  const cases: [string, string][] = [
    ["busybox", "docker.io/library/busybox:latest"],
    ["library/busybox:1.36", "docker.io/library/busybox:1.36"],
    ["user/app", "docker.io/user/app:latest"],
    ["docker.io/busybox", "docker.io/library/busybox:latest"],
    ["index.docker.io/busybox", "docker.io/library/busybox:latest"],
    ["localhost/app", "localhost/app:latest"],
    ["localhost:5000/a/b/c:v1", "localhost:5000/a/b/c:v1"],
    ["127.0.0.1:5000/x@sha256:" + "a".repeat(64), "127.0.0.1:5000/x@sha256:" + "a".repeat(64)],
    ["ghcr.io/o/r:t@sha256:" + "b".repeat(64), "ghcr.io/o/r:t@sha256:" + "b".repeat(64)],
    ["quay.io/a_b/c-d.e:1.0-rc_1", "quay.io/a_b/c-d.e:1.0-rc_1"],
  ];
  it.each(cases)("%s → %s", (input, want) => expect(formatReference(parseReference(input))).toBe(want));

  it("rejects malformed references", () => {
    for (const bad of ["", "UPPER/case", "a//b", "x:bad tag", "x@sha256:short", "host:5000/", "a/-b"]) {
      expect(() => parseReference(bad), bad).toThrow(/invalid image reference/);
    }
  });

  it("knows API hosts and loopback registries", () => {
    expect(apiHost("docker.io")).toBe("index.docker.io");
    expect(apiHost("ghcr.io")).toBe("ghcr.io");
    expect(isLoopbackRegistry("localhost:5000")).toBe(true);
    expect(isLoopbackRegistry("127.0.0.1:41000")).toBe(true);
    expect(isLoopbackRegistry("[::1]:5000")).toBe(true);
    expect(isLoopbackRegistry("registry.example.com")).toBe(false);
    expect(isLoopbackRegistry("10.0.0.1:5000")).toBe(false);
  });
});

describe("WWW-Authenticate", () => {
  it("parses Docker Hub's bearer challenge", () => {
    expect(
      parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"'),
    ).toEqual([
      { scheme: "bearer", params: { realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:library/busybox:pull" } },
    ]);
  });
  it("parses several challenges, quoted commas and escapes", () => {
    expect(parseChallenges('Basic realm="a, \\"b\\"", Bearer realm=https://x/t, error="insufficient_scope"')).toEqual([
      { scheme: "basic", params: { realm: 'a, "b"' } },
      { scheme: "bearer", params: { realm: "https://x/t", error: "insufficient_scope" } },
    ]);
  });
  it("treats a missing header as no challenge", () => expect(parseChallenges(undefined)).toEqual([]));
  it("adds only the scopes a challenge wants that we do not hold", () => {
    const have = ["repository:a/b:pull,push"];
    expect(mergeScopes(have, ["repository:a/b:pull"])).toBe(have);
    expect(mergeScopes(have, ["repository:c/d:pull"])).toEqual(["repository:a/b:pull,push", "repository:c/d:pull"]);
    expect(mergeScopes(["repository:a/b:pull"], ["repository:a/b:push"])).toEqual(["repository:a/b:pull", "repository:a/b:push"]);
    expect(mergeScopes(["registry:catalog:*"], ["registry:catalog:*"])).toEqual(["registry:catalog:*"]);
  });
});

describe("Retry-After and backoff", () => {
  it("reads seconds and HTTP dates", () => {
    const now = Date.parse("Sun, 06 Nov 1994 08:49:30 GMT");
    expect(parseRetryAfter("120", now)).toBe(120_000);
    expect(parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now)).toBe(7_000);
    expect(parseRetryAfter("Sun, 06 Nov 1994 08:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
  it("backs off exponentially, caps Retry-After and spends a shared budget", async () => {
    const waits: number[] = [];
    const p = new RetryPolicy({ attempts: 10, budget: 4, baseDelayMs: 100, maxDelayMs: 1000, sleep: async (ms) => void waits.push(ms) });
    for (let a = 1; a <= 3; a++) await p.backoff(a);
    await p.backoff(4, 60_000);
    expect(waits[0]).toBeGreaterThanOrEqual(50);
    expect(waits[0]).toBeLessThanOrEqual(100);
    expect(waits[2]).toBeGreaterThanOrEqual(200);
    expect(waits[2]).toBeLessThanOrEqual(400);
    expect(waits[3]).toBe(1000);
    expect(p.canRetry(1)).toBe(false); // budget spent
  });
});

describe("redaction", () => {
  it("hides Authorization values and token query parameters", () => {
    expect(redactHeaders({ Authorization: "Bearer eyJabc.def.ghi", Accept: "x" })).toEqual({ Authorization: "Bearer <redacted>", Accept: "x" });
    expect(redactHeaders({ authorization: "Basic YWxpY2U6cHc=" }).authorization).toBe("Basic <redacted>");
    const u = redactUrl("https://s3.example/blob?X-Amz-Signature=abc&X-Amz-Credential=k&part=1&token=t&access_token=a");
    expect(u).not.toMatch(/abc|=k&|=t&|=a$/);
    expect(u).toContain("part=1");
    expect(redactUrl("https://user:pw@h/x")).not.toContain("pw");
    expect(redactTokenBody('{"token":"eyJ1","access_token":"eyJ2","expires_in":60}')).toBe(
      '{"token":"<redacted>","access_token":"<redacted>","expires_in":60}',
    );
  });
});

describe("credentials", () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "nixoci-creds-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const b64 = (s: string) => Buffer.from(s).toString("base64");

  it("normalizes auth keys", () => {
    expect(normalizeAuthKey("https://index.docker.io/v1/")).toBe("index.docker.io");
    expect(normalizeAuthKey("http://127.0.0.1:5000")).toBe("127.0.0.1:5000");
    expect(normalizeAuthKey("quay.io/ns/repo")).toBe("quay.io/ns/repo");
  });

  it("searches REGISTRY_AUTH_FILE, then XDG auth.json, then DOCKER_CONFIG", () => {
    expect(authFilePaths({ env: { HOME: "/h", REGISTRY_AUTH_FILE: "/r.json", DOCKER_CONFIG: "/d" } })).toEqual([
      "/r.json",
      "/h/.config/containers/auth.json",
      "/d/config.json",
    ]);
    expect(authFilePaths({ env: { HOME: "/h", XDG_RUNTIME_DIR: "/run/user/0" } })).toEqual([
      "/run/user/0/containers/auth.json",
      "/h/.config/containers/auth.json",
      "/h/.docker/config.json",
    ]);
  });

  it("reads docker config auths, Docker Hub aliases and namespaced auth.json keys", async () => {
    const dockerDir = path.join(tmp, "docker");
    mkdirSync(dockerDir, { recursive: true });
    writeFileSync(
      path.join(dockerDir, "config.json"),
      JSON.stringify({
        auths: {
          "https://index.docker.io/v1/": { auth: b64("hubuser:hubpass") },
          "example.com:5000": { username: "u", password: "p:with:colons" },
        },
      }),
    );
    const authJson = path.join(tmp, "auth.json");
    writeFileSync(authJson, JSON.stringify({ auths: { "quay.io/team": { auth: b64("team:tp") }, "quay.io": { auth: b64("all:ap") } } }));
    const env = { HOME: path.join(tmp, "home"), DOCKER_CONFIG: dockerDir, REGISTRY_AUTH_FILE: authJson };
    expect(await findCredentials("docker.io", "library/busybox", { env })).toMatchObject({ username: "hubuser", password: "hubpass" });
    expect(await findCredentials("example.com:5000", "x", { env })).toMatchObject({ username: "u", password: "p:with:colons" });
    expect(await findCredentials("quay.io", "team/app", { env })).toMatchObject({ username: "team", password: "tp" });
    expect(await findCredentials("quay.io", "other/app", { env })).toMatchObject({ username: "all", password: "ap" });
    expect(await findCredentials("nowhere.io", "x", { env })).toBeUndefined();
    expect(await findCredentials("nowhere.io", "x", { env, creds: "a:b:c" })).toMatchObject({ username: "a", password: "b:c", source: "--creds" });
  });

  it("runs credHelpers and credsStore helpers (docker-credential-<name> get)", async () => {
    const bin = path.join(tmp, "bin");
    mkdirSync(bin, { recursive: true });
    // A real helper program speaking the docker-credential protocol: server URL on stdin, JSON out.
    const helper = (name: string, body: string) => {
      writeFileSync(path.join(bin, `docker-credential-${name}`), `#!/bin/sh\n[ "$1" = get ] || exit 3\nread server\n${body}\n`);
      chmodSync(path.join(bin, `docker-credential-${name}`), 0o755);
    };
    helper("pass", `echo "{\\"ServerURL\\":\\"$server\\",\\"Username\\":\\"helper-$server\\",\\"Secret\\":\\"s\\"}"`);
    helper("tok", `echo '{"Username":"<token>","Secret":"refresh-123"}'`);
    helper("none", `echo "credentials not found in native keychain"; exit 1`);
    const dockerDir = path.join(tmp, "docker2");
    mkdirSync(dockerDir, { recursive: true });
    writeFileSync(
      path.join(dockerDir, "config.json"),
      JSON.stringify({ credHelpers: { "gcr.io": "pass", "tok.io": "tok" }, credsStore: "none" }),
    );
    const env = { HOME: path.join(tmp, "home"), DOCKER_CONFIG: dockerDir, PATH: `${bin}:${process.env.PATH}` };
    expect(await findCredentials("gcr.io", "p/i", { env })).toMatchObject({ username: "helper-gcr.io", password: "s", source: "docker-credential-pass" });
    expect(await findCredentials("tok.io", "p/i", { env })).toMatchObject({ identityToken: "refresh-123" });
    expect(await findCredentials("other.io", "p/i", { env })).toBeUndefined();
  });

  it("uses GITHUB_TOKEN for ghcr.io only", async () => {
    const env = { HOME: path.join(tmp, "empty"), GITHUB_TOKEN: "ghs_x", GITHUB_ACTOR: "octocat" };
    expect(await findCredentials("ghcr.io", "o/r", { env })).toMatchObject({ username: "octocat", password: "ghs_x" });
    expect(await findCredentials("quay.io", "o/r", { env })).toBeUndefined();
  });
});

describe("progress output", () => {
  const sink = (isTTY: boolean) => {
    const chunks: string[] = [];
    const out = Object.assign(
      new Writable({
        write(c: Buffer, _e, cb) {
          chunks.push(c.toString());
          cb();
        },
      }),
      { isTTY, columns: 100 },
    );
    return { out, text: () => chunks.join("") };
  };
  const a = "sha256:" + "a".repeat(64);
  const b = "sha256:" + "b".repeat(64);

  it("draws one bar per blob on a terminal, redrawn in place", () => {
    const { out, text } = sink(true);
    const p = progressFor(out);
    p.start(a, 2048);
    p.start(b, 100);
    p.update(a, 1024);
    p.done(b, "mounted");
    p.finish();
    expect(text()).toContain(`aaaaaaaaaaaa [${"=".repeat(20)}${" ".repeat(20)}] 1.0 KiB / 2.0 KiB`);
    expect(text()).toContain(`bbbbbbbbbbbb [${"=".repeat(40)}] mounted`);
    p.done(a, "pushed");
    p.finish();
    expect(text()).toContain("\x1b[2A"); // second frame moves up over the first
  });

  it("prints plain lines elsewhere", () => {
    const { out, text } = sink(false);
    const p = progressFor(out);
    p.start(a, 10);
    p.update(a, 5);
    p.done(a, "skipped", "already in the repository");
    p.finish();
    expect(text()).toBe(`skipped ${a} (already in the repository)\n`);
    expect(humanBytes(200 * 1024 * 1024)).toBe("200.0 MiB");
  });
});

describe("transport names (skopeo syntax)", () => {
  it("parses each transport", () => {
    expect(parseImageLocation("docker://busybox")).toMatchObject({ transport: "docker", reference: { registry: "docker.io", repository: "library/busybox", tag: "latest" } });
    expect(parseImageLocation("oci:/tmp/layout:v1")).toMatchObject({ transport: "oci", path: "/tmp/layout", tag: "v1" });
    expect(parseImageLocation("oci:/tmp/layout")).toEqual({ transport: "oci", path: "/tmp/layout", text: "oci:/tmp/layout" });
    expect(parseImageLocation("oci-archive:img.tar:latest")).toMatchObject({ transport: "oci-archive", path: "img.tar", tag: "latest" });
    expect(parseImageLocation("docker-archive:img.tar:app:1.0")).toMatchObject({ transport: "docker-archive", path: "img.tar", tag: "app:1.0" });
  });
  it("rejects unknown transports and empty paths", () => {
    expect(() => parseImageLocation("dir:/x")).toThrow(/no known transport/);
    expect(() => parseImageLocation("/just/a/path")).toThrow(/no known transport/);
    expect(() => parseImageLocation("oci:")).toThrow(/missing path/);
  });
});
