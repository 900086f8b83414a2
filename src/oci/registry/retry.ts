/**
 * When and how long to wait before trying a registry request again: 408, 429
 * and 5xx answers and dropped connections are retried with exponential backoff
 * and jitter, honouring Retry-After; one budget is shared by a whole push/pull
 * so a sick registry fails the command instead of retrying forever.
 */

export interface RetryOptions {
  /** Attempts per request, first one included (default 5). */
  readonly attempts?: number;
  /** Retries allowed across the whole operation (default 50). */
  readonly budget?: number;
  /** First backoff in ms (default 200), doubled per attempt. */
  readonly baseDelayMs?: number;
  /** Longest wait in ms, also caps Retry-After (default 30 s). */
  readonly maxDelayMs?: number;
  /** Injected for tests; defaults to setTimeout. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUS.has(status) || (status >= 500 && status !== 501 && status !== 505);
}

/**
 * Retry-After is either delta-seconds or an HTTP date. Returns ms to wait, or
 * undefined when absent/unparseable.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

export class RetryPolicy {
  readonly attempts: number;
  private remaining: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly sleepFn: (ms: number) => Promise<void>;
  /** Retries taken so far (all requests). */
  retries = 0;

  constructor(opts: RetryOptions = {}) {
    this.attempts = opts.attempts ?? 5;
    this.remaining = opts.budget ?? 50;
    this.baseDelayMs = opts.baseDelayMs ?? 200;
    this.maxDelayMs = opts.maxDelayMs ?? 30_000;
    this.sleepFn = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** May attempt number `attempt` (1-based, the one that just failed) be followed by another? */
  canRetry(attempt: number): boolean {
    return attempt < this.attempts && this.remaining > 0;
  }

  get budgetLeft(): number {
    return this.remaining;
  }

  /** Spend one retry and wait: Retry-After if given (capped), else exponential backoff with jitter. */
  async backoff(attempt: number, retryAfterMs?: number): Promise<void> {
    this.remaining--;
    this.retries++;
    const exp = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
    const delay = retryAfterMs !== undefined ? Math.min(this.maxDelayMs, retryAfterMs) : exp / 2 + Math.random() * (exp / 2);
    await this.sleepFn(delay);
  }
}
