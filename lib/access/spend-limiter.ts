import { GatewayError } from '../http/errors';
import type { GatewayLogger } from '../observe/logger';
import type { AfterResponse } from '../pipeline/after-response';
import type { SpendStore } from '../store/spend';
import type { Micros } from '../usage/cost';
import type { LimitScope } from './caller';
import { overBudget, spendPeriods, spendUnchecked, type SpendPeriod } from './spend-limits';

/** One budget counter a call holds an amount in: a scope's (key's or team's) day or month. */
export interface Hold {
  scopeId: string;
  period: SpendPeriod;
}

/** What a call holds of its key's and its team's budgets until it ends. */
export interface Reservation {
  holds: Hold[];
  micros: Micros;
}

/**
 * Holds keys, and the teams they belong to, to their budgets through counters every instance
 * shares: a call holds its worst case in every period each scope has a limit for (one
 * conditional write each) before it goes upstream, and gives back what it did not spend when it
 * ends (one write each).
 */
export class SpendLimiter {
  constructor(
    readonly store: SpendStore,
    readonly deps: { now: () => number; logger: GatewayLogger; later: AfterResponse },
  ) {}

  /**
   * Holds `micros` in each period of each scope (the key's first), or throws: 429 over a budget,
   * naming whose, 503 when the counters cannot be reached. What was held before the refusal is
   * given back.
   */
  async reserve(scopes: readonly LimitScope[], micros: Micros, requestId: string): Promise<Reservation> {
    const now = this.deps.now();
    const holds: Hold[] = [];
    try {
      for (const scope of scopes) {
        for (const period of spendPeriods(scope.limits, now)) {
          const result = await this.store.reserve(scope.id, period, micros);
          if (!result.reserved) throw overBudget(period, result.used, micros, scope.name);
          holds.push({ scopeId: scope.id, period });
        }
      }
    } catch (err) {
      // A day held and its month refused (or the key's held and its team's refused, or out of reach) must not keep what it held.
      for (const hold of holds) this.#adjust(hold, -micros, requestId);
      if (err instanceof GatewayError) throw err;
      this.deps.logger.error('spend limit not checked: the store failed; request refused', { requestId, scopes: scopes.map((s) => s.id), error: err as Error });
      throw spendUnchecked(err);
    }
    return { holds, micros };
  }

  /**
   * Settles a call: what it cost replaces what it held, in every counter it holds in. `spent`
   * undefined means the cost is not known (a stream cut off before its usage came): then the
   * worst case it held stays spent.
   */
  settle(reservation: Reservation, spent: Micros | undefined, requestId: string): void {
    if (spent === undefined) return;
    for (const hold of reservation.holds) this.#adjust(hold, spent - reservation.micros, requestId);
  }

  #adjust(hold: Hold, micros: Micros, requestId: string): void {
    // Lost, a give-back leaves the scope charged more than it spent: never the other way round.
    this.deps.later.run(this.store.adjust(hold.scopeId, hold.period, micros), (err) =>
      this.deps.logger.error('spend not settled: the store failed', { requestId, scope: hold.scopeId, period: hold.period.id, micros, error: err as Error }),
    );
  }
}
