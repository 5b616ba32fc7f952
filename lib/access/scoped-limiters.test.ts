import { silentLogger } from '../observe/logger';
import { AfterResponse } from '../pipeline/after-response';
import { MemoryRateWindows } from '../store/rate-windows';
import { MemorySpendStore } from '../store/spend';
import type { LimitScope } from './caller';
import { RateLimiter } from './rate-limiter';
import { windowAt } from './rate-limits';
import { SpendLimiter } from './spend-limiter';
import { spendPeriods } from './spend-limits';

const NOW = Date.parse('2026-11-26T17:05:20Z');
const key = (limits: LimitScope['limits']): LimitScope => ({ id: 'key_1', name: 'this API key', limits });
const team = (limits: LimitScope['limits']): LimitScope => ({ id: 'team_1', name: 'team "platform"', limits });

function limiters() {
  const later = new AfterResponse();
  const deps = { now: () => NOW, logger: silentLogger, later };
  const rates = new MemoryRateWindows();
  const spend = new MemorySpendStore();
  return { later, rates, spend, rate: new RateLimiter(rates, deps), budget: new SpendLimiter(spend, deps) };
}

describe('RateLimiter over a key and its team', () => {
  it.each([
    ['the key\'s limit is the stricter', { requestsPerMinute: 2 }, { requestsPerMinute: 5 }, 2, 'this API key allows 2 requests'],
    ['the team\'s limit is the stricter', { requestsPerMinute: 5 }, { requestsPerMinute: 3 }, 3, 'team "platform" allows 3 requests'],
  ])('admits calls while both allow them and names the one that refuses, when %s', async (_case, keyLimits, teamLimits, admitted, named) => {
    const { rate, later } = limiters();
    const scopes = [key(keyLimits), team(teamLimits)];

    const results = [];
    for (let i = 0; i < 6; i++) results.push(await rate.admit(scopes, `r${i}`).then(() => 'ok', (err: Error) => err.message));
    await later.drain();

    expect(results.filter((r) => r === 'ok')).toHaveLength(admitted);
    expect(results.at(-1)).toContain(named);
  });

  it('gives the key\'s place back when the team refuses, so the key is not charged for a call never made', async () => {
    const { rate, rates, later } = limiters();
    const scopes = [key({ requestsPerMinute: 2 }), team({ requestsPerMinute: 1 })];
    await rate.admit(scopes, 'r0');

    await expect(rate.admit(scopes, 'r1')).rejects.toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
    await later.drain();

    // The key has one place left: the refused call's was given back. The team's is full.
    expect(await rates.take('key_1', windowAt(NOW), { requestsPerMinute: 2 })).toEqual({ admitted: true, counts: { requests: 2, tokens: 0 } });
    expect(await rates.take('team_1', windowAt(NOW), { requestsPerMinute: 1 })).toMatchObject({ admitted: false, exhausted: 'requests' });
  });

  it('adds a call\'s tokens to every scope with a tokens limit, and only those', async () => {
    const { rate, rates, later } = limiters();
    const hold = await rate.admit([key({ requestsPerMinute: 9 }), team({ tokensPerMinute: 100 })], 'r0');

    rate.settle(hold!, 100, 'r0');
    await later.drain();

    expect(hold?.tokenScopes).toEqual(['team_1']);
    expect(await rates.take('team_1', windowAt(NOW), { tokensPerMinute: 100 })).toMatchObject({ admitted: false, exhausted: 'tokens' });
  });
});

describe('SpendLimiter over a key and its team', () => {
  const [day, month] = spendPeriods({ usdPerDay: 1, usdPerMonth: 1 }, NOW) as [ReturnType<typeof spendPeriods>[0], ReturnType<typeof spendPeriods>[0]];

  it('holds the worst case in every period of both scopes', async () => {
    const { budget, spend } = limiters();

    const reservation = await budget.reserve([key({ usdPerDay: 1 }), team({ usdPerDay: 5, usdPerMonth: 50 })], 300_000, 'r0');

    expect(reservation.holds.map((h) => `${h.scopeId}#${h.period.kind}`)).toEqual(['key_1#day', 'team_1#day', 'team_1#month']);
    expect([spend.used('key_1', day), spend.used('team_1', day), spend.used('team_1', month)]).toEqual([300_000, 300_000, 300_000]);
  });

  it('gives back what the key held when the team\'s budget refuses, and names the team', async () => {
    const { budget, spend, later } = limiters();

    const refused = await budget.reserve([key({ usdPerDay: 1 }), team({ usdPerDay: 0.5 })], 600_000, 'r0').catch((err: Error) => err);
    await later.drain();

    expect(refused).toMatchObject({ status: 429, code: 'insufficient_quota', message: expect.stringContaining('team "platform" may spend $0.50') });
    expect(spend.used('key_1', day)).toBe(0);
    expect(spend.used('team_1', day)).toBe(0);
  });

  it('settles every counter it held to what the call cost', async () => {
    const { budget, spend, later } = limiters();
    const reservation = await budget.reserve([key({ usdPerMonth: 1 }), team({ usdPerDay: 1 })], 500_000, 'r0');

    budget.settle(reservation, 120_000, 'r0');
    await later.drain();

    expect([spend.used('key_1', month), spend.used('team_1', day)]).toEqual([120_000, 120_000]);
  });

  it('refuses with a 503 and keeps nothing when a counter is out of reach', async () => {
    const { budget, spend, later } = limiters();
    const reserve = spend.reserve.bind(spend);
    spend.reserve = async (scopeId, period, micros) => {
      if (scopeId === 'team_1') throw new Error('connect ECONNREFUSED');
      return reserve(scopeId, period, micros);
    };

    const refused = await budget.reserve([key({ usdPerDay: 1 }), team({ usdPerDay: 1 })], 100_000, 'r0').catch((err: Error) => err);
    await later.drain();

    expect(refused).toMatchObject({ status: 503, code: 'spend_limit_unavailable' });
    expect(spend.used('key_1', day)).toBe(0);
  });
});

describe('every counter of a call at once', () => {
  /** Wraps a store so that its calls stay in flight until released, counting how many are. */
  function gated<T extends object>(store: T, method: keyof T) {
    let inFlight = 0;
    let most = 0;
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const original = (store[method] as (...args: unknown[]) => Promise<unknown>).bind(store);
    (store as Record<keyof T, unknown>)[method] = async (...args: unknown[]) => {
      most = Math.max(most, ++inFlight);
      await gate;
      inFlight--;
      return original(...args);
    };
    return { most: () => most, open: () => open() };
  }

  it('asks each budget counter (two scopes, day and month) in one round trip, not one after the other', async () => {
    const { budget, spend } = limiters();
    const g = gated(spend, 'reserve');
    const scopes = [key({ usdPerDay: 1, usdPerMonth: 5 }), team({ usdPerDay: 2, usdPerMonth: 9 })];

    const reserved = budget.reserve(scopes, 1_000, 'r0');
    await new Promise((r) => setImmediate(r));
    g.open();

    expect(g.most()).toBe(4);
    expect((await reserved).holds).toHaveLength(4);
  });

  it('asks each scope\'s minute in one round trip', async () => {
    const { rate, rates } = limiters();
    const g = gated(rates, 'take');

    const admitted = rate.admit([key({ requestsPerMinute: 2 }), team({ requestsPerMinute: 5, tokensPerMinute: 100 })], 'r0');
    await new Promise((r) => setImmediate(r));
    g.open();

    expect(g.most()).toBe(2);
    expect((await admitted)?.tokenScopes).toEqual(['team_1']);
  });

  it('names the key before its team when both refuse at once, and the day before the month', async () => {
    const { budget } = limiters();
    const scopes = [key({ usdPerDay: 0.000001, usdPerMonth: 0.000001 }), team({ usdPerDay: 0.000001 })];

    const error = await budget.reserve(scopes, 5, 'r0').catch((e: Error) => e);

    expect(error).toMatchObject({ status: 429, code: 'insufficient_quota' });
    expect((error as Error).message).toMatch(/this API key may spend \$0\.000001 a day/);
  });

  it('release gives back everything a reservation holds', async () => {
    const { budget, spend, later } = limiters();
    const scopes = [key({ usdPerDay: 1 }), team({ usdPerMonth: 9 })];
    const reservation = await budget.reserve(scopes, 700, 'r0');

    budget.release(reservation, 'r0');
    await later.drain();

    const [day] = spendPeriods({ usdPerDay: 1 }, NOW);
    const [month] = spendPeriods({ usdPerMonth: 9 }, NOW);
    expect(spend.used('key_1', day!)).toBe(0);
    expect(spend.used('team_1', month!)).toBe(0);
  });
});
