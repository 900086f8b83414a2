/**
 * One HTTP exchange with a registry, over node:http/https with keep-alive
 * agents. Bodies stream both ways; a request body is a factory so a retry can
 * reopen its source. No retries or auth here (see client.ts): this layer only
 * sends, counts and logs (with secrets redacted).
 */
import http from "node:http";
import type https from "node:https";
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { redactHeaders, redactUrl } from "./redact.js";
import { isLoopbackRegistry } from "./reference.js";

export type RequestBody = Buffer | (() => Readable);

export interface HttpRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers?: Record<string, string>;
  readonly body?: RequestBody;
  /** Required for streamed bodies; registries reject chunked transfer for some uploads. */
  readonly contentLength?: number;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly url: URL;
  /** Unconsumed body stream; call text()/json()/discard() or read it. */
  readonly body: IncomingMessage;
  text(): Promise<string>;
  discard(): Promise<void>;
  header(name: string): string | undefined;
}

export interface HttpTransportOptions {
  /** Verify TLS certificates (default true). */
  readonly tlsVerify?: boolean;
  /** Socket inactivity timeout in ms (default 120 s). */
  readonly timeoutMs?: number;
  /** Called with one redacted line per request/response when debugging. */
  readonly debug?: (line: string) => void;
  readonly maxSockets?: number;
}

/** Error codes of a failed connection that a retry may cure. */
export const TRANSIENT_NET_CODES = new Set([
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ECONNABORTED",
  "ECONNREFUSED",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "UND_ERR_SOCKET",
  "ERR_STREAM_PREMATURE_CLOSE",
]);

export function isTransientNetError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && TRANSIENT_NET_CODES.has(code);
}

export class HttpTransport {
  /** Requests sent so far (each attempt counts). */
  requestCount = 0;
  private readonly httpAgent: http.Agent;
  private httpsClient: Promise<{ https: typeof https; agent: https.Agent }> | undefined;
  private readonly tlsVerify: boolean;
  private readonly maxSockets: number;
  /** Per scheme and host: the proxy agent, or undefined for a direct connection. */
  private readonly proxyAgents = new Map<string, http.Agent | undefined>();
  private readonly timeoutMs: number;
  private readonly debug: ((line: string) => void) | undefined;

  constructor(opts: HttpTransportOptions = {}) {
    const maxSockets = opts.maxSockets ?? 16;
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets });
    this.maxSockets = maxSockets;
    this.tlsVerify = opts.tlsVerify ?? true;
    this.timeoutMs = opts.timeoutMs ?? 120_000;
    this.debug = opts.debug;
  }

  /**
   * node:https, node:tls and the trusted CAs are loaded on the first https request: a push to a
   * loopback registry over plain HTTP never needs them, and loading them is part of its start-up.
   */
  private https(): Promise<{ https: typeof https; agent: https.Agent }> {
    this.httpsClient ??= Promise.all([import("node:https"), import("../../tlsTrust.js")]).then(([mod, { tlsTrustOptions }]) => ({
      https: mod.default,
      agent: new mod.default.Agent({ keepAlive: true, maxSockets: this.maxSockets, rejectUnauthorized: this.tlsVerify, ...tlsTrustOptions() }),
    }));
    return this.httpsClient;
  }

  /** An agent through the environment's proxy for this URL's host (as skopeo and crane honour $HTTPS_PROXY), if one applies. */
  private async proxyAgent(url: URL): Promise<http.Agent | undefined> {
    const key = `${url.protocol}//${url.host}`;
    if (!this.proxyAgents.has(key)) {
      const { proxyAgentFor, proxyFor } = await import("../../proxy.js");
      // Like Go's ProxyFromEnvironment (skopeo, crane): a loopback registry is never proxied.
      const proxied = !isLoopbackRegistry(url.host) && proxyFor(url) !== undefined;
      const tls = proxied && url.protocol === "https:" ? { rejectUnauthorized: this.tlsVerify, ...(await import("../../tlsTrust.js")).tlsTrustOptions() } : {};
      this.proxyAgents.set(key, proxied ? proxyAgentFor(url, { keepAlive: true, maxSockets: this.maxSockets, ...tls }) : undefined);
    }
    return this.proxyAgents.get(key);
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    this.requestCount++;
    const direct = req.url.protocol === "https:" ? await this.https() : { https: undefined, agent: this.httpAgent };
    const viaProxy = await this.proxyAgent(req.url);
    const client = viaProxy ? { ...direct, agent: viaProxy } : direct;
    const headers: Record<string, string> = { "User-Agent": "nixoci", ...req.headers };
    let bodyStream: Readable | undefined;
    if (Buffer.isBuffer(req.body)) {
      headers["Content-Length"] = String(req.body.length);
    } else if (req.body) {
      bodyStream = req.body();
      if (req.contentLength !== undefined) headers["Content-Length"] = String(req.contentLength);
    } else if (req.method === "PUT" || req.method === "POST" || req.method === "PATCH") {
      headers["Content-Length"] = "0";
    }
    this.debug?.(`> ${req.method} ${redactUrl(req.url)} ${JSON.stringify(redactHeaders(headers))}`);
    return new Promise<HttpResponse>((resolve, reject) => {
      const options: http.RequestOptions = {
        method: req.method,
        headers,
        agent: client.agent,
        timeout: this.timeoutMs,
      };
      const clientReq = (client.https ?? http).request(req.url, options, (res) => {
        this.debug?.(`< ${res.statusCode} ${req.method} ${redactUrl(req.url)} ${JSON.stringify(redactHeaders(res.headers))}`);
        resolve(wrapResponse(res, req.url));
      });
      clientReq.on("timeout", () => clientReq.destroy(Object.assign(new Error("socket timeout"), { code: "ETIMEDOUT" })));
      clientReq.on("error", (err) => {
        bodyStream?.destroy();
        reject(err);
      });
      if (Buffer.isBuffer(req.body)) {
        clientReq.end(req.body);
      } else if (bodyStream) {
        // A failing source aborts the request; the request's own error rejects above.
        pipeline(bodyStream, clientReq).catch((err: unknown) => {
          clientReq.destroy(err as Error);
          reject(err);
        });
      } else {
        clientReq.end();
      }
    });
  }

  close(): void {
    this.httpAgent.destroy();
    for (const agent of this.proxyAgents.values()) agent?.destroy();
    void this.httpsClient?.then((c) => c.agent.destroy(), () => undefined);
  }
}

function wrapResponse(res: IncomingMessage, url: URL): HttpResponse {
  return {
    status: res.statusCode ?? 0,
    headers: res.headers,
    url,
    body: res,
    async text() {
      const chunks: Buffer[] = [];
      for await (const chunk of res) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString("utf8");
    },
    async discard() {
      // Always drain: a response whose bytes are buffered but unread ("complete" yet not ended)
      // keeps its socket from returning to the keep-alive pool.
      if (res.readableEnded || res.destroyed) return;
      res.resume();
      await new Promise<void>((r) => {
        res.once("end", r);
        res.once("close", r);
        res.once("error", () => r());
      });
    },
    header(name: string) {
      const v = res.headers[name.toLowerCase()];
      return Array.isArray(v) ? v[0] : v;
    },
  };
}
