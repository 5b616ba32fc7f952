import type { GatewayLogger } from '../observe/logger';
import type { AfterResponse } from '../pipeline/after-response';
import type { RateWindowStore } from '../store/rate-windows';
import type { ApiKeyRecord } from './api-key';
import { hasRateLimits, rateLimited, windowAt, type RateWindow } from './rate-limits';

/**
 * Holds keys to their per-minute limits through counters every instance shares. A key without
 * limits costs nothing; a key with limits costs one conditional write before its call, and one
 * more after it when it has a tokens limit (the call's tokens are known only then).
 */
export class RateLimiter {
  constructor(
    readonly store: RateWindowStore,
    readonly deps: { now: () => number; logger: GatewayLogger; later: AfterResponse },
  ) {}

  /**
   * Counts a model call against its key's limits, or throws the 429. Resolves to the window whose
   * token count the call must add to when it ends, if the key has a tokens limit.
   */
  async admit(key: ApiKeyRecord, requestId: string): Promise<RateWindow | undefined> {
    const limits = key.limits;
    if (!hasRateLimits(limits)) return undefined;
    const now = this.deps.now();
    const window = windowAt(now);
    let result;
    try {
      result = await this.store.take(key.id, window, limits);
    } catch (err) {
      // The table is out of reach: refusing every limited key's calls would turn a store hiccup
      // into an outage, so the call goes on uncounted (and the log says so).
      this.deps.logger.warn('rate limit not checked: the store failed; request admitted', { requestId, keyId: key.id, error: err as Error });
      return undefined;
    }
    if (!result.admitted) throw rateLimited(result.exhausted, limits, window, now);
    return limits.tokensPerMinute === undefined ? undefined : window;
  }

  /** Adds an ended call's tokens to its window, off the response path. */
  settle(keyId: string, window: RateWindow, tokens: number, requestId: string): void {
    if (tokens <= 0) return;
    this.deps.later.run(this.store.addTokens(keyId, window, tokens), (err) =>
      this.deps.logger.warn('tokens not counted against the rate limit: the store failed', { requestId, keyId, error: err as Error }),
    );
  }
}
