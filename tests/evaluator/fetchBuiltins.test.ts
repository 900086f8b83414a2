/**
 * builtins.fetchurl and builtins.fetchTarball against Nix 2.8 (`nix-instantiate --eval`), files served
 * over HTTP on loopback: the same store paths with and without a sha256 (any encoding, a custom name),
 * the same hash-mismatch error, the pinned path answered without a download, and the pure-mode rule.
 * (--json output ends with a newline, as current Nix writes it; 2.8 did not: see corpus/differential.test.ts.)
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { haveTools } from "../helpers/tools.js";
import { finalError } from "../helpers/nixError.js";

const bin = new URL("../../bin/nixoci.js", import.meta.url).pathname;

describe.skipIf(!haveTools("nix-instantiate", "tar"))("fetchurl / fetchTarball over HTTP vs Nix 2.8", () => {
  let dir: string;
  let server: http.Server;
  let base: string;
  let requests: string[] = [];
  const hashes: Record<string, string> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "nixoci-fetchb-"));
    mkdirSync(join(dir, "www/tree/sub"), { recursive: true });
    writeFileSync(join(dir, "www/data.txt"), "fetched over http\n");
    writeFileSync(join(dir, "www/tree/sub/f"), "in a tarball\n");
    execFileSync("tar", ["-czf", join(dir, "www/tb.tar.gz"), "--sort=name", "--mtime=@1", "-C", join(dir, "www"), "tree"]);
    execFileSync("tar", ["-czf", join(dir, "www/two.tar.gz"), "-C", join(dir, "www"), "tree", "data.txt"]);
    hashes.fileSri = execFileSync("nix", ["hash", "file", "--type", "sha256", join(dir, "www/data.txt")], { encoding: "utf8" }).trim();
    hashes.file32 = execFileSync("nix", ["hash", "file", "--type", "sha256", "--base32", join(dir, "www/data.txt")], { encoding: "utf8" }).trim();
    hashes.tree32 = execFileSync("nix", ["hash", "path", "--type", "sha256", "--base32", join(dir, "www/tree")], { encoding: "utf8" }).trim();
    server = http.createServer((req, res) => {
      requests.push(req.url ?? "");
      const f = join(dir, "www", req.url ?? "/");
      if (!existsSync(f) || !f.startsWith(join(dir, "www"))) return res.writeHead(404).end();
      res.end(readFileSync(f));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // Asynchronous: the server answers from this process.
  const spawn = (cmd: string, args: string[]) =>
    new Promise<{ status: number; stdout: string; stderr: string }>((resolve) =>
      execFile(cmd, args, { env: { ...process.env, XDG_CACHE_HOME: join(dir, "cache"), NIXOCI_STORE: join(dir, "store") }, encoding: "utf8" }, (err, stdout, stderr) =>
        resolve({ status: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      ),
    );
  const nix = (expr: string) => spawn("nix-instantiate", ["--store", join(dir, "nixstore"), "--eval", "--strict", "--json", "-E", expr]);
  const ours = (expr: string, extra: string[] = []) => spawn(process.execPath, [bin, "instantiate", "--store", join(dir, "store"), ...extra, "--eval", "--strict", "--json", "-E", expr]);

  const same = [
    () => `builtins.fetchurl "${base}/data.txt"`,
    () => `builtins.fetchurl { url = "${base}/data.txt"; sha256 = "${hashes.fileSri}"; }`,
    () => `builtins.fetchurl { url = "${base}/data.txt"; name = "renamed"; sha256 = "${hashes.file32}"; }`,
    () => `builtins.readFile (builtins.fetchurl "${base}/data.txt")`,
    () => `builtins.fetchTarball "${base}/tb.tar.gz"`,
    () => `let t = builtins.fetchTarball { url = "${base}/tb.tar.gz"; sha256 = "${hashes.tree32}"; }; in [ t (builtins.readFile "\${t}/sub/f") ]`,
  ];
  it.each(same.map((f, i) => [i, f]))("case %i prints what nix-instantiate prints", async (_i, f) => {
    const expr = f();
    const theirs = await nix(expr);
    expect(theirs.status, theirs.stderr).toBe(0);
    const mine = await ours(expr);
    expect(mine.status, mine.stderr).toBe(0);
    expect(mine.stdout).toBe(`${theirs.stdout}\n`);
  });

  it("reports a hash mismatch as Nix does", async () => {
    const wrong = "0000000000000000000000000000000000000000000000000000";
    const expr = `builtins.fetchurl { url = "${base}/data.txt"; sha256 = "${wrong}"; }`;
    const error = (s: string) => finalError(s).split("\n").slice(0, 3).join("\n");
    const theirs = await nix(expr);
    const mine = await ours(expr);
    expect(mine.status).not.toBe(0);
    expect(error(mine.stderr)).toBe(error(theirs.stderr));
  });

  it("answers a pinned path already in the store without downloading", async () => {
    // Instantiating (not --eval) writes to the store at --store, so the second run finds the path.
    const expr = `derivation { name = "x"; system = "x86_64-linux"; builder = "/bin/sh"; src = builtins.fetchTarball { url = "${base}/tb.tar.gz"; sha256 = "${hashes.tree32}"; }; }`;
    const instantiate = () => spawn(process.execPath, [bin, "instantiate", "--store", join(dir, "store"), "-E", expr]);
    const first = await instantiate();
    expect(first.status, first.stderr).toBe(0);
    requests = [];
    const second = await instantiate();
    expect(second.stdout).toBe(first.stdout);
    expect(requests).toEqual([]);
  });

  it("wants exactly one top-level entry in a tarball", async () => {
    const two = await ours(`builtins.fetchTarball "${base}/two.tar.gz"`);
    expect(two.status).not.toBe(0);
    expect(two.stderr).toContain(`tarball '${base}/two.tar.gz' contains an unexpected number of top-level files`);
  });

  it("wants a sha256 in pure evaluation (a flake), as nix eval does", async () => {
    mkdirSync(join(dir, "flake"));
    writeFileSync(join(dir, "flake/flake.nix"), `{ outputs = { self }: { x = builtins.fetchurl "${base}/data.txt"; }; }\n`);
    const error = (s: string) => finalError(s).split("\n")[0];
    const theirs = await spawn("nix", ["eval", "--store", join(dir, "nixstore"), "--raw", `${join(dir, "flake")}#x`]);
    const mine = await spawn(process.execPath, [bin, "eval", "--raw", `${join(dir, "flake")}#x`]);
    expect(mine.status).not.toBe(0);
    expect(error(mine.stderr)).toBe("error: in pure evaluation mode, 'fetchurl' requires a 'sha256' argument");
    expect(error(mine.stderr)).toBe(error(theirs.stderr));
  });
});
