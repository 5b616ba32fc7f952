import type { GatewayLogger } from '../observe/logger';
import type { AfterResponse } from '../pipeline/after-response';
import type { RateWindowStore, TakeResult } from '../store/rate-windows';
import type { LimitScope } from './caller';
import { rateLimited, windowAt, type RateWindow } from './rate-limits';
import { rateStanding, type RateStanding, type ScopeCounts } from './rate-standing';

/** What an admitted call leaves in the minute's counters: the scopes whose tokens limit its tokens must be added to when it ends. */
export interface RateHold {
  window: RateWindow;
  /** Ids of the scopes (key, team) with a tokens-per-minute limit. */
  tokenScopes: string[];
}

/**
 * Holds keys, and the teams they belong to, to their per-minute limits through counters every
 * instance shares. A scope without limits costs nothing; each scope with limits costs one
 * conditional write before the call, and one more after it when it has a tokens limit (the
 * call's tokens are known only then).
 */
export class RateLimiter {
  constructor(
    readonly store: RateWindowStore,
    readonly deps: { now: () => number; logger: GatewayLogger; later: AfterResponse },
  ) {}

  /**
   * Counts a model call in each scope's minute, all at once (one round trip to the table, not one
   * per scope), or throws the 429 of the first scope that refuses it (the key's before its
   * team's), naming that scope; the places the call took in the other scopes are given back.
   * Resolves to what the call must add its tokens to when it ends, if any scope has a tokens limit.
   * `told`, when given, is told where the call leaves the limits (admitted or refused), from the
   * counts the same writes returned, for the rate-limit headers of its answer.
   */
  async admit(scopes: readonly LimitScope[], requestId: string, told?: { rateStanding?: RateStanding }): Promise<RateHold | undefined> {
    const now = this.deps.now();
    const window = windowAt(now);
    const results = await Promise.allSettled(scopes.map((scope) => this.store.take(scope.id, window, scope.limits)));
    const taken: LimitScope[] = [];
    let refused: { scope: LimitScope; exhausted: Parameters<typeof rateLimited>[0] } | undefined;
    results.forEach((result, i) => {
      const scope = scopes[i]!;
      if (result.status === 'rejected') {
        // The table is out of reach: refusing every limited key's calls would turn a store hiccup
        // into an outage, so the call goes on uncounted in this scope (and the log says so).
        this.deps.logger.warn('rate limit not checked: the store failed; request admitted', { requestId, scope: scope.id, error: result.reason as Error });
      } else if (result.value.admitted) taken.push(scope);
      else refused ??= { scope, exhausted: result.value.exhausted };
    });
    if (told) {
      const standing = rateStanding(countsLeft(scopes, results, refused !== undefined), window.endsAt);
      if (standing) told.rateStanding = standing;
    }
    if (refused) {
      for (const scope of taken) this.#giveBack(scope.id, window, requestId);
      throw rateLimited(refused.exhausted, refused.scope.limits, window, now, refused.scope.name);
    }
    const tokenScopes = taken.filter((scope) => scope.limits.tokensPerMinute !== undefined).map((scope) => scope.id);
    return tokenScopes.length ? { window, tokenScopes } : undefined;
  }

  /** Adds an ended call's tokens to its window in every scope with a tokens limit, off the response path. */
  settle(hold: RateHold, tokens: number, requestId: string): void {
    if (tokens <= 0) return;
    for (const scope of hold.tokenScopes) {
      this.deps.later.run(this.store.addTokens(scope, hold.window, tokens), (err) =>
        this.deps.logger.warn('tokens not counted against the rate limit: the store failed', { requestId, scope, error: err as Error }),
      );
    }
  }

  /** A place taken in a scope that a later scope refused: lost, it only makes that minute stricter. */
  #giveBack(scope: string, window: RateWindow, requestId: string): void {
    this.deps.later.run(this.store.giveBack(scope, window), (err) =>
      this.deps.logger.warn('rate limit place not given back: the store failed', { requestId, scope, error: err as Error }),
    );
  }
}

/**
 * Each scope's counts as the call leaves them: a refused call's places are given back, so they
 * are not counted where it was admitted. Scopes the store could not count are left out.
 */
function countsLeft(scopes: readonly LimitScope[], results: readonly PromiseSettledResult<TakeResult>[], refused: boolean): ScopeCounts[] {
  const counts: ScopeCounts[] = [];
  results.forEach((result, i) => {
    if (result.status === 'rejected') return;
    const { admitted, counts: c } = result.value;
    counts.push({ limits: scopes[i]!.limits, requests: refused && admitted ? c.requests - 1 : c.requests, tokens: c.tokens });
  });
  return counts;
}
