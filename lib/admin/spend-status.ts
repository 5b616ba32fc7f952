import type { KeyLimits } from '../access/api-key';
import { budgetCounters, budgetStatuses, type BudgetStatus } from '../access/budget-status';
import type { SpendReader } from '../store/budget-reads';

/** A key's or a team's info with where each of its budgets stands; `spend` only for those with budgets. */
export type WithSpend<T> = T & { spend?: BudgetStatus[] };

/**
 * Adds `spend` to each of `owners` that has a budget, from one read of all their counters (one
 * BatchGetItem per 100 on the table). Owners without budgets cost nothing, and a list of them no
 * read at all; without a reader (a store that keeps no counters) nothing is added.
 *
 * @example
 * await withSpend([keyInfo(record)], reader, Date.now()); // [{ …info, spend: [{ kind: 'day', periodId: '2026-11-26', … }] }]
 */
export async function withSpend<T extends { id: string; limits?: KeyLimits }>(owners: readonly T[], reader: SpendReader | undefined, nowMs: number): Promise<WithSpend<T>[]> {
  const refs = owners.flatMap((o) => budgetCounters(o.id, o.limits, nowMs));
  if (!reader || refs.length === 0) return [...owners];
  const used = await reader.read(refs);
  return owners.map((o) => {
    const spend = budgetStatuses(o.id, o.limits, nowMs, used);
    return spend.length ? { ...o, spend } : o;
  });
}

/** One owner's info with its spend. */
export async function oneWithSpend<T extends { id: string; limits?: KeyLimits }>(owner: T, reader: SpendReader | undefined, nowMs: number): Promise<WithSpend<T>> {
  return (await withSpend([owner], reader, nowMs))[0]!;
}
