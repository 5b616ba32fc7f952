/**
 * An upstream account's rate limits as the fakes keep them: requests and tokens per window, spent by
 * each call, full again when the window ends, reported in the provider's own headers (OpenAI's
 * `x-ratelimit-*` with the reset as a duration, Anthropic's `anthropic-ratelimit-*` with the reset as
 * an RFC 3339 time), and refused with a 429 once spent, as the real APIs do.
 *
 * @example
 * const upstream = await startFakeOpenAI({ quota: { requests: 10, tokens: 10_000 } });
 * upstream.quota!.set({ requests: 1 }); // one call left this minute: the next answer says 0, the one after is a 429
 */
export interface FakeQuotaOptions {
  /** Requests per window. */
  requests: number;
  /** Tokens per window (a call spends its prompt's estimate, as the real APIs reserve it up front). */
  tokens: number;
  /** How long a window lasts; 60 s (the real limits are per minute). */
  windowMs?: number;
  /** The fake's clock (tests move it on to pass a reset); `Date.now` by default. */
  now?: () => number;
}

/** What is left of one kind, of how much, until when (epoch ms). */
interface Left {
  limit: number;
  remaining: number;
}

export class FakeQuota {
  readonly #options: Required<FakeQuotaOptions>;
  #requests: Left;
  #tokens: Left;
  /** When the current window ends (epoch ms): both kinds are full again then. */
  #endsAt: number;

  constructor(options: FakeQuotaOptions) {
    this.#options = { windowMs: 60_000, now: Date.now, ...options };
    this.#requests = { limit: options.requests, remaining: options.requests };
    this.#tokens = { limit: options.tokens, remaining: options.tokens };
    this.#endsAt = this.#options.now() + this.#options.windowMs;
  }

  /** Sets what is left of this window (a test starts an account part-spent). */
  set(left: { requests?: number; tokens?: number }): void {
    this.#refill();
    if (left.requests !== undefined) this.#requests.remaining = left.requests;
    if (left.tokens !== undefined) this.#tokens.remaining = left.tokens;
  }

  /** Spends one request and `tokens` tokens; false (nothing spent) when either is used up: the call gets a 429. */
  take(tokens: number): boolean {
    this.#refill();
    if (this.#requests.remaining < 1 || this.#tokens.remaining < tokens) return false;
    this.#requests.remaining--;
    this.#tokens.remaining -= tokens;
    return true;
  }

  /** Whole seconds until the window ends (a 429's retry-after). */
  retryAfterSeconds(): number {
    return Math.max(1, Math.ceil((this.#endsAt - this.#options.now()) / 1000));
  }

  /** What is left, in the provider's headers. */
  headers(dialect: 'openai' | 'anthropic'): Record<string, string> {
    this.#refill();
    const kinds = [
      ['requests', this.#requests],
      ['tokens', this.#tokens],
    ] as const;
    const out: Record<string, string> = {};
    const untilMs = Math.max(0, this.#endsAt - this.#options.now());
    for (const [kind, left] of kinds) {
      if (dialect === 'openai') {
        out[`x-ratelimit-limit-${kind}`] = String(left.limit);
        out[`x-ratelimit-remaining-${kind}`] = String(left.remaining);
        out[`x-ratelimit-reset-${kind}`] = goDuration(untilMs);
      } else {
        out[`anthropic-ratelimit-${kind}-limit`] = String(left.limit);
        out[`anthropic-ratelimit-${kind}-remaining`] = String(left.remaining);
        out[`anthropic-ratelimit-${kind}-reset`] = new Date(Math.ceil(this.#endsAt / 1000) * 1000).toISOString().replace(/\.000Z$/, 'Z');
      }
    }
    if (dialect === 'anthropic') {
      // Anthropic reports input and output tokens apart as well; the fake spends only input.
      out['anthropic-ratelimit-input-tokens-limit'] = String(this.#tokens.limit);
      out['anthropic-ratelimit-input-tokens-remaining'] = String(this.#tokens.remaining);
      out['anthropic-ratelimit-input-tokens-reset'] = out['anthropic-ratelimit-tokens-reset']!;
    }
    return out;
  }

  #refill(): void {
    const now = this.#options.now();
    if (now < this.#endsAt) return;
    this.#requests.remaining = this.#requests.limit;
    this.#tokens.remaining = this.#tokens.limit;
    this.#endsAt = now + this.#options.windowMs;
  }
}

/** Milliseconds as OpenAI writes a reset: `20ms` under a second, else `6m0s`, `1.5s`. */
function goDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms - minutes * 60_000) / 100) / 10;
  return minutes ? `${minutes}m${seconds}s` : `${seconds}s`;
}
