/** Why an account is cooling: what it answered. */
export type FailureKind = 'rate_limited' | 'auth' | 'error';

/** How long an account rests after a failure. */
export const COOL_DOWN = Object.freeze({
  /** A 429 without retry-after, and a server error or a dead connection, the first time; doubled for each failure in a row. */
  firstMs: 5_000,
  maxMs: 60_000,
  /** The upstream refused the gateway's credentials: rotating a secret takes minutes, not seconds. */
  authMs: 60_000,
  /** The longest a retry-after is taken at its word (a day-long quota reset must not bench an account for a day unseen). */
  maxRetryAfterMs: 300_000,
});

/** `provider/account`, the name of an account across the config. */
export const accountRef = (providerId: string, accountId: string) => `${providerId}/${accountId}`;

/**
 * A retry-after header as milliseconds: delay-seconds or an HTTP date (RFC 9110 §10.2.3); OpenAI's
 * `retry-after-ms` too. Undefined when absent or unreadable.
 */
export function retryAfterMs(headers: Readonly<Record<string, string | undefined>>, nowMs: number): number | undefined {
  const ms = headers['retry-after-ms'];
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.ceil(Number(ms));
  const value = headers['retry-after']?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/**
 * Which accounts of the pools are resting after a failure, in this instance's memory: a failed
 * account is tried after the healthy ones (not skipped: when all rest, they are still tried) until
 * its cool-down ends. Rate limits rest as long as the upstream asked; other failures rest 5 s,
 * doubling with each failure in a row up to a minute; a success ends the streak.
 */
export class AccountHealth {
  readonly #state = new Map<string, { until: number; streak: number }>();

  constructor(readonly now: () => number = Date.now) {}

  isCooling(ref: string): boolean {
    const state = this.#state.get(ref);
    return state !== undefined && state.until > this.now();
  }

  /** Records a failure and answers how long the account now rests (ms). */
  failed(ref: string, kind: FailureKind, retryAfter?: number): number {
    const streak = (this.#state.get(ref)?.streak ?? 0) + 1;
    const backoff = Math.min(COOL_DOWN.maxMs, COOL_DOWN.firstMs * 2 ** (streak - 1));
    const ms =
      kind === 'auth' ? COOL_DOWN.authMs : kind === 'rate_limited' && retryAfter !== undefined ? Math.min(Math.max(retryAfter, 1_000), COOL_DOWN.maxRetryAfterMs) : backoff;
    this.#state.set(ref, { until: this.now() + ms, streak });
    return ms;
  }

  /** Takes on a rest another instance saw, unless this one already rests the account longer. */
  adopt(ref: string, until: number): void {
    const state = this.#state.get(ref);
    if (!state) this.#state.set(ref, { until, streak: 0 });
    else if (state.until < until) state.until = until;
  }

  /** When the account's current rest ends (epoch ms), if it rests. */
  restingUntil(ref: string): number | undefined {
    const until = this.#state.get(ref)?.until;
    return until !== undefined && until > this.now() ? until : undefined;
  }

  succeeded(ref: string): void {
    this.#state.delete(ref);
  }

  /** Forgets every failure (tests that share one gateway start each case from a healthy pool). */
  clear(): void {
    this.#state.clear();
  }
}
