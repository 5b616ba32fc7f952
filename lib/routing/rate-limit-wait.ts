import { first, readQuota, type Headers } from './headroom';
import { retryAfterMs } from './health';

/**
 * The `retry-after` (whole seconds, rounded up) of a rate-limited answer, from its headers: a 429,
 * or a 200 whose stream opens with a rate limit (Anthropic's `rate_limit_error`, an
 * OpenAI-compatible `data: {"error":{"code":"rate_limit_exceeded",…}}`), one rule for both. Its own
 * `retry-after` or `retry-after-ms` (`retryAfterMs`) first; else the latest reset of the quotas it
 * reports spent (`readQuota`: remaining `0`; Anthropic's `anthropic-ratelimit-*-reset` RFC 3339
 * times, OpenAI's `x-ratelimit-reset-*` durations, none believed further than 5 min), as the call
 * cannot pass before all of them have refilled; a quota whose reset is missing or unreadable (Azure
 * names none) is left out, as headroom's guess of a minute is no wait to tell. Undefined when the
 * headers say neither, or when the spent quotas' resets are already past (the quota is full again by its own word, or the clocks
 * differ: no wait it can vouch for, and a `retry-after: 0` would have the SDKs retry at once): the
 * account then rests as a 429 that names no time does. Set on the failure's headers, it rests the
 * account for that long and goes to the client with its 429, as an upstream's `retry-after` does.
 *
 * @example
 * const now = Date.parse('2026-11-27T21:00:00Z');
 * rateLimitRetryAfter({ 'anthropic-ratelimit-tokens-remaining': '0', 'anthropic-ratelimit-tokens-reset': '2026-11-27T21:00:20Z' }, now) // '20'
 * rateLimitRetryAfter({ 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '20ms' }, now)                          // '1'
 * rateLimitRetryAfter({ 'retry-after': '7' }, now)                                                                                     // '7'
 * rateLimitRetryAfter({ 'anthropic-ratelimit-tokens-remaining': '1000' }, now)                                                         // undefined
 */
export function rateLimitRetryAfter(headers: Headers, nowMs: number): string | undefined {
  const said = retryAfterMs({ 'retry-after': first(headers['retry-after']), 'retry-after-ms': first(headers['retry-after-ms']) }, nowMs);
  const ms = said ?? spentUntilMs(headers, nowMs);
  return ms === undefined ? undefined : String(Math.ceil(ms / 1000));
}

/** Milliseconds until the last of the quotas the headers report spent has refilled; undefined when none is, or all have. */
function spentUntilMs(headers: Headers, nowMs: number): number | undefined {
  let until: number | undefined;
  for (const window of readQuota(headers, nowMs) ?? []) if (window.remaining === 0 && !window.resetGuessed && (until === undefined || window.resetsAt > until)) until = window.resetsAt;
  return until === undefined || until <= nowMs ? undefined : until - nowMs;
}
