/**
 * A binary cache served over HTTP(S): GET to read (404/403 mean "absent",
 * as Nix's HttpBinaryCacheStore), HEAD for existence, PUT to write.
 * One keep-alive agent per cache so parallel downloads reuse connections.
 */
import { createReadStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { proxyAgentFor } from "../../proxy.js";
import { tlsTrustOptions } from "../../tlsTrust.js";
import { BinaryCacheError } from "./errors.js";
import type { CacheTransport } from "./transport.js";

const MAX_REDIRECTS = 5;

export class HttpTransport implements CacheTransport {
  private readonly agent: http.Agent;

  constructor(readonly uri: string) {
    const secure = uri.startsWith("https:");
    const options = { keepAlive: true, maxSockets: 16, ...(secure ? tlsTrustOptions() : {}) };
    this.agent = proxyAgentFor(uri, options) ?? (secure ? new https.Agent(options) : new http.Agent(options));
  }

  /** Relative to the cache; a narinfo URL may also be absolute, as Nix's HttpBinaryCacheStore allows. */
  private url(path: string): string {
    return /^https?:\/\//.test(path) ? path : `${this.uri}/${path}`;
  }

  private request(
    method: string,
    url: string,
    headers: Record<string, string | number> = {},
    body?: Readable | Buffer,
    redirects = 0,
  ): Promise<http.IncomingMessage> {
    const mod = url.startsWith("https:") ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(url, { method, headers: { "user-agent": "nixoci", ...headers }, agent: this.agent }, (res) => {
        const status = res.statusCode ?? 0;
        if ([301, 302, 303, 307, 308].includes(status) && res.headers.location && redirects < MAX_REDIRECTS && !(body && typeof (body as Readable).pipe === "function")) {
          res.resume();
          const next = new URL(res.headers.location, url).toString();
          resolve(this.request(status === 303 ? "GET" : method, next, headers, body, redirects + 1));
          return;
        }
        resolve(res);
      });
      req.on("error", (err) =>
        reject(new BinaryCacheError(`${method} '${url}' failed: ${err.message}`, this.uri, undefined, { cause: err })),
      );
      if (body === undefined) req.end();
      else if (Buffer.isBuffer(body)) req.end(body);
      else {
        body.on("error", (err) => req.destroy(err));
        body.pipe(req);
      }
    });
  }

  private failed(method: string, path: string, res: http.IncomingMessage): BinaryCacheError {
    res.resume();
    return new BinaryCacheError(
      `${method} '${this.url(path)}' failed with HTTP status ${res.statusCode} ${res.statusMessage ?? ""}`.trimEnd(),
      this.uri,
      undefined,
      { httpStatus: res.statusCode },
    );
  }

  async get(path: string): Promise<Readable | undefined> {
    const res = await this.request("GET", this.url(path));
    const status = res.statusCode ?? 0;
    if (status === 404 || status === 403) {
      res.resume();
      return undefined;
    }
    if (status < 200 || status >= 300) throw this.failed("GET", path, res);
    return res;
  }

  async exists(path: string): Promise<boolean> {
    const res = await this.request("HEAD", this.url(path));
    res.resume();
    const status = res.statusCode ?? 0;
    if (status === 404 || status === 403) return false;
    if (status < 200 || status >= 300) throw this.failed("HEAD", path, res);
    return true;
  }

  async putBytes(path: string, data: Buffer, contentType: string): Promise<void> {
    const res = await this.request("PUT", this.url(path), { "content-type": contentType, "content-length": data.length }, data);
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) throw this.failed("PUT", path, res);
    res.resume();
  }

  async stagingDir(): Promise<string> {
    return mkdtemp(join(tmpdir(), "nixoci-upload-"));
  }

  async putFile(path: string, localFile: string, contentType: string): Promise<void> {
    try {
      const { size } = await stat(localFile);
      const res = await this.request(
        "PUT",
        this.url(path),
        { "content-type": contentType, "content-length": size },
        createReadStream(localFile, { highWaterMark: 1 << 20 }),
      );
      const status = res.statusCode ?? 0;
      if (status < 200 || status >= 300) throw this.failed("PUT", path, res);
      res.resume();
    } finally {
      await rm(localFile, { force: true });
    }
  }

  close(): void {
    this.agent.destroy();
  }
}
