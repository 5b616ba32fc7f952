import type { SpendCounterRef } from '../access/budget-status';
import type { SpendReader } from '../store/budget-reads';
import { withSpend } from './spend-status';

const NOW = Date.parse('2026-11-26T12:00:00Z');

/** Answers from a fixed map and remembers each read it was asked for. */
function reader(used: Record<string, number>): SpendReader & { reads: SpendCounterRef[][] } {
  const reads: SpendCounterRef[][] = [];
  return { reads, read: async (refs) => (reads.push([...refs]), new Map(Object.entries(used))) };
}

describe('withSpend', () => {
  it('adds each budget\'s status to the owners that have budgets, from one read of all their counters', async () => {
    const spend = reader({ 'key_a#2026-11-26': 3_200_000 });
    const owners = [{ id: 'key_a', limits: { usdPerDay: 5, usdPerMonth: 50 } }, { id: 'key_b', limits: { requestsPerMinute: 5 } }, { id: 'team_c', limits: { usdPerMonth: 10 } }];

    const shown = await withSpend(owners, spend, NOW);

    expect(spend.reads).toEqual([
      [
        { scopeId: 'key_a', periodId: '2026-11-26' },
        { scopeId: 'key_a', periodId: '2026-11' },
        { scopeId: 'team_c', periodId: '2026-11' },
      ],
    ]);
    expect(shown[0]?.spend?.map((s) => [s.kind, s.usedMicros, s.limitMicros, s.fraction])).toEqual([
      ['day', 3_200_000, 5_000_000, 0.64],
      ['month', 0, 50_000_000, 0],
    ]);
    expect(shown[1]).toEqual(owners[1]);
    expect(shown[2]?.spend).toEqual([expect.objectContaining({ kind: 'month', periodId: '2026-11', usedMicros: 0 })]);
  });

  it('reads nothing when no owner has a budget, or without a reader', async () => {
    const spend = reader({});
    const owners = [{ id: 'key_a' }, { id: 'key_b', limits: { tokensPerMinute: 10 } }];

    expect(await withSpend(owners, spend, NOW)).toEqual(owners);
    expect(await withSpend([{ id: 'key_c', limits: { usdPerDay: 1 } }], undefined, NOW)).toEqual([{ id: 'key_c', limits: { usdPerDay: 1 } }]);
    expect(spend.reads).toEqual([]);
  });
});
