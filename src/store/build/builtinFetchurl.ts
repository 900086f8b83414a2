/**
 * Nix's `builtin:fetchurl` builder (used by `<nix/fetchurl.nix>` and
 * `builtins.fetchurl`'s derivations): download `url` (http, https, file) to
 * `$out`, `executable = "1"` makes it 0755, `unpack = "1"` restores a NAR
 * (xz-decompressed when the URL ends in .xz). The hash is checked by the
 * caller like any fixed output.
 */
import { createReadStream, createWriteStream, chmodSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { proxyAgentFor } from "../../proxy.js";
import { tlsTrustOptions } from "../../tlsTrust.js";
import { restoreNarTo } from "../narOps.js";

export class FetchurlError extends Error {}

/**
 * `resolveFile` maps a file:// path to where it is readable, or undefined
 * when the sandbox would not show it (Nix runs built-ins inside the sandbox,
 * so only the input closure is readable).
 */
export async function builtinFetchurl(
  env: ReadonlyMap<string, string>,
  outPhysical: string,
  resolveFile: (path: string) => string | undefined,
): Promise<void> {
  const attr = (name: string) => {
    const v = env.get(name);
    if (v === undefined) throw new FetchurlError(`attribute '${name}' missing`);
    return v;
  };
  attr("out");
  const url = attr("url");
  const unpack = env.get("unpack") === "1";
  const source = await openUrl(url, resolveFile);
  if (unpack) {
    let stream: Readable = source;
    if (url.endsWith(".xz")) {
      const { XzReadableStream } = (await import("xz-decompress")) as unknown as {
        XzReadableStream: new (s: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array>;
      };
      stream = Readable.fromWeb(new XzReadableStream(Readable.toWeb(source) as ReadableStream<Uint8Array>) as never);
    }
    await restoreNarTo(stream, outPhysical);
  } else {
    await pipeline(source, createWriteStream(outPhysical, { mode: 0o644 }));
  }
  if (env.get("executable") === "1") chmodSync(outPhysical, 0o755);
}

async function openUrl(url: string, resolveFile: (path: string) => string | undefined): Promise<Readable> {
  if (url.startsWith("file://")) {
    const physical = resolveFile(fileURLToPath(url));
    // curl's message for an unreadable file:// URL, as Nix 2.8 reports it.
    if (physical === undefined) throw new FetchurlError(`unable to download '${url}': Couldn't read a file:// file (37)`);
    return createReadStream(physical);
  }
  if (url.startsWith("http://") || url.startsWith("https://")) {
    const res = await httpGet(url).catch((err: Error) => {
      throw new FetchurlError(`unable to download '${url}': ${err.message}`);
    });
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      res.resume();
      throw new FetchurlError(`unable to download '${url}': HTTP error ${status}`);
    }
    return res;
  }
  throw new FetchurlError(`unsupported URL scheme in '${url}'`);
}

const MAX_REDIRECTS = 10;

/** GET following redirects (curl's -L, as Nix's downloader), through the environment's proxy, trusting the user's extra CAs on https. */
function httpGet(url: string, redirects = 0): Promise<http.IncomingMessage> {
  const secure = url.startsWith("https:");
  return new Promise((resolve, reject) => {
    const options = secure ? tlsTrustOptions() : {};
    const agent = proxyAgentFor(url, options);
    const req = (secure ? https : http).get(url, agent ? { ...options, agent } : options, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location && redirects < MAX_REDIRECTS) {
        res.resume();
        resolve(httpGet(new URL(res.headers.location, url).toString(), redirects + 1));
        return;
      }
      resolve(res);
    });
    req.on("error", reject);
  });
}
