import { counterId, type SpendCounterRef } from '../access/budget-status';
import type { Micros } from '../usage/cost';
import { batchGetItems } from './batch-get';
import type { TableRef } from './dynamo';
import { alertMarkKey, spendItemKey } from './table';

/** What budgets' counters hold and which of their thresholds were announced, by `counterId`. */
export interface BudgetReadings {
  used: Map<string, Micros>;
  /** The highest threshold announced in the period; absent when none was. */
  announced: Map<string, number>;
}

/** What spend counters hold (absent: nothing spent), in one BatchGetItem per 100 counters. */
export async function readSpendCounters(table: TableRef, refs: readonly SpendCounterRef[]): Promise<Map<string, Micros>> {
  return (await readBudgets(table, refs, false)).used;
}

/**
 * Spend counters and the alert marks beside them, in the same batches: the alerts job's whole read
 * of the budgets it watches, two keys per budget, one BatchGetItem per 50 budgets.
 */
export function readBudgetsAndMarks(table: TableRef, refs: readonly SpendCounterRef[]): Promise<BudgetReadings> {
  return readBudgets(table, refs, true);
}

async function readBudgets(table: TableRef, refs: readonly SpendCounterRef[], withMarks: boolean): Promise<BudgetReadings> {
  const readings: BudgetReadings = { used: new Map(), announced: new Map() };
  if (refs.length === 0) return readings;
  const keys = refs.flatMap((r) => [spendItemKey(r.scopeId, r.periodId), ...(withMarks ? [alertMarkKey(r.scopeId, r.periodId)] : [])]);
  const items = await batchGetItems(table, keys);
  for (const ref of refs) {
    const micros = items.get(spendItemKey(ref.scopeId, ref.periodId).PK)?.micros?.N;
    if (micros !== undefined) readings.used.set(counterId(ref), Number(micros));
    const announced = items.get(alertMarkKey(ref.scopeId, ref.periodId).PK)?.announced?.N;
    if (announced !== undefined) readings.announced.set(counterId(ref), Number(announced));
  }
  return readings;
}

/** Reads what budgets' counters hold: the admin API's view of spend. */
export interface SpendReader {
  read(refs: readonly SpendCounterRef[]): Promise<Map<string, Micros>>;
}

/** A SpendReader on the table: one BatchGetItem per 100 counters. */
export function tableSpendReader(table: TableRef): SpendReader {
  return { read: (refs) => readSpendCounters(table, refs) };
}
