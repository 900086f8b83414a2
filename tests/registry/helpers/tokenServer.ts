/**
 * A minimal Docker token server for tests: checks Basic credentials, grants
 * the requested repository actions to the known user (pull only to anonymous
 * callers if `anonymousPull`), and returns an RS256 JWT whose header carries
 * the signing certificate as `x5c`, which the registry verifies against its
 * `rootcertbundle`. Key and self-signed cert come from the openssl CLI.
 */
import { execFileSync } from "node:child_process";
import { createSign, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";

export interface TokenServer {
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  readonly certPem: string;
  /** Every token request: its scopes and whether it authenticated. */
  readonly requests: { scopes: string[]; user: string | undefined; authorization: string | undefined }[];
  /** Token lifetime to hand out (seconds). */
  expiresIn: number;
  /** Answer with `access_token` instead of `token`. */
  useAccessTokenField: boolean;
  /** Sign the next N tokens for the wrong audience, so the registry rejects them with 401. */
  badTokens: number;
  /** Report tokens as issued this many seconds ago (`issued_at`), to make short-lived ones expire at once. */
  issuedAgo: number;
  stop(): Promise<void>;
}

function b64url(b: Buffer | string): string {
  return Buffer.from(b).toString("base64url");
}

export async function startTokenServer(opts: {
  user: string;
  password: string;
  anonymousPull?: boolean;
  /** OAuth2 refresh token accepted on POST (grant_type=refresh_token) as `user`. */
  refreshToken?: string;
}): Promise<TokenServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "nixoci-tok-"));
  const keyFile = path.join(dir, "key.pem");
  const certFile = path.join(dir, "cert.pem");
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyFile, "-out", certFile,
    "-days", "2", "-subj", "/CN=nixoci-test-token", "-sha256",
  ], { stdio: "ignore" });
  const keyPem = readFileSync(keyFile, "utf8");
  const certPem = readFileSync(certFile, "utf8");
  rmSync(dir, { recursive: true, force: true });
  const certDer = Buffer.from(certPem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64").toString("base64");
  const service = "nixoci-test-registry";
  const issuer = "nixoci-test-issuer";

  const state = { expiresIn: 300, useAccessTokenField: false, badTokens: 0, issuedAgo: 0, requests: [] as TokenServer["requests"] };
  const server = http.createServer((req, res) => {
    let form = "";
    req.on("data", (d: Buffer) => (form += d.toString()));
    req.on("end", () => answer(req, res, new URLSearchParams(form)));
  });
  const answer = (req: http.IncomingMessage, res: http.ServerResponse, form: URLSearchParams) => {
    const url = new URL(req.url!, "http://x");
    let scopes = url.searchParams.getAll("scope");
    let user: string | undefined;
    const authz = req.headers.authorization;
    if (req.method === "POST") {
      // OAuth2 refresh-token grant: scopes space-separated in one form field.
      scopes = (form.get("scope") ?? "").split(" ").filter((x) => x !== "");
      if (form.get("grant_type") !== "refresh_token" || !opts.refreshToken || form.get("refresh_token") !== opts.refreshToken) {
        res.writeHead(401, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ details: "bad refresh token" }));
        state.requests.push({ scopes, user: undefined, authorization: undefined });
        return;
      }
      user = opts.user;
    } else if (authz?.startsWith("Basic ")) {
      const [u, ...rest] = Buffer.from(authz.slice(6), "base64").toString().split(":");
      if (u !== opts.user || rest.join(":") !== opts.password) {
        res.writeHead(401, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ details: "bad credentials" }));
        state.requests.push({ scopes, user: u, authorization: authz });
        return;
      }
      user = u;
    }
    state.requests.push({ scopes, user, authorization: authz });
    const access = scopes.flatMap((s) => {
      const [type, name, actions] = s.split(":");
      if (type !== "repository" || !name || !actions) return [];
      const granted = actions.split(",").filter((a) => user !== undefined || (opts.anonymousPull && a === "pull"));
      return granted.length > 0 ? [{ type, name, actions: granted }] : [];
    });
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: "RS256", typ: "JWT", x5c: [certDer] };
    const claims = {
      iss: issuer,
      sub: user ?? "",
      aud: state.badTokens-- > 0 ? "some-other-service" : service,
      exp: now + state.expiresIn,
      nbf: now - 10,
      iat: now,
      jti: randomBytes(8).toString("hex"),
      access,
    };
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = createSign("RSA-SHA256").update(signingInput).sign(keyPem);
    const token = `${signingInput}.${b64url(signature)}`;
    res.writeHead(200, { "Content-Type": "application/json" });
    const field = state.useAccessTokenField ? "access_token" : "token";
    res.end(JSON.stringify({ [field]: token, expires_in: state.expiresIn, issued_at: new Date((now - state.issuedAgo) * 1000).toISOString() }));
  };
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certPem,
    requests: state.requests,
    get expiresIn() {
      return state.expiresIn;
    },
    set expiresIn(v: number) {
      state.expiresIn = v;
    },
    get issuedAgo() {
      return state.issuedAgo;
    },
    set issuedAgo(v: number) {
      state.issuedAgo = v;
    },
    get badTokens() {
      return state.badTokens;
    },
    set badTokens(v: number) {
      state.badTokens = v;
    },
    get useAccessTokenField() {
      return state.useAccessTokenField;
    },
    set useAccessTokenField(v: boolean) {
      state.useAccessTokenField = v;
    },
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
