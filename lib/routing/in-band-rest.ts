import { readQuota } from './headroom';
import { retryAfterMs } from './health';

type Headers = Readonly<Record<string, string | string[] | undefined>>;

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/**
 * The `retry-after` (whole seconds) of a rate limit an upstream reported in-band, before any of
 * its answer (a 200 whose stream opens with Anthropic's `rate_limit_error`, or an
 * OpenAI-compatible `data: {"error":{"code":"rate_limit_exceeded",…}}`), read from the headers of
 * that 200 as a 429's would be: its own `retry-after` or `retry-after-ms` (`retryAfterMs`) first;
 * else the latest reset of the quotas it reports spent (`readQuota`: remaining `0`; Anthropic's
 * `anthropic-ratelimit-*-reset` RFC 3339 times, OpenAI's `x-ratelimit-reset-*` durations), as the
 * call cannot pass before all of them have refilled. Undefined when the headers say neither: the
 * account then rests as a 429 without `retry-after` does. Set on the failure's headers, it rests
 * the account for that long and goes to the client with its 429, as a 429's own does.
 *
 * @example
 * const now = Date.parse('2026-11-27T21:00:00Z');
 * inBandRetryAfter({ 'anthropic-ratelimit-tokens-remaining': '0', 'anthropic-ratelimit-tokens-reset': '2026-11-27T21:00:20Z' }, now) // '20'
 * inBandRetryAfter({ 'retry-after': '7' }, now)                                                                                     // '7'
 * inBandRetryAfter({ 'anthropic-ratelimit-tokens-remaining': '1000' }, now)                                                         // undefined
 */
export function inBandRetryAfter(headers: Headers, nowMs: number): string | undefined {
  const said = retryAfterMs({ 'retry-after': first(headers['retry-after']), 'retry-after-ms': first(headers['retry-after-ms']) }, nowMs);
  const ms = said ?? spentUntilMs(headers, nowMs);
  return ms === undefined ? undefined : String(Math.ceil(ms / 1000));
}

/** Milliseconds until the last of the quotas the headers report spent has refilled; undefined when none is. */
function spentUntilMs(headers: Headers, nowMs: number): number | undefined {
  let until: number | undefined;
  for (const window of readQuota(headers, nowMs) ?? []) if (window.remaining === 0 && (until === undefined || window.resetsAt > until)) until = window.resetsAt;
  return until === undefined ? undefined : Math.max(0, until - nowMs);
}
