/**
 * github:, gitlab: and sourcehut: inputs against Nix 2.8. The forges are played by one HTTPS server
 * on loopback, reached through a proxy that terminates the CONNECT tunnel itself (certificates from a
 * test CA, trusted through NIX_SSL_CERT_FILE by both Nix and nixoci): the API answers that turn a
 * branch or tag into a commit, and the commit tarballs. `nix flake lock` and `nixoci flake lock`
 * must write the same flake.lock, ask the same URLs, and evaluate to the same values.
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { haveTools } from "../helpers/tools.js";

const bin = new URL("../../bin/nixoci.js", import.meta.url).pathname;
const REV = "0123456789abcdef0123456789abcdef01234567";
const REV_TAG = "89abcdef0123456789abcdef0123456789abcdef";
// Nix 2.8 caches forge trees by commit alone (across forges and repositories), so each forge gets its own.
const REV_GL = "1111111111111111111111111111111111111111";
const REV_SRHT = "2222222222222222222222222222222222222222";
const COMMIT_TIME = 1_700_000_000;

describe.skipIf(!haveTools("nix", "openssl", "tar"))("forge inputs (github, gitlab, sourcehut) vs Nix 2.8", () => {
  let work: string;
  let proxy: http.Server;
  let proxyUrl: string;
  const tarballs = new Map<string, Buffer>();
  let requests: string[] = [];

  const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: work, stdio: "ignore" });

  /** A forge tarball: one top-level directory, every mtime the commit time. */
  const makeTarball = (name: string, value: string): Buffer => {
    const dir = join(work, "tarballs", name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "flake.nix"), `{ outputs = { self }: { value = "${value}"; }; }\n`);
    writeFileSync(join(dir, "README"), `${value}\n`);
    return execFileSync("tar", ["-cz", "--sort=name", "--owner=0", "--group=0", "--numeric-owner", `--mtime=@${COMMIT_TIME}`, "-C", join(work, "tarballs"), name]);
  };

  const forge = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const host = req.headers.host ?? "";
    requests.push(`${host}${req.url}`);
    const json = (v: unknown) => res.setHeader("content-type", "application/json").end(JSON.stringify(v));
    const url = req.url ?? "";
    if (host === "api.github.com") {
      if (url === "/repos/owner/repo/commits/HEAD") return json({ sha: REV });
      if (url === "/repos/owner/repo/commits/v1") return json({ sha: REV_TAG });
      const m = /^\/repos\/owner\/repo\/tarball\/([0-9a-f]{40})$/.exec(url);
      if (m && tarballs.has(`gh-${m[1]}`)) return res.end(tarballs.get(`gh-${m[1]}`));
    }
    if (host === "gitlab.com") {
      if (url === "/api/v4/projects/owner%2Frepo/repository/commits?ref_name=HEAD") return json([{ id: REV_GL }]);
      if (url === `/api/v4/projects/owner%2Frepo/repository/archive.tar.gz?sha=${REV_GL}`) return res.end(tarballs.get("gl"));
    }
    if (host === "git.sr.ht") {
      if (url === "/~owner/repo/HEAD") return res.end("ref: refs/heads/master\n");
      if (url === "/~owner/repo/info/refs") return res.end(`${REV_TAG}\trefs/heads/other\n${REV_SRHT}\trefs/heads/master\n`);
      if (url === `/~owner/repo/archive/${REV_SRHT}.tar.gz`) return res.end(tarballs.get("srht"));
    }
    res.statusCode = 404;
    res.end("not found");
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "nixoci-forge-"));
    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=nixoci test CA");
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=api.github.com");
    writeFileSync(join(work, "ext.cnf"), "subjectAltName=DNS:api.github.com,DNS:gitlab.com,DNS:git.sr.ht\n");
    ssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "leaf.pem", "-days", "2", "-extfile", "ext.cnf");

    tarballs.set(`gh-${REV}`, makeTarball("owner-repo-0123456", "github head"));
    tarballs.set(`gh-${REV_TAG}`, makeTarball("owner-repo-89abcde", "github tag"));
    tarballs.set("gl", makeTarball(`repo-${REV_GL}`, "gitlab"));
    tarballs.set("srht", makeTarball(`repo-${REV_SRHT.slice(0, 7)}`, "sourcehut"));

    const forges = https.createServer({ key: readFileSync(join(work, "leaf.key")), cert: readFileSync(join(work, "leaf.pem")) }, forge);
    proxy = http.createServer((_req, res) => res.writeHead(405).end());
    proxy.on("connect", (_req: http.IncomingMessage, socket: Socket) => {
      socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      forges.emit("connection", socket);
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;

    mkdirSync(join(work, "root"));
    writeFileSync(
      join(work, "root/flake.nix"),
      `{
  inputs.gh.url = "github:owner/repo";
  inputs.ghtag.url = "github:owner/repo/v1";
  inputs.gl.url = "gitlab:owner/repo";
  inputs.srht.url = "sourcehut:~owner/repo";
  inputs.raw = { url = "github:owner/repo"; flake = false; };
  outputs = { self, gh, ghtag, gl, srht, raw }: {
    x = [ gh.value gh.rev gh.shortRev gh.lastModified gh.lastModifiedDate gh.narHash ghtag.value ghtag.rev gl.value gl.outPath srht.value srht.sourceInfo.rev (builtins.readFile "\${raw}/README") raw.lastModified ];
  };
}
`,
    );
  });
  afterAll(() => {
    proxy?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const env = (cache: string) => ({
    ...process.env,
    https_proxy: proxyUrl,
    NIX_SSL_CERT_FILE: join(work, "ca.pem"),
    XDG_CACHE_HOME: join(work, cache),
    NIXOCI_STORE: join(work, "store"),
  });
  // Asynchronous: the forges answer from this process.
  const spawn = (cmd: string, args: string[], cache: string) =>
    new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
      execFile(cmd, args, { cwd: join(work, "root"), env: env(cache), encoding: "utf8" }, (err, stdout, stderr) =>
        resolve({ status: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  const nix = (args: string[]) => spawn("nix", [...args, "--store", join(work, "nixstore")], "nixcache");
  const ours = (args: string[]) => spawn(process.execPath, [bin, ...args], "ourcache");

  it("locks like nix flake lock, asking the forges the same things, and evaluates the same", async () => {
    requests = [];
    const theirs = await nix(["flake", "lock"]);
    expect(theirs.status, theirs.stderr).toBe(0);
    const nixLock = readFileSync(join(work, "root/flake.lock"), "utf8");
    const nixRequests = [...new Set(requests)].sort();
    const nixValue = await nix(["eval", "--json", ".#x"]);
    expect(nixValue.status, nixValue.stderr).toBe(0);

    rmSync(join(work, "root/flake.lock"));
    requests = [];
    const mine = await ours(["flake", "lock"]);
    expect(mine.status, mine.stderr).toBe(0);
    expect(readFileSync(join(work, "root/flake.lock"), "utf8")).toBe(nixLock);
    expect([...new Set(requests)].sort()).toEqual(nixRequests);

    const ourValue = await ours(["eval", "--json", ".#x"]);
    expect(ourValue.status, ourValue.stderr).toBe(0);
    expect(ourValue.stdout).toBe(`${nixValue.stdout}\n`);
    expect(JSON.parse(ourValue.stdout)).toContain("github tag");
  });

  it("uses locked inputs already in the store without asking the forges again", async () => {
    requests = [];
    const again = await ours(["eval", "--raw", ".#x", "--apply", "x: builtins.elemAt x 0"]);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toBe("github head");
    expect(requests).toEqual([]);
  });

  it("reports a forge's HTTP error with the URL, as Nix does", async () => {
    writeFileSync(join(work, "root/flake.nix"), `{ inputs.gone.url = "github:owner/gone"; outputs = { self, gone }: { }; }\n`);
    rmSync(join(work, "root/flake.lock"), { force: true });
    const mine = await ours(["flake", "lock"]);
    expect(mine.status).toBe(1);
    expect(mine.stderr).toContain("unable to download 'https://api.github.com/repos/owner/gone/commits/HEAD': HTTP error 404");
  });
});
