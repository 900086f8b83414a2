/**
 * Secrets never reach logs: Authorization values and credential-bearing query
 * parameters (tokens, presigned-URL signatures) are replaced before printing.
 */
const secretParams = new Set([
  "token",
  "access_token",
  "refresh_token",
  "password",
  "client_secret",
  "x-amz-signature",
  "x-amz-credential",
  "x-amz-security-token",
  "signature",
  "sig",
  "x-goog-signature",
  "x-goog-credential",
]);
const secretHeaders = new Set(["authorization", "proxy-authorization", "cookie", "set-cookie", "x-registry-auth"]);

export const REDACTED = "<redacted>";

export function redactUrl(url: URL | string): string {
  const u = new URL(url.toString());
  if (u.password) u.password = REDACTED;
  if (u.username) u.username = REDACTED;
  for (const key of [...u.searchParams.keys()]) {
    if (secretParams.has(key.toLowerCase())) u.searchParams.set(key, REDACTED);
  }
  return u.toString();
}

export function redactHeaderValue(name: string, value: string): string {
  if (!secretHeaders.has(name.toLowerCase())) return value;
  const space = value.indexOf(" ");
  // Keep the scheme ("Bearer", "Basic"): it helps debugging and is not secret.
  return space > 0 && name.toLowerCase().endsWith("authorization") ? `${value.slice(0, space)} ${REDACTED}` : REDACTED;
}

export function redactHeaders(headers: Record<string, string | string[] | number | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    const s = Array.isArray(v) ? v.join(", ") : String(v);
    out[k] = redactHeaderValue(k, s);
  }
  return out;
}

/** Remove JSON fields that carry tokens from a token-server response before logging it. */
export function redactTokenBody(text: string): string {
  return text.replace(/"(token|access_token|refresh_token)"\s*:\s*"[^"]*"/g, `"$1":"${REDACTED}"`);
}
