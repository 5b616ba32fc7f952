import type { RateStanding } from '../access/rate-standing';

/** Whose header names a client reads its limits from; Gemini's API sends none, so its clients get none. */
export type RateHeaderDialect = 'openai' | 'anthropic';

/**
 * The rate-limit headers of a call in its caller's dialect: OpenAI's `x-ratelimit-{limit,
 * remaining,reset}-{requests,tokens}` (reset as a duration, `12s`) or Anthropic's
 * `anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}` (reset as an RFC 3339 time).
 *
 * @example
 * rateLimitHeaders('openai', { requests: { limit: 60, remaining: 59 }, resetsAt: 120_000 }, 108_000);
 * // { 'x-ratelimit-limit-requests': '60', 'x-ratelimit-remaining-requests': '59', 'x-ratelimit-reset-requests': '12s' }
 */
export function rateLimitHeaders(dialect: RateHeaderDialect, standing: RateStanding, nowMs: number): Record<string, string> {
  const headers: Record<string, string> = {};
  const reset = dialect === 'openai' ? `${Math.max(0, Math.ceil((standing.resetsAt - nowMs) / 1000))}s` : rfc3339(standing.resetsAt);
  for (const kind of ['requests', 'tokens'] as const) {
    const left = standing[kind];
    if (!left) continue;
    if (dialect === 'openai') {
      headers[`x-ratelimit-limit-${kind}`] = String(left.limit);
      headers[`x-ratelimit-remaining-${kind}`] = String(left.remaining);
      headers[`x-ratelimit-reset-${kind}`] = reset;
    } else {
      headers[`anthropic-ratelimit-${kind}-limit`] = String(left.limit);
      headers[`anthropic-ratelimit-${kind}-remaining`] = String(left.remaining);
      headers[`anthropic-ratelimit-${kind}-reset`] = reset;
    }
  }
  return headers;
}

/** `2026-11-26T20:23:00Z`: Anthropic's form, whole seconds (a minute's end has no fraction). */
const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
