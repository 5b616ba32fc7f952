import type { Micros } from '../usage/cost';
import type { KeyLimits } from './api-key';
import { spendPeriods, type SpendPeriod } from './spend-limits';

/** Where one budget of a key or a team stands: what the admin API shows and what budget alerts compare. */
export interface BudgetStatus {
  kind: SpendPeriod['kind'];
  /** The counter's period: `2026-11-26` (UTC day) or `2026-11` (UTC month). */
  periodId: string;
  limitMicros: Micros;
  /** Spent, plus what calls in progress hold (their worst case, until they settle). */
  usedMicros: Micros;
  /** usedMicros / limitMicros: 1 or more means the budget is used up. */
  fraction: number;
  /** When the period ends and the budget starts afresh (ISO time). */
  resetsAt: string;
}

/** The counter one budget reads: `SPEND#<scope>#<period>`. */
export interface SpendCounterRef {
  scopeId: string;
  periodId: string;
}

export const counterId = (ref: SpendCounterRef) => `${ref.scopeId}#${ref.periodId}`;

/**
 * The counters a scope's budgets read now, day first; none for a scope without budgets (which
 * therefore costs no read).
 */
export function budgetCounters(scopeId: string, limits: KeyLimits | undefined, nowMs: number): SpendCounterRef[] {
  return limits ? spendPeriods(limits, nowMs).map((p) => ({ scopeId, periodId: p.id })) : [];
}

/**
 * Each budget of a scope, with what its counter holds (`used`, keyed by `counterId`; a counter
 * not there is 0: nothing spent yet this period).
 *
 * @example
 * budgetStatuses('key_1', { usdPerDay: 5 }, Date.parse('2026-11-26T12:00:00Z'), new Map([['key_1#2026-11-26', 3_200_000]]));
 * // [{ kind: 'day', periodId: '2026-11-26', limitMicros: 5_000_000, usedMicros: 3_200_000, fraction: 0.64, resetsAt: '2026-11-27T00:00:00.000Z' }]
 */
export function budgetStatuses(scopeId: string, limits: KeyLimits | undefined, nowMs: number, used: ReadonlyMap<string, Micros>): BudgetStatus[] {
  if (!limits) return [];
  return spendPeriods(limits, nowMs).map((p) => {
    const usedMicros = used.get(counterId({ scopeId, periodId: p.id })) ?? 0;
    return { kind: p.kind, periodId: p.id, limitMicros: p.limit, usedMicros, fraction: p.limit > 0 ? usedMicros / p.limit : 1, resetsAt: new Date(p.endsAt).toISOString() };
  });
}

/** The budget nearest its limit (the day's on a tie: it runs out first), or undefined for none. */
export function tightestBudget(statuses: readonly BudgetStatus[]): BudgetStatus | undefined {
  return statuses.reduce<BudgetStatus | undefined>((tightest, s) => (tightest === undefined || s.fraction > tightest.fraction ? s : tightest), undefined);
}
