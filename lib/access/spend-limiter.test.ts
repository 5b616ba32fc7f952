import type { EndUserHold, EndUserSpend } from '../alerts/end-users';
import { silentLogger } from '../observe/logger';
import { AfterResponse } from '../pipeline/after-response';
import { MemorySpendStore } from '../store/spend';
import type { LimitScope } from './caller';
import { SpendLimiter } from './spend-limiter';

const NOW = Date.parse('2026-11-26T17:05:20Z');
const OWNER = { kind: 'key' as const, id: 'key_1', name: 'app' };
const keyScope: LimitScope = { id: 'key_1', name: 'this API key', limits: { usdPerDay: 100 } };
const aliceScope: LimitScope = { id: 'key_1@alice', name: 'end user "alice" of this API key', limits: { usdPerDay: 1, usdPerMonth: 10 }, endUser: { owner: OWNER, id: 'alice' } };

function limiter(withAlerts = true) {
  const later = new AfterResponse();
  const checks: { hold: EndUserHold; spend: EndUserSpend }[] = [];
  const spend = new MemorySpendStore();
  const endUserAlerts = { afterSettle: async (hold: EndUserHold, s: EndUserSpend) => void checks.push({ hold, spend: s }) };
  const budget = new SpendLimiter(spend, { now: () => NOW, logger: silentLogger, later, ...(withAlerts ? { endUserAlerts } : {}) });
  return { later, spend, budget, checks };
}

describe('SpendLimiter and end users\' budget alerts', () => {
  it('hands each end user\'s counter, after a call settles, to the alerts with the totals its writes handed back; the key\'s own counter not', async () => {
    const { budget, later, checks } = limiter();
    await budget.reserve([keyScope, aliceScope], 50_000, 'r0').then((r) => budget.settle(r, 20_000, 'r0'));
    await later.drain();

    const reservation = await budget.reserve([keyScope, aliceScope], 300_000, 'r1');
    budget.settle(reservation, 120_000, 'r1');
    await later.drain();

    expect(checks.slice(2).map(({ hold, spend }) => [hold.scopeId, hold.period.kind, hold.endUser, spend])).toEqual([
      ['key_1@alice', 'day', { owner: OWNER, id: 'alice' }, { held: { micros: 300_000, total: 320_000 }, settled: { added: -180_000, total: 140_000 } }],
      ['key_1@alice', 'month', { owner: OWNER, id: 'alice' }, { held: { micros: 300_000, total: 320_000 }, settled: { added: -180_000, total: 140_000 } }],
    ]);
  });

  it('checks a hold that stays spent as held, with no write: a stream cut before its usage, or a call that cost its worst case', async () => {
    const { budget, later, checks, spend } = limiter();

    budget.settle(await budget.reserve([aliceScope], 400_000, 'r1'), undefined, 'r1');
    budget.settle(await budget.reserve([aliceScope], 100_000, 'r2'), 100_000, 'r2');
    await later.drain();

    expect(checks.filter((c) => c.hold.period.kind === 'day').map((c) => c.spend)).toEqual([{ held: { micros: 400_000, total: 400_000 } }, { held: { micros: 100_000, total: 500_000 } }]);
    expect(spend.used('key_1@alice', checks[0]!.hold.period)).toBe(500_000);
  });

  it('checks nothing for a call given back before it went upstream, nor for anyone when alerts are off', async () => {
    const on = limiter();
    on.budget.release(await on.budget.reserve([aliceScope], 100_000, 'r1'), 'r1');
    await on.later.drain();
    const off = limiter(false);
    off.budget.settle(await off.budget.reserve([keyScope, aliceScope], 100_000, 'r2'), 50_000, 'r2');
    await off.later.drain();

    expect(on.checks).toEqual([]);
    expect(off.checks).toEqual([]);
  });

  it('settles as before when the alerts fail: the spend is written and the call is not touched', async () => {
    const later = new AfterResponse();
    const spend = new MemorySpendStore();
    const errors: string[] = [];
    const budget = new SpendLimiter(spend, {
      now: () => NOW,
      logger: { ...silentLogger, error: (message: string) => void errors.push(message) },
      later,
      endUserAlerts: { afterSettle: () => Promise.reject(new Error('should never happen, but')) },
    });

    const reservation = await budget.reserve([aliceScope], 300_000, 'r1');
    expect(() => budget.settle(reservation, 100_000, 'r1')).not.toThrow();
    await later.drain();

    expect(spend.used('key_1@alice', reservation.holds[0]!.period)).toBe(100_000);
    expect(errors).toEqual(['end-user budget alert not checked', 'end-user budget alert not checked']);
  });
});
