import { GatewayError } from '../http/errors';

/** A key's (or a team's) per-minute limits; an absent one does not apply. */
export interface RateLimits {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
}

/** Which of a key's limits refused a request. */
export type RateLimitKind = 'requests' | 'tokens';

export const WINDOW_MS = 60_000;

/** The minute a moment falls in: its id (`2026-11-26T17:05`) names the counter item. */
export interface RateWindow {
  id: string;
  /** Epoch ms at which the window ends and its counts no longer apply. */
  endsAt: number;
}

export function windowAt(nowMs: number): RateWindow {
  const start = nowMs - (nowMs % WINDOW_MS);
  return { id: new Date(start).toISOString().slice(0, 16), endsAt: start + WINDOW_MS };
}

/** True when the key has a limit that a counter must enforce. */
export function hasRateLimits(limits: RateLimits | undefined): limits is RateLimits {
  return limits?.requestsPerMinute !== undefined || limits?.tokensPerMinute !== undefined;
}

/** What a window's counters say of a new request: the limit it would pass, or undefined if none. */
export function exhaustedLimit(counts: { requests?: number; tokens?: number }, limits: RateLimits): RateLimitKind | undefined {
  if (limits.requestsPerMinute !== undefined && (counts.requests ?? 0) >= limits.requestsPerMinute) return 'requests';
  if (limits.tokensPerMinute !== undefined && (counts.tokens ?? 0) >= limits.tokensPerMinute) return 'tokens';
  return undefined;
}

/**
 * The 429 for a key (or its team, `who`) over its limit: OpenAI's and Anthropic's clients retry
 * on their own after `retry-after`, so it says when the window ends. The rate-limit headers, in
 * the caller's dialect, are added by the door from the call's `RateStanding`, as on every answer.
 */
export function rateLimited(kind: RateLimitKind | undefined, limits: RateLimits, window: RateWindow, nowMs: number, who = 'this API key'): GatewayError {
  const seconds = Math.max(1, Math.ceil((window.endsAt - nowMs) / 1000));
  const limit = kind === 'tokens' ? limits.tokensPerMinute : kind === 'requests' ? limits.requestsPerMinute : undefined;
  const headers: Record<string, string> = { 'retry-after': String(seconds) };
  const what = limit === undefined ? `Rate limit reached for ${who}.` : `Rate limit reached: ${who} allows ${limit} ${kind} per minute.`;
  return new GatewayError('rate_limit', `${what} Try again in ${seconds}s.`, {
    code: kind === 'tokens' ? 'tokens_rate_limit_exceeded' : 'rate_limit_exceeded',
    headers,
  });
}
