import type { RateLimits } from './rate-limits';

/** One per-minute limit as a client is told of it: the limit, and what is left of it this minute. */
export interface LimitLeft {
  limit: number;
  remaining: number;
}

/**
 * Where a call leaves its caller's per-minute limits: for requests and for tokens, the scope (the
 * key or its team) with the least left, and when the minute ends. What the gateway tells clients
 * in its rate-limit headers.
 */
export interface RateStanding {
  requests?: LimitLeft;
  tokens?: LimitLeft;
  /** Epoch ms at which the minute ends and every count starts afresh. */
  resetsAt: number;
}

/** A scope's limits and its counters in the minute, as the call left them. */
export interface ScopeCounts {
  limits: RateLimits;
  requests: number;
  tokens: number;
}

/**
 * The tightest scope's numbers, per kind: of the scopes with a requests limit, the one with the
 * fewest left; the same for tokens (which may be another scope). Undefined when no scope has one.
 *
 * @example
 * rateStanding([{ limits: { requestsPerMinute: 10 }, requests: 3, tokens: 0 }], 60_000);
 * // { requests: { limit: 10, remaining: 7 }, resetsAt: 60_000 }
 */
export function rateStanding(scopes: readonly ScopeCounts[], resetsAt: number): RateStanding | undefined {
  const requests = tightest(scopes, (s) => s.limits.requestsPerMinute, (s) => s.requests);
  const tokens = tightest(scopes, (s) => s.limits.tokensPerMinute, (s) => s.tokens);
  if (!requests && !tokens) return undefined;
  return { ...(requests ? { requests } : {}), ...(tokens ? { tokens } : {}), resetsAt };
}

function tightest(scopes: readonly ScopeCounts[], limitOf: (s: ScopeCounts) => number | undefined, countOf: (s: ScopeCounts) => number): LimitLeft | undefined {
  let best: LimitLeft | undefined;
  for (const scope of scopes) {
    const limit = limitOf(scope);
    if (limit === undefined) continue;
    // Tokens are counted when calls end, so a minute can run past its limit: never less than none left.
    const remaining = Math.max(0, limit - countOf(scope));
    if (!best || remaining < best.remaining || (remaining === best.remaining && limit < best.limit)) best = { limit, remaining };
  }
  return best;
}
