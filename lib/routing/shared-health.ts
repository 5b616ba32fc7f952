import type { GatewayLogger } from '../observe/logger';
import type { AfterResponse } from '../pipeline/after-response';
import type { HealthStore } from '../store/health';
import type { AccountHealth } from './health';

/** How often an instance reads the rests others recorded, at most (never while a request waits for it). */
export const HEALTH_REFRESH_MS = 10_000;

/**
 * Shares rests between instances through the table, off the request path: a rest that starts
 * here is written (not awaited); what others wrote is read at most every ten seconds, started by
 * a request but never awaited by one. So one instance's 429 spares the others theirs, and a warm
 * instance still reads nothing while it serves.
 */
export class SharedHealth {
  #lastRead = Number.NEGATIVE_INFINITY;
  #reading: Promise<void> | undefined;

  constructor(
    readonly local: AccountHealth,
    readonly store: HealthStore,
    readonly deps: { now: () => number; logger: GatewayLogger; later: AfterResponse; refreshMs?: number },
  ) {}

  /** Starts a read of others' rests when the last is old enough; returns at once. */
  refreshSoon(): void {
    if (this.#reading || this.deps.now() - this.#lastRead < (this.deps.refreshMs ?? HEALTH_REFRESH_MS)) return;
    void this.refresh();
  }

  /** Reads others' rests now (`refreshSoon` is the request path's way). */
  refresh(): Promise<void> {
    this.#lastRead = this.deps.now();
    this.#reading ??= this.store
      .read(this.deps.now())
      .then((rests) => {
        for (const rest of rests) this.local.adopt(rest.ref, rest.until);
      })
      .catch((err: unknown) => this.deps.logger.warn('resting accounts not read from the store', { error: err as Error }))
      .finally(() => (this.#reading = undefined));
    return this.#reading;
  }

  /** Tells the other instances that an account rests until `until`. */
  publish(ref: string, until: number): void {
    this.deps.later.run(this.store.publish({ ref, until }), (err) => this.deps.logger.warn('resting account not shared through the store', { ref, error: err as Error }));
  }
}
