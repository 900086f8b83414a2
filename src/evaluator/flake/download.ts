/**
 * Synchronous downloads for the fetchers (the evaluator that calls them is synchronous): file://
 * directly, http(s) in a child Node process that streams to the destination file.
 *
 * The child behaves as Nix's downloader (curl) does where users rely on it: it follows redirects,
 * goes through the environment's proxy (the rules of src/proxy.ts; a CONNECT tunnel for https), and trusts `$NIX_SSL_CERT_FILE` or `$SSL_CERT_FILE` instead of the
 * built-in roots when set (Nix's ssl-cert-file). A script string rather than a module file, so it
 * runs the same from src/ under vitest and from dist/.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { createRequire } from "node:module";

export class DownloadError extends Error {}

/** What tar said of a download that is not a tarball it can read. */
export class UnpackError extends DownloadError {}

const CHILD = String.raw`
import http from "node:http";
import https from "node:https";
import tls from "node:tls";
import { createWriteStream, readFileSync } from "node:fs";
import { pipeline } from "node:stream/promises";
import { pathToFileURL } from "node:url";

const [url, dest, headersJson, proxyRules] = process.argv.slice(1);
const headers = { "user-agent": "nixoci", ...JSON.parse(headersJson || "{}") };
const env = process.env;
const caFile = env.NIX_SSL_CERT_FILE || env.SSL_CERT_FILE;
const ca = caFile ? readFileSync(caFile, "utf8") : undefined;

// The parent names proxy-from-env's file: the same rules as every other connection nixoci makes.
const { getProxyForUrl } = (await import(pathToFileURL(proxyRules).href)).default;
function proxyFor(u) {
  const p = getProxyForUrl(u.href);
  return p ? new URL(p) : undefined;
}

function tunnel(proxy, host, port) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: proxy.hostname, port: proxy.port || 80, method: "CONNECT", path: host + ":" + port, headers: { host: host + ":" + port } });
    req.on("connect", (res, socket) => {
      if (res.statusCode === 200) resolve(socket);
      else {
        socket.destroy();
        reject(new Error("proxy " + proxy.host + " refused CONNECT with HTTP " + res.statusCode));
      }
    });
    req.on("error", reject);
    req.end();
  });
}

async function get(u) {
  const proxy = proxyFor(u);
  if (u.protocol === "http:") {
    const opts = proxy
      ? { host: proxy.hostname, port: proxy.port || 80, path: u.href, headers: { ...headers, host: u.host } }
      : { host: u.hostname, port: u.port || 80, path: u.pathname + u.search, headers };
    return new Promise((resolve, reject) => http.get(opts, resolve).on("error", reject));
  }
  const port = Number(u.port || 443);
  const socket = proxy ? await tunnel(proxy, u.hostname, port) : undefined;
  // Without an agent Node would name the default port in Host; say it as curl does.
  const opts = { headers: { ...headers, host: u.host }, ...(ca ? { ca } : {}) };
  // No agent: with createConnection given, the request goes over the tunnel.
  if (socket) Object.assign(opts, { createConnection: () => tls.connect({ socket, servername: u.hostname, ...(ca ? { ca } : {}) }) });
  return new Promise((resolve, reject) => https.get(u, opts, resolve).on("error", reject));
}

try {
  let u = new URL(url);
  for (let redirects = 0; ; redirects++) {
    const res = await get(u);
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location && redirects < 10) {
      res.resume();
      u = new URL(res.headers.location, u);
      continue;
    }
    if (status < 200 || status >= 300) {
      res.resume();
      console.error("HTTP error " + status);
      process.exit(1);
    }
    await pipeline(res, createWriteStream(dest));
    break;
  }
} catch (e) {
  console.error(e.message);
  process.exit(1);
}
`;

/** Downloads `url` to the file `dest`; `headers` are sent with every request (access tokens). */
export function downloadSync(url: string, dest: string, headers: Record<string, string> = {}): void {
  if (url.startsWith("file://")) {
    try {
      copyFileSync(decodeURIComponent(new URL(url).pathname), dest);
    } catch (e) {
      throw new DownloadError(`unable to download '${url}': ${(e as Error).message}`, { cause: e });
    }
    return;
  }
  if (!/^https?:\/\//.test(url)) throw new DownloadError(`unsupported URL '${url}'`);
  try {
    const proxyRules = createRequire(import.meta.url).resolve("proxy-from-env");
    execFileSync(process.execPath, ["--input-type=module", "-e", CHILD, url, dest, JSON.stringify(headers), proxyRules], { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
  } catch (e) {
    const why = (e as { stderr?: string }).stderr?.trim() || (e as Error).message;
    throw new DownloadError(`unable to download '${url}': ${why}`, { cause: e });
  }
}

/** Unpacks the tarball `file` (GNU tar detects gzip/xz/bzip2/zstd) into the new directory `into`; its top-level entries. */
export function unpackTarball(file: string, into: string, url: string): string[] {
  mkdirSync(into, { recursive: true });
  try {
    execFileSync("tar", ["-xf", file, "-C", into, "--no-same-owner"], { stdio: ["ignore", "ignore", "pipe"] });
  } catch (e) {
    const why = String((e as { stderr?: Buffer }).stderr ?? "").trim().split("\n")[0] || (e as Error).message.split("\n")[0];
    throw new UnpackError(`cannot unpack '${url}': ${why}`, { cause: e });
  }
  return readdirSync(into);
}

/** Nix 2.8's downloadTarball: the tarball holds exactly one top-level entry, and that is the tree. */
export function unpackSingleTree(file: string, into: string, url: string): string {
  const members = unpackTarball(file, into, url);
  if (members.length !== 1) throw new DownloadError(`tarball '${url}' contains an unexpected number of top-level files`);
  return join(into, members[0]!);
}
