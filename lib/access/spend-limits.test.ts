import { hasSpendLimits, overBudget, spendPeriods, spendUnchecked, toMicros, unpriced } from './spend-limits';

const at = (iso: string) => Date.parse(iso);

describe('spendPeriods', () => {
  it.each([
    ['no limits', {}, '2026-11-26T17:05:00Z', []],
    ['a day', { usdPerDay: 5 }, '2026-11-26T17:05:00Z', [{ kind: 'day', id: '2026-11-26', endsAt: at('2026-11-27T00:00:00Z'), limit: 5_000_000 }]],
    [
      'a day and a month, at the end of a year',
      { usdPerDay: 0.5, usdPerMonth: 100 },
      '2026-12-31T23:59:59Z',
      [
        { kind: 'day', id: '2026-12-31', endsAt: at('2027-01-01T00:00:00Z'), limit: 500_000 },
        { kind: 'month', id: '2026-12', endsAt: at('2027-01-01T00:00:00Z'), limit: 100_000_000 },
      ],
    ],
    ['a month, on a leap day', { usdPerMonth: 1.25 }, '2028-02-29T10:00:00Z', [{ kind: 'month', id: '2028-02', endsAt: at('2028-03-01T00:00:00Z'), limit: 1_250_000 }]],
  ])('%s', (_name, limits, now, expected) => {
    expect(spendPeriods(limits, at(now))).toEqual(expected);
  });
});

describe('hasSpendLimits and toMicros', () => {
  it.each([
    [undefined, false],
    [{}, false],
    [{ usdPerDay: 1 }, true],
    [{ usdPerMonth: 1 }, true],
  ])('%j: %s', (limits, expected) => {
    expect(hasSpendLimits(limits)).toBe(expected);
  });

  it('counts dollars in whole micro-dollars', () => {
    expect([toMicros(0.1), toMicros(0.000001), toMicros(19.99), toMicros(0.3)]).toEqual([100_000, 1, 19_990_000, 300_000]);
  });
});

describe('the refusals', () => {
  const day = spendPeriods({ usdPerDay: 5 }, at('2026-11-26T17:05:00Z'))[0]!;

  it('says the budget, what is used, what the call could cost and when it starts afresh; clients must not retry', () => {
    const err = overBudget(day, 4_950_000, 120_000);

    expect(err.status).toBe(429);
    expect(err.code).toBe('insufficient_quota');
    expect(err.headers).toEqual({ 'x-should-retry': 'false' });
    expect(err.message).toBe(
      'Spend limit reached: this API key may spend $5.00 a day (UTC); $4.95 of it is spent or held by calls in progress, and this call could cost up to $0.12. The limit starts afresh at 2026-11-27T00:00:00.000Z.',
    );
  });

  it('words a month, and a call whose use is unknown', () => {
    const month = spendPeriods({ usdPerMonth: 100 }, at('2026-11-26T17:05:00Z'))[0]!;

    expect(overBudget(month, undefined, 1).message).toBe('Spend limit reached: this API key may spend $100.00 a month (UTC); this call could cost up to $0.000001. The limit starts afresh at 2026-12-01T00:00:00.000Z.');
  });

  it('refuses an unpriced model for a key with a budget as forbidden, naming the model', () => {
    expect(unpriced('llama3')).toMatchObject({ status: 403, code: 'model_not_priced', param: 'model', message: expect.stringContaining('`llama3`') });
  });

  it('answers 503 when the budget cannot be checked', () => {
    expect(spendUnchecked(new Error('down'))).toMatchObject({ status: 503, code: 'spend_limit_unavailable', headers: { 'retry-after': '1' } });
  });
});
