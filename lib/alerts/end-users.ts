import { echoedEndUser } from '../access/end-user';
import type { LimitScope } from '../access/caller';
import type { SpendPeriod } from '../access/spend-limits';
import type { GatewayLogger } from '../observe/logger';
import { claimThresholdOver, keepPendingAlert, releaseThreshold } from '../store/alert-marks';
import type { TableRef } from '../store/dynamo';
import type { Micros } from '../usage/cost';
import type { BudgetAlert } from './message';
import type { BudgetNotifier } from './notifier';
import { crossedThreshold } from './thresholds';

/*
 * Budget alerts for end users, from the request path: the scheduled job cannot list end users
 * (each has counters of its own, under a digest of its id), so the gateway checks the totals its
 * own spend writes hand back, and only the call whose write took a counter past a threshold
 * writes a claim and notifies, after the answer.
 */

/** One end user's budget counter a call held an amount in. */
export interface EndUserHold {
  scopeId: string;
  period: SpendPeriod;
  endUser: NonNullable<LimitScope['endUser']>;
}

/** What one call did to an end user's counter: its hold (and the total after it), and its settlement's write, if one was made. */
export interface EndUserSpend {
  held: { micros: Micros; total: Micros };
  /** The settlement's write: what it added (negative: gave back) and the total after it; undefined when nothing was written (the hold stays spent as it was). */
  settled?: { added: Micros; total: Micros };
}

export interface EndUserAlertsDeps {
  table: TableRef;
  notifier: BudgetNotifier;
  /** The config's `alerts.budgetThresholds`. */
  thresholds: readonly number[];
  logger: Pick<GatewayLogger, 'error'>;
  /** The clock retries are spaced by (the gateway's; tests move it). Default `Date.now`. */
  now?: () => number;
}

/** How many thresholds an instance keeps to try again when the store failed them (the oldest go first). */
const RETRIES_KEPT = 1_000;
/**
 * How long after a failure a threshold is tried again: the calls of an end user in between pay
 * nothing, where a topic that is down (or a publish SNS refuses every time) would otherwise cost
 * each of them a claim, a publish (up to its timeout, which the invocation waits for) and a release.
 */
export const RETRY_AFTER_MS = 60_000;

/**
 * Announces a threshold of an end user's budget once per period, when a call's spend takes the
 * end user's counter past it. Which call: the one whose hold took the counter past the threshold,
 * once it has settled and the counter is still past it (a hold of a worst case that was not spent
 * announces nothing), or one whose settlement added to the counter past it. That call claims the
 * threshold with the mark the scheduled job uses (`ALERT#<scope>#<period>`, one conditional
 * update: of any number of calls and instances, one wins), then notifies. A notification that fails
 * is logged and kept on the mark for the scheduled job to send (`keepPendingAlert`); if the store
 * fails too, the claim is given back and the next call of that end user on this instance that adds
 * spend a minute or more later tries again. Never throws: it runs after the answer and must not touch the client's call.
 *
 * @example
 * const alerts = new EndUserBudgetAlerts({ table, notifier: new LogNotifier(logger), thresholds: [0.8, 1], logger });
 * await alerts.afterSettle(hold, { held: { micros: 50_000, total: 820_000 }, settled: { added: -30_000, total: 790_000 } });
 */
export class EndUserBudgetAlerts {
  readonly deps: EndUserAlertsDeps;
  /** Thresholds the store failed (their claim, or keeping a failed notification for the job), by counter (`<scope>#<period>`): tried again by the next call that adds spend from `after` on. */
  readonly #retry = new Map<string, { threshold: number; after: number }>();

  constructor(deps: EndUserAlertsDeps) {
    this.deps = deps;
  }

  /**
   * Checks one end user's counter after a call settled (or kept its hold as spent): undefined when
   * no threshold is due (nearly every call: no promise, no write), else the announcement of the
   * highest one due, which never rejects.
   */
  afterSettle(hold: EndUserHold, spend: EndUserSpend): Promise<void> | undefined {
    const threshold = this.#due(hold, spend);
    return threshold === undefined ? undefined : this.#announce(hold, spend, threshold);
  }

  async #announce(hold: EndUserHold, spend: EndUserSpend, threshold: number): Promise<void> {
    const used = spend.settled?.total ?? spend.held.total;
    const counter = `${hold.scopeId}#${hold.period.id}`;
    const ref = { scopeId: hold.scopeId, periodId: hold.period.id };
    let claim: Awaited<ReturnType<typeof claimThresholdOver>>;
    try {
      claim = await claimThresholdOver(this.deps.table, ref, threshold, new Date(hold.period.endsAt));
    } catch (err) {
      this.#keepForRetry(counter, threshold);
      this.deps.logger.error('end-user budget alert not claimed: the store failed; the next call of this end user tries again', { scope: hold.scopeId, period: hold.period.id, threshold, error: err as Error });
      return;
    }
    this.#retry.delete(counter);
    // Lost to another call or instance: that one announces it (or announced a higher one).
    if (!claim.claimed) return;
    const alert = alertOf(hold, threshold, used);
    try {
      await this.deps.notifier.notify(alert);
    } catch (err) {
      const where = { scope: hold.scopeId, period: hold.period.id, threshold };
      // Kept on the claimed mark for the scheduled job, which sends it whether or not this end user
      // calls again and this instance lives on; only if the store fails too is it given back, for
      // this instance's next call of the end user to try.
      const kept = await keepPendingAlert(this.deps.table, ref, threshold, JSON.stringify(alert)).catch(() => false);
      if (kept) {
        this.deps.logger.error('end-user budget alert could not be sent; it is kept for the scheduled budget-alerts job to send', { ...where, error: err as Error });
        return;
      }
      this.#keepForRetry(counter, threshold);
      this.deps.logger.error('end-user budget alert could not be sent nor kept for the job; its claim is given back and the next call of this end user tries again', { ...where, error: err as Error });
      await releaseThreshold(this.deps.table, ref, threshold, claim.previous).catch((releaseErr: unknown) =>
        this.deps.logger.error('end-user budget alert claim not given back: the store failed; that threshold is not announced this period', { ...where, error: releaseErr as Error }),
      );
    }
  }

  /** The highest threshold this call is to announce, or undefined: most calls, with no claim written. */
  #due(hold: EndUserHold, spend: EndUserSpend): number | undefined {
    const { limit } = hold.period;
    const { thresholds } = this.deps;
    const now = spend.settled?.total ?? spend.held.total;
    // The hold crossed it, and what the call really cost leaves the counter past it still: of the
    // lines the hold crossed, the highest still reached (a worst case past 100 % that settles at
    // 85 % is the 80 % alert, which no later call crosses again).
    const before = spend.held.total - spend.held.micros;
    const reached = Math.min(spend.held.total, now);
    let due = crossedThreshold(reached, reached - before, limit, thresholds);
    // The settlement crossed it (a call that cost more than it held).
    const bySettlement = spend.settled && crossedThreshold(spend.settled.total, spend.settled.added, limit, thresholds);
    if (bySettlement !== undefined && (due === undefined || bySettlement > due)) due = bySettlement;
    // One given back after a failed notification, still reached.
    const kept = this.#retry.size > 0 ? this.#retry.get(`${hold.scopeId}#${hold.period.id}`) : undefined;
    const retry = kept && this.#now() >= kept.after ? kept.threshold : undefined;
    if (retry !== undefined && now >= retry * limit && (due === undefined || retry > due)) due = retry;
    return due;
  }

  #keepForRetry(counter: string, threshold: number): void {
    const kept = this.#retry.get(counter);
    // Deleted and set again, so that the Map's order stays oldest first.
    this.#retry.delete(counter);
    if (this.#retry.size >= RETRIES_KEPT) this.#retry.delete(this.#retry.keys().next().value!);
    this.#retry.set(counter, { threshold: Math.max(threshold, kept?.threshold ?? 0), after: this.#now() + RETRY_AFTER_MS });
  }

  #now(): number {
    return (this.deps.now ?? Date.now)();
  }
}

/** The alert a notifier delivers: the owner whose end-user limits these are, the end user as sent (cut), and the end user's own budget. */
function alertOf(hold: EndUserHold, threshold: number, usedMicros: Micros): BudgetAlert {
  const { period } = hold;
  return {
    owner: hold.endUser.owner,
    endUser: hold.endUser.id === undefined ? {} : { id: echoedEndUser(hold.endUser.id) },
    threshold,
    budget: { kind: period.kind, periodId: period.id, limitMicros: period.limit, usedMicros, fraction: period.limit > 0 ? usedMicros / period.limit : 1, resetsAt: new Date(period.endsAt).toISOString() },
  };
}
