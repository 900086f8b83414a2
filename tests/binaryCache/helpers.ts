/**
 * Test helpers: a tiny static HTTP server (GET/HEAD, and PUT when allowed)
 * to serve a binary cache directory on 127.0.0.1, and Nix 2.8 as the oracle
 * that builds tests/fixtures/binaryCache/closure.nix in its own chroot store
 * and writes caches with `nix copy --to file://…`.
 */
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { runNixBuild } from "../helpers/nixBuild.js";

export const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), "../fixtures/binaryCache/closure.nix");

export interface StaticServer {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

export async function serveDir(root: string, options: { allowPut?: boolean } = {}): Promise<StaticServer> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const rel = normalize(decodeURIComponent((req.url ?? "/").split("?")[0])).replace(/^\/+/, "");
    requests.push(`${req.method} /${rel}`);
    const file = join(root, rel);
    if (req.method === "PUT" && options.allowPut) {
      mkdirSync(dirname(file), { recursive: true });
      const out = createWriteStream(file);
      req.pipe(out);
      out.on("finish", () => res.writeHead(201).end());
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") return void res.writeHead(405).end();
    let size: number;
    try {
      const st = statSync(file);
      if (!st.isFile()) throw new Error("not a file");
      size = st.size;
    } catch {
      return void res.writeHead(404).end();
    }
    res.writeHead(200, { "content-length": size });
    if (req.method === "HEAD") return void res.end();
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Nix's narinfo disk cache (~/.cache/nix/binary-cache-v6.sqlite) is shared by
 * every Nix on the machine: under load its locking stalls for minutes, and it
 * remembers caches across runs. Each test process gets its own.
 */
const env: NodeJS.ProcessEnv = { ...process.env };

export function run(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: "utf8", input, env, stdio: ["pipe", "pipe", "pipe"], maxBuffer: 64 << 20 });
}

/** For Nix talking to a server in this process: execFileSync would block the event loop that serves it. */
export async function runAsync(cmd: string, args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(cmd, args, { encoding: "utf8", env, maxBuffer: 64 << 20 });
  return stdout;
}

/** A temp dir for one test file; the first one also holds that file's Nix disk cache (removed with it). */
export function tempDir(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), `nixoci-bc-${tag}-`));
  if (env.XDG_CACHE_HOME === process.env.XDG_CACHE_HOME) env.XDG_CACHE_HOME = join(dir, "xdg-cache");
  return dir;
}

export interface NixFixture {
  /** Root of Nix's chroot store (`--store`). */
  nixRoot: string;
  drvPath: string;
  outPath: string;
  secretKeyFile: string;
  publicKey: string;
}

/** Build the fixture closure with Nix 2.8 and make a signing key. */
export function buildFixtureWithNix(dir: string): NixFixture {
  const nixRoot = join(dir, "nix-store");
  const drvPath = run("nix-instantiate", ["--store", nixRoot, FIXTURE]).trim();
  const outPath = runNixBuild("nix-store", ["--store", nixRoot, "-r", drvPath]).trim();
  const secretKeyFile = join(dir, "sk");
  writeFileSync(secretKeyFile, run("nix", ["key", "generate-secret", "--key-name", "nixoci-test-1"]));
  const publicKey = run("nix", ["key", "convert-secret-to-public"], run("cat", [secretKeyFile])).trim();
  return { nixRoot, drvPath, outPath, secretKeyFile, publicKey };
}

/** `nix copy --to <url> paths` from the fixture's Nix store (outputs, or .drv files with `derivation`). */
export function nixCopyTo(fx: NixFixture, url: string, paths: string[], derivation = false): void {
  run("nix", ["copy", "--store", fx.nixRoot, "--to", url, ...(derivation ? ["--derivation"] : []), ...paths]);
}

export interface NixPathInfo {
  path: string;
  narHash: string;
  narSize: number;
  references: string[];
  deriver?: string;
  ca?: string;
  signatures?: string[];
}

export function nixPathInfo(root: string, paths: string[], extra: string[] = []): NixPathInfo[] {
  return JSON.parse(run("nix", ["path-info", "--store", root, "--json", "-r", ...extra, ...paths])) as NixPathInfo[];
}

/** Files of a directory tree, relative, sorted. */
export function listFiles(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(`${rel}/`, ...listFiles(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
