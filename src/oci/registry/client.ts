/**
 * A client for one registry host: picks the scheme (HTTPS, or plain HTTP for
 * loopback hosts and --tls-verify=false), pings /v2/, and sends every request
 * through auth (401 → new token, once) and retries (408/429/5xx/dropped
 * connections with backoff, Retry-After, one shared budget). Failures become
 * RegistryError with the registry's error codes.
 */
import { RegistryAuth } from "./auth.js";
import { parseChallenges } from "./challenge.js";
import type { CredentialOptions } from "./credentials.js";
import { parseErrorBody, RegistryAuthError, RegistryError } from "./errors.js";
import { HttpTransport, isTransientNetError, type HttpResponse, type RequestBody } from "./http.js";
import { redactUrl } from "./redact.js";
import { apiHost, isLoopbackRegistry } from "./reference.js";
import { isRetryableStatus, parseRetryAfter, RetryPolicy, type RetryOptions } from "./retry.js";

export interface RegistryClientOptions {
  /** false: accept any TLS certificate and fall back to plain HTTP (skopeo's --tls-verify=false). */
  readonly tlsVerify?: boolean;
  readonly credentials?: CredentialOptions;
  /** A policy shared by everything one command does, or options for a new one. */
  readonly retry?: RetryPolicy | RetryOptions;
  readonly debug?: (line: string) => void;
  /** Share connections between clients (e.g. source and destination of a copy). */
  readonly transport?: HttpTransport;
  readonly timeoutMs?: number;
}

export interface RegistryRequest {
  readonly method: string;
  /** Path under the registry's base URL (`/v2/…`), or an absolute URL from a Location header. */
  readonly path?: string;
  readonly url?: URL;
  readonly query?: Record<string, string>;
  readonly headers?: Record<string, string>;
  readonly body?: RequestBody;
  readonly contentLength?: number;
  /** Token scopes this request needs. */
  readonly scopes: readonly string[];
  /** Statuses the caller handles; any other is an error. */
  readonly ok: readonly number[];
  /** What we were doing, for error messages ("uploading blob sha256:…"). */
  readonly what: string;
  readonly repository?: string;
  /** Retry 408/429/5xx/connection failures here (default true). Uploads handle their own. */
  readonly retry?: boolean;
  /** Follow 3xx (GET/HEAD only; blob downloads may redirect to storage). */
  readonly followRedirects?: boolean;
}

const MAX_REDIRECTS = 5;

export class RegistryClient {
  readonly registry: string;
  readonly transport: HttpTransport;
  readonly retry: RetryPolicy;
  readonly auth: RegistryAuth;
  private readonly ownsTransport: boolean;
  private readonly tlsVerify: boolean;
  private base: Promise<URL> | undefined;

  constructor(registry: string, opts: RegistryClientOptions = {}) {
    this.registry = registry;
    this.tlsVerify = opts.tlsVerify ?? true;
    this.ownsTransport = opts.transport === undefined;
    this.transport =
      opts.transport ??
      new HttpTransport({
        tlsVerify: this.tlsVerify,
        ...(opts.debug ? { debug: opts.debug } : {}),
        ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      });
    this.retry = opts.retry instanceof RetryPolicy ? opts.retry : new RetryPolicy(opts.retry);
    const credOpts = opts.credentials ?? {};
    this.auth = new RegistryAuth(
      registry,
      // Auth files and helpers are looked up (and their code loaded) only when a registry asks.
      async () => (await import("./credentials.js")).findCredentials(registry, undefined, credOpts),
      (req) =>
        this.send({
          method: req.method,
          url: req.url,
          headers: req.headers,
          ...(req.body ? { body: req.body } : {}),
          scopes: [],
          ok: [],
          what: "requesting a token",
          noAuth: true,
        }),
    );
  }

  /** Base URL, decided by pinging /v2/ once. */
  baseUrl(): Promise<URL> {
    return (this.base ??= this.ping());
  }

  private schemes(): string[] {
    if (isLoopbackRegistry(this.registry)) return ["http", "https"];
    return this.tlsVerify ? ["https"] : ["https", "http"];
  }

  private async ping(): Promise<URL> {
    const host = apiHost(this.registry);
    let lastError: unknown;
    for (const scheme of this.schemes()) {
      const url = new URL(`${scheme}://${host}/v2/`);
      let res: HttpResponse;
      try {
        res = await this.send({ method: "GET", url, scopes: [], ok: [], what: "pinging the registry", noAuth: true });
      } catch (err) {
        lastError = err;
        // Nothing listens on that port: another scheme will not help.
        if ((err as RegistryError).cause && (err as { cause: { code?: unknown } }).cause.code === "ECONNREFUSED") break;
        continue;
      }
      await res.discard();
      // A TLS server answering plain HTTP says 400; try the next scheme.
      if (res.status === 400 && scheme === "http") {
        lastError = new RegistryError("plain HTTP rejected", { registry: this.registry, status: 400 });
        continue;
      }
      if (res.status === 401) this.auth.setChallenges(parseChallenges(res.headers["www-authenticate"]));
      return new URL(`${scheme}://${host}`);
    }
    if (lastError instanceof RegistryError && lastError.status !== undefined) throw lastError;
    const cause = lastError instanceof RegistryError && lastError.cause !== undefined ? lastError.cause : lastError;
    const code = (cause as { code?: unknown } | undefined)?.code;
    const certificate = typeof code === "string" && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(code);
    const hint = certificate && this.tlsVerify ? " (use --tls-verify=false to skip certificate verification)" : "";
    throw new RegistryError(`cannot reach the registry: ${(cause as Error)?.message ?? "unknown error"}${hint}`, {
      registry: this.registry,
      cause,
    });
  }

  /** Sends with auth and retries; returns the response when its status is in `ok`. */
  async request(req: RegistryRequest): Promise<HttpResponse> {
    const url = req.url ? new URL(req.url) : new URL(req.path!, await this.baseUrl());
    for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
    const res = await this.send({ ...req, url });
    if (req.ok.includes(res.status)) return res;
    throw await this.errorFrom(res, req);
  }

  /** An error for an unexpected response (reads its body). */
  async errorFrom(res: HttpResponse, req: Pick<RegistryRequest, "method" | "what" | "repository">): Promise<RegistryError> {
    const text = await res.text().catch(() => "");
    const codes = parseErrorBody(text);
    const retryAfterMs = parseRetryAfter(res.header("retry-after"));
    const ctx = {
      registry: this.registry,
      status: res.status,
      method: req.method,
      path: redactUrl(res.url).replace(/^[a-z]+:\/\/[^/]+/, ""),
      codes,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      ...(req.repository !== undefined ? { repository: req.repository } : {}),
    };
    if (res.status === 401) {
      return new RegistryAuthError(`${req.what}: authentication failed with ${await this.auth.credentialSource()}`, ctx);
    }
    if (res.status === 403) return new RegistryAuthError(`${req.what}: access denied`, ctx);
    return new RegistryError(req.what, ctx);
  }

  /** The retry loop around one logical request. */
  private async send(req: RegistryRequest & { url: URL; noAuth?: boolean }): Promise<HttpResponse> {
    const retry = req.retry ?? true;
    for (let attempt = 1; ; attempt++) {
      let res: HttpResponse;
      try {
        res = await this.sendAuthorized(req);
      } catch (err) {
        if (err instanceof RegistryError) throw err;
        if (retry && isTransientNetError(err) && this.retry.canRetry(attempt)) {
          await this.retry.backoff(attempt);
          continue;
        }
        throw new RegistryError(`${req.what}: ${(err as Error).message}`, {
          registry: this.registry,
          method: req.method,
          path: redactUrl(req.url).replace(/^[a-z]+:\/\/[^/]+/, ""),
          ...(req.repository !== undefined ? { repository: req.repository } : {}),
          cause: err,
        });
      }
      if (retry && isRetryableStatus(res.status) && !req.ok.includes(res.status) && this.retry.canRetry(attempt)) {
        const wait = parseRetryAfter(res.header("retry-after"));
        await res.discard();
        await this.retry.backoff(attempt, wait);
        continue;
      }
      return res;
    }
  }

  /** One attempt: Authorization, the 401 dance (once), redirects for GET/HEAD. */
  private async sendAuthorized(req: RegistryRequest & { url: URL; noAuth?: boolean }): Promise<HttpResponse> {
    let url = req.url;
    let scopes = req.scopes;
    let authRetried = false;
    let redirects = 0;
    for (;;) {
      const headers: Record<string, string> = { ...req.headers };
      const sameHost = url.host === req.url.host;
      let authorization: string | undefined;
      if (!req.noAuth && sameHost) {
        authorization = await this.auth.authorization(scopes);
        if (authorization) headers.Authorization = authorization;
      }
      const res = await this.transport.request({
        method: req.method,
        url,
        headers,
        ...(req.body !== undefined ? { body: req.body } : {}),
        ...(req.contentLength !== undefined ? { contentLength: req.contentLength } : {}),
      });
      if (res.status === 401 && !req.noAuth && sameHost && !authRetried) {
        const challenges = parseChallenges(res.headers["www-authenticate"]);
        authRetried = true;
        // The registry may name the scope it wants (insufficient_scope): ask for that too.
        const wanted = challenges.find((c) => c.scheme === "bearer")?.params.scope;
        if (wanted) {
          this.auth.forgetToken(scopes);
          scopes = mergeScopes(scopes, wanted.split(" ").filter((x) => x !== ""));
        }
        if (await this.auth.unauthorized(challenges, scopes, authorization !== undefined)) {
          await res.discard();
          continue;
        }
        return res;
      }
      const location = res.header("location");
      if (
        (req.followRedirects ?? false) &&
        (req.method === "GET" || req.method === "HEAD") &&
        [301, 302, 303, 307, 308].includes(res.status) &&
        location &&
        redirects < MAX_REDIRECTS
      ) {
        await res.discard();
        url = new URL(location, url);
        redirects++;
        continue;
      }
      return res;
    }
  }

  close(): void {
    if (this.ownsTransport) this.transport.close();
  }
}

/** `have` plus the scopes of `wanted` it does not already grant (`repository:x:pull,push` grants `repository:x:pull`). */
export function mergeScopes(have: readonly string[], wanted: readonly string[]): readonly string[] {
  const split = (s: string) => {
    const i = s.lastIndexOf(":");
    return { resource: s.slice(0, i), actions: s.slice(i + 1).split(",") };
  };
  const missing = wanted.filter((w) => {
    const want = split(w);
    return !have.some((h) => {
      const got = split(h);
      return got.resource === want.resource && want.actions.every((a) => got.actions.includes(a) || got.actions.includes("*"));
    });
  });
  return missing.length === 0 ? have : [...have, ...missing];
}
