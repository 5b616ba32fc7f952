import { GatewayError } from '../http/errors';
import type { GatewayLogger } from '../observe/logger';
import type { AfterResponse } from '../pipeline/after-response';
import type { SpendStore } from '../store/spend';
import type { Micros } from '../usage/cost';
import { overBudget, spendPeriods, spendUnchecked, type SpendLimits, type SpendPeriod } from './spend-limits';

/** What a call holds of its key's budgets until it ends. */
export interface Reservation {
  keyId: string;
  periods: SpendPeriod[];
  micros: Micros;
}

/**
 * Holds keys to their budgets through counters every instance shares: a call holds its worst case
 * in every period its key has a limit for (one conditional write each) before it goes upstream,
 * and gives back what it did not spend when it ends (one write each).
 */
export class SpendLimiter {
  constructor(
    readonly store: SpendStore,
    readonly deps: { now: () => number; logger: GatewayLogger; later: AfterResponse },
  ) {}

  /** Holds `micros` in each of the key's periods, or throws: 429 over a budget, 503 when the counters cannot be reached. */
  async reserve(keyId: string, limits: SpendLimits, micros: Micros, requestId: string): Promise<Reservation> {
    const held: SpendPeriod[] = [];
    try {
      for (const period of spendPeriods(limits, this.deps.now())) {
        const result = await this.store.reserve(keyId, period, micros);
        if (!result.reserved) throw overBudget(period, result.used, micros);
        held.push(period);
      }
    } catch (err) {
      // A day held and its month refused (or out of reach) must not keep the day's amount.
      for (const period of held) this.#adjust(keyId, period, -micros, requestId);
      if (err instanceof GatewayError) throw err;
      this.deps.logger.error('spend limit not checked: the store failed; request refused', { requestId, keyId, error: err as Error });
      throw spendUnchecked(err);
    }
    return { keyId, periods: held, micros };
  }

  /**
   * Settles a call: what it cost replaces what it held. `spent` undefined means the cost is not
   * known (a stream cut off before its usage came): then the worst case it held stays spent.
   */
  settle(reservation: Reservation, spent: Micros | undefined, requestId: string): void {
    if (spent === undefined) return;
    for (const period of reservation.periods) this.#adjust(reservation.keyId, period, spent - reservation.micros, requestId);
  }

  #adjust(keyId: string, period: SpendPeriod, micros: Micros, requestId: string): void {
    // Lost, a give-back leaves the key charged more than it spent: never the other way round.
    this.deps.later.run(this.store.adjust(keyId, period, micros), (err) =>
      this.deps.logger.error('spend not settled: the store failed', { requestId, keyId, period: period.id, micros, error: err as Error }),
    );
  }
}
