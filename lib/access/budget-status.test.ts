import { budgetCounters, budgetStatuses, tightestBudget } from './budget-status';

const NOW = Date.parse('2026-11-26T12:00:00Z');

describe('budgetStatuses', () => {
  it('gives each budget its period, limit, what is used and the fraction, day first', () => {
    const used = new Map([
      ['key_1#2026-11-26', 3_200_000],
      ['key_1#2026-11', 12_500_000],
    ]);

    expect(budgetStatuses('key_1', { usdPerDay: 5, usdPerMonth: 50, requestsPerMinute: 10 }, NOW, used)).toEqual([
      { kind: 'day', periodId: '2026-11-26', limitMicros: 5_000_000, usedMicros: 3_200_000, fraction: 0.64, resetsAt: '2026-11-27T00:00:00.000Z' },
      { kind: 'month', periodId: '2026-11', limitMicros: 50_000_000, usedMicros: 12_500_000, fraction: 0.25, resetsAt: '2026-12-01T00:00:00.000Z' },
    ]);
  });

  it('counts a counter not there yet as nothing spent', () => {
    expect(budgetStatuses('team_1', { usdPerMonth: 10 }, NOW, new Map())).toEqual([expect.objectContaining({ periodId: '2026-11', usedMicros: 0, fraction: 0 })]);
  });

  it('has no budgets, and reads no counters, for limits without any', () => {
    expect(budgetStatuses('key_1', { requestsPerMinute: 5 }, NOW, new Map())).toEqual([]);
    expect(budgetStatuses('key_1', undefined, NOW, new Map())).toEqual([]);
    expect(budgetCounters('key_1', { requestsPerMinute: 5 }, NOW)).toEqual([]);
    expect(budgetCounters('key_1', undefined, NOW)).toEqual([]);
  });
});

describe('tightestBudget', () => {
  it('picks the budget nearest its limit, the day on a tie, none of none', () => {
    const [day, month] = budgetStatuses('k', { usdPerDay: 1, usdPerMonth: 2 }, NOW, new Map([['k#2026-11-26', 500_000], ['k#2026-11', 1_500_000]]));

    expect(tightestBudget([day!, month!])).toBe(month);
    expect(tightestBudget([{ ...day!, fraction: 0.75 }, month!])?.kind).toBe('day');
    expect(tightestBudget([])).toBeUndefined();
  });
});
