import type { StoredUsage } from '../store/usage';

/** What one key spent on one model in one UTC day. */
export interface UsageTotals {
  requests: number;
  /** Requests answered with a status of 400 or more (refusals included). */
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  /** Micro-dollars (1e-6 USD) of the requests that had a price. */
  costMicros: number;
  /** Requests answered by a target without a price: their cost is not in `costMicros`. */
  unpriced: number;
}

const ZERO: Readonly<UsageTotals> = Object.freeze({ requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, costMicros: 0, unpriced: 0 });

const num = (row: StoredUsage, name: string): number => (typeof row[name] === 'number' ? (row[name] as number) : 0);

/**
 * Usage records, summed per model (the name the client asked for).
 *
 * @example
 * totalsByModel([{ model: 'gpt-4o', status: 200, inputTokens: 10, outputTokens: 2, costMicros: 35 }])
 * // { 'gpt-4o': { requests: 1, errors: 0, inputTokens: 10, outputTokens: 2, …, costMicros: 35, unpriced: 0 } }
 */
export function totalsByModel(rows: Iterable<StoredUsage>): Record<string, UsageTotals> {
  const byModel: Record<string, UsageTotals> = {};
  for (const row of rows) {
    const model = typeof row.model === 'string' ? row.model : '';
    const t = (byModel[model] ??= { ...ZERO });
    t.requests++;
    if (num(row, 'status') >= 400) t.errors++;
    t.inputTokens += num(row, 'inputTokens');
    t.outputTokens += num(row, 'outputTokens');
    t.cacheReadTokens += num(row, 'cacheReadTokens');
    t.cacheWriteTokens += num(row, 'cacheWriteTokens');
    t.reasoningTokens += num(row, 'reasoningTokens');
    if (typeof row.costMicros === 'number') t.costMicros += row.costMicros;
    // A call served by a target without a price has tokens and no cost; refusals and failures have neither.
    else if (num(row, 'attempts') > 0 && num(row, 'status') < 400) t.unpriced++;
  }
  return byModel;
}

/** Totals added up (over models, days or keys). */
export function sumTotals(all: Iterable<UsageTotals>): UsageTotals {
  const sum = { ...ZERO };
  for (const t of all) for (const k of Object.keys(sum) as (keyof UsageTotals)[]) sum[k] += t[k];
  return sum;
}
