import type { EndUserBudgetAlerts } from '../alerts/end-users';
import type { GatewayLogger } from '../observe/logger';
import type { AfterResponse } from '../pipeline/after-response';
import type { SpendStore } from '../store/spend';
import type { Micros } from '../usage/cost';
import type { LimitScope } from './caller';
import { overBudget, spendPeriods, spendUnchecked, type SpendPeriod } from './spend-limits';

/** One budget counter a call holds an amount in: a scope's (key's, team's or end user's) day or month. */
export interface Hold {
  scopeId: string;
  period: SpendPeriod;
  /** An end user's counter watched for budget alerts: who it is, and the total the hold took it to. */
  watched?: { endUser: NonNullable<LimitScope['endUser']>; total: Micros };
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
    readonly deps: { now: () => number; logger: GatewayLogger; later: AfterResponse; endUserAlerts?: Pick<EndUserBudgetAlerts, 'afterSettle'> },
  ) {}

  /**
   * Holds `micros` in each period of each scope, all at once (one round trip to the table, not
   * one per counter), or throws: 429 over a budget, naming whose (the key's before its team's,
   * the day before the month), 503 when the counters cannot be reached. What was held in the
   * counters that did not refuse is given back.
   */
  async reserve(scopes: readonly LimitScope[], micros: Micros, requestId: string): Promise<Reservation> {
    const now = this.deps.now();
    const wanted = scopes.flatMap((scope) => spendPeriods(scope.limits, now).map((period) => ({ scope, hold: { scopeId: scope.id, period } })));
    const results = await Promise.allSettled(wanted.map(({ hold }) => this.store.reserve(hold.scopeId, hold.period, micros)));
    const holds: Hold[] = [];
    let refused: { at: number; used: Micros | undefined } | undefined;
    let failure: unknown;
    results.forEach((result, at) => {
      if (result.status === 'rejected') failure ??= result.reason;
      else if (result.value.reserved) holds.push(this.#watched(wanted[at]!, result.value.total));
      else refused ??= { at, used: result.value.used };
    });
    if (!refused && failure === undefined) return { holds, micros };
    // A day held and its month refused (or the key's held and its team's refused, or out of reach) must not keep what it held.
    for (const hold of holds) this.#adjust(hold, -micros, requestId);
    if (refused) {
      const { scope, hold } = wanted[refused.at]!;
      throw overBudget(hold.period, refused.used, micros, scope.name);
    }
    this.deps.logger.error('spend limit not checked: the store failed; request refused', { requestId, scopes: scopes.map((s) => s.id), error: failure as Error });
    throw spendUnchecked(failure);
  }

  /** Gives back everything a call holds: it was refused by another limit before it went upstream. */
  release(reservation: Reservation, requestId: string): void {
    for (const hold of reservation.holds) this.#adjust(hold, -reservation.micros, requestId);
  }

  /**
   * Settles a call: what it cost replaces what it held, in every counter it holds in. `spent`
   * undefined means the cost is not known (a stream cut off before its usage came): then the
   * worst case it held stays spent.
   */
  settle(reservation: Reservation, spent: Micros | undefined, requestId: string): void {
    const change = spent === undefined ? 0 : spent - reservation.micros;
    for (const hold of reservation.holds) {
      if (change !== 0) this.#adjust(hold, change, requestId, reservation.micros);
      // Nothing to write (the worst case stays spent, or was the cost): an end user's counter stands where the hold took it.
      else if (hold.watched) this.#checkEndUser(hold, reservation.micros, undefined);
    }
  }

  /** A hold, with what end users' budget alerts need to see it (only when they are on, and only for an end user's scope). */
  #watched({ scope, hold }: { scope: LimitScope; hold: Hold }, total: Micros): Hold {
    // The hold was made for this call alone (in `reserve`): set in place rather than copied.
    if (scope.endUser && this.deps.endUserAlerts) hold.watched = { endUser: scope.endUser, total };
    return hold;
  }

  #adjust(hold: Hold, micros: Micros, requestId: string, heldMicros?: Micros): void {
    const write = this.store.adjust(hold.scopeId, hold.period, micros);
    // Lost, a give-back leaves the scope charged more than it spent: never the other way round.
    const onError = (err: unknown) => this.deps.logger.error('spend not settled: the store failed', { requestId, scope: hold.scopeId, period: hold.period.id, micros, error: err as Error });
    if (!hold.watched || heldMicros === undefined) return this.deps.later.run(write, onError);
    // A settlement of a watched end user: the total the write hands back says whether a threshold was crossed.
    this.deps.later.run(
      write.then((total) => this.#checkEndUser(hold, heldMicros, total === undefined ? undefined : { added: micros, total })),
      onError,
    );
  }

  /** Hands an end user's counter to its budget alerts, after the answer like the settlement (`drain` waits for both). */
  #checkEndUser(hold: Hold, heldMicros: Micros, settled: { added: Micros; total: Micros } | undefined): void {
    const { watched } = hold;
    if (!watched || !this.deps.endUserAlerts) return;
    const check = this.deps.endUserAlerts.afterSettle(
      { scopeId: hold.scopeId, period: hold.period, endUser: watched.endUser },
      { held: { micros: heldMicros, total: watched.total }, ...(settled ? { settled } : {}) },
    );
    // Nearly always nothing is due: no promise to track.
    if (check) this.deps.later.run(check, (err) => this.deps.logger.error('end-user budget alert not checked', { scope: hold.scopeId, period: hold.period.id, error: err as Error }));
  }
}
