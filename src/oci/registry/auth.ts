/**
 * Registry authentication as the distribution token spec describes it: a 401
 * carries a WWW-Authenticate challenge; for Basic we answer with the user's
 * credentials, for Bearer we fetch a token from the challenge's realm for the
 * scopes we need (`repository:NAME:pull,push`), cache it until shortly before
 * `expires_in`, and fetch a new one once if the registry still says 401.
 */
import type { Challenge } from "./challenge.js";
import type { Credential } from "./credentials.js";
import { RegistryAuthError } from "./errors.js";
import type { HttpResponse } from "./http.js";
import { redactTokenBody } from "./redact.js";

/** Sends a request without registry auth (token server calls); retries like any other request. */
export type TokenFetcher = (req: {
  method: "GET" | "POST";
  url: URL;
  headers: Record<string, string>;
  body?: Buffer;
}) => Promise<HttpResponse>;

interface CachedToken {
  readonly token: string;
  /** ms since epoch after which we fetch a new one. */
  readonly refreshAt: number;
}

/** Refresh this long before the server's expiry so a token never dies mid-request. */
const EXPIRY_MARGIN_MS = 10_000;
/** The token spec's default lifetime when `expires_in` is absent. */
const DEFAULT_EXPIRES_IN_S = 60;

export function repositoryScope(repository: string, actions: readonly string[]): string {
  return `repository:${repository}:${actions.join(",")}`;
}

export class RegistryAuth {
  private challenge: Challenge | undefined;
  private credential: Promise<Credential | undefined> | undefined;
  private readonly tokens = new Map<string, Promise<CachedToken>>();

  constructor(
    readonly registry: string,
    private readonly lookupCredential: () => Promise<Credential | undefined>,
    private readonly fetchToken: TokenFetcher,
    private readonly now: () => number = Date.now,
  ) {}

  private cred(): Promise<Credential | undefined> {
    return (this.credential ??= this.lookupCredential());
  }

  /** Remember the scheme a 401 asked for (from the ping or any request). */
  setChallenges(challenges: Challenge[]): boolean {
    const chosen = challenges.find((c) => c.scheme === "bearer") ?? challenges.find((c) => c.scheme === "basic");
    if (!chosen) return false;
    this.challenge = chosen;
    return true;
  }

  get scheme(): string | undefined {
    return this.challenge?.scheme;
  }

  /** The Authorization header for a request needing `scopes`, or undefined before any challenge. */
  async authorization(scopes: readonly string[]): Promise<string | undefined> {
    const ch = this.challenge;
    if (!ch) return undefined;
    if (ch.scheme === "basic") {
      const cred = await this.cred();
      if (!cred || cred.username === undefined) return undefined;
      return `Basic ${Buffer.from(`${cred.username}:${cred.password ?? ""}`).toString("base64")}`;
    }
    if (ch.scheme === "bearer") {
      const key = [...new Set(scopes)].sort().join(" ");
      let entry = this.tokens.get(key);
      if (entry) {
        const cached = await entry.catch(() => undefined);
        if (!cached || cached.refreshAt <= this.now()) entry = undefined;
      }
      if (!entry) {
        entry = this.requestToken(ch, [...new Set(scopes)].sort());
        this.tokens.set(key, entry);
        entry.catch(() => this.tokens.delete(key));
      }
      return `Bearer ${(await entry).token}`;
    }
    return undefined;
  }

  /** Drop the cached token for these scopes (the registry rejected it). */
  forgetToken(scopes: readonly string[]): void {
    this.tokens.delete([...new Set(scopes)].sort().join(" "));
  }

  /**
   * A request came back 401. Record its challenge and drop cached tokens for
   * these scopes; returns whether trying again with new auth can help.
   */
  async unauthorized(challenges: Challenge[], scopes: readonly string[], hadAuthorization: boolean): Promise<boolean> {
    const previous = this.challenge?.scheme;
    if (!this.setChallenges(challenges)) return false;
    if (this.challenge!.scheme === "bearer") {
      this.forgetToken(scopes);
      return true;
    }
    // Basic: retrying only helps if we had not sent credentials yet and have some.
    const cred = await this.cred();
    return (!hadAuthorization || previous !== "basic") && cred?.username !== undefined;
  }

  /** Describe the credentials in use, for error messages; never the secret. */
  async credentialSource(): Promise<string> {
    const cred = await this.cred();
    return cred ? `credentials from ${cred.source}` : "no credentials (anonymous)";
  }

  private async requestToken(ch: Challenge, scopes: string[]): Promise<CachedToken> {
    const realm = ch.params.realm;
    if (!realm) throw new RegistryAuthError("Bearer challenge without a realm", { registry: this.registry });
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new RegistryAuthError(`Bearer challenge has an invalid realm '${realm}'`, { registry: this.registry });
    }
    const cred = await this.cred();
    if (cred?.registryToken) return { token: cred.registryToken, refreshAt: Number.POSITIVE_INFINITY };
    const service = ch.params.service;
    const requested = scopes.length > 0 ? scopes : ch.params.scope ? ch.params.scope.split(" ") : [];
    let res: HttpResponse;
    if (cred?.identityToken) {
      // OAuth2 refresh-token grant (docker's identity tokens).
      const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: cred.identityToken, client_id: "nixoci" });
      if (service) form.set("service", service);
      if (requested.length > 0) form.set("scope", requested.join(" "));
      res = await this.fetchToken({
        method: "POST",
        url,
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: Buffer.from(form.toString()),
      });
    } else {
      if (service) url.searchParams.set("service", service);
      for (const s of requested) url.searchParams.append("scope", s);
      const headers: Record<string, string> = {};
      if (cred?.username !== undefined) {
        headers.Authorization = `Basic ${Buffer.from(`${cred.username}:${cred.password ?? ""}`).toString("base64")}`;
      }
      res = await this.fetchToken({ method: "GET", url, headers });
    }
    const text = await res.text();
    if (res.status !== 200) {
      const who = cred ? `credentials from ${cred.source}` : "anonymous access";
      throw new RegistryAuthError(`token server ${url.host} refused ${who} for ${requested.join(" ") || "the registry"}`, {
        registry: this.registry,
        status: res.status,
      });
    }
    let body: { token?: string; access_token?: string; expires_in?: number; issued_at?: string };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new RegistryAuthError(`token server ${url.host} answered something other than JSON: ${redactTokenBody(text).slice(0, 200)}`, {
        registry: this.registry,
      });
    }
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryAuthError(`token server ${url.host} answered without a token`, { registry: this.registry });
    const expiresIn = typeof body.expires_in === "number" && body.expires_in > 0 ? body.expires_in : DEFAULT_EXPIRES_IN_S;
    const issued = body.issued_at ? Date.parse(body.issued_at) : NaN;
    // Trust our clock for the start: the server's issued_at may be skewed.
    const start = Number.isNaN(issued) ? this.now() : Math.min(this.now(), Math.max(issued, this.now() - 5_000));
    return { token, refreshAt: start + expiresIn * 1000 - Math.min(EXPIRY_MARGIN_MS, (expiresIn * 1000) / 2) };
  }
}
