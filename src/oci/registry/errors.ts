import { NixociError } from "../../errors.js";

/** One entry of the distribution spec's error body `{"errors":[{code,message,detail}]}`. */
export interface RegistryErrorCode {
  readonly code: string;
  readonly message?: string;
  readonly detail?: unknown;
}

export interface RegistryErrorContext {
  readonly registry: string;
  readonly repository?: string;
  readonly status?: number;
  readonly method?: string;
  /** Request path with secrets removed. */
  readonly path?: string;
  readonly codes?: readonly RegistryErrorCode[];
  /** The registry's Retry-After, in ms, when it sent one. */
  readonly retryAfterMs?: number;
  readonly cause?: unknown;
}

/** A registry refused or failed an operation; carries where, what and why. */
export class RegistryError extends NixociError {
  readonly registry: string;
  readonly repository?: string;
  readonly status?: number;
  readonly codes: readonly RegistryErrorCode[];
  readonly retryAfterMs?: number;

  constructor(what: string, ctx: RegistryErrorContext) {
    const where = ctx.repository ? `${ctx.registry}/${ctx.repository}` : ctx.registry;
    const parts = [`${what} (${where}`];
    if (ctx.method && ctx.path) parts.push(`: ${ctx.method} ${ctx.path}`);
    if (ctx.status !== undefined) parts.push(` → HTTP ${ctx.status}`);
    parts.push(")");
    const codes = ctx.codes ?? [];
    if (codes.length > 0) {
      parts.push(": " + codes.map((c) => (c.message ? `${c.code}: ${c.message}` : c.code)).join("; "));
    }
    super(parts.join(""), ctx.cause !== undefined ? { cause: ctx.cause } : undefined);
    this.registry = ctx.registry;
    if (ctx.repository !== undefined) this.repository = ctx.repository;
    if (ctx.status !== undefined) this.status = ctx.status;
    this.codes = codes;
    if (ctx.retryAfterMs !== undefined) this.retryAfterMs = ctx.retryAfterMs;
  }
}

/** Credentials missing or rejected. */
export class RegistryAuthError extends RegistryError {}

/** Parse a distribution error body; anything else yields no codes. */
export function parseErrorBody(text: string): RegistryErrorCode[] {
  try {
    const body = JSON.parse(text) as { errors?: unknown };
    if (!Array.isArray(body.errors)) return [];
    return body.errors
      .filter((e): e is { code: unknown; message?: unknown; detail?: unknown } => typeof e === "object" && e !== null)
      .map((e) => ({
        code: String(e.code ?? "UNKNOWN"),
        ...(typeof e.message === "string" ? { message: e.message } : {}),
        ...(e.detail !== undefined ? { detail: e.detail } : {}),
      }));
  } catch {
    return [];
  }
}
