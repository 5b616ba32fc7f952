import type { AccountConfig } from '../config/schema';
import { AccountLoad } from './account-load';
import { EXPLORE_SHARE, balancedOrder, weightedOrder, type Balance } from './balance';

const account = (id: string, weight = 1) => ({ id, weight }) as AccountConfig;
const pool = (...accounts: AccountConfig[]) => ({ providerId: 'p', model: 'm', accounts });
const ids = (order: readonly AccountConfig[]) => order.map((a) => a.id);
/** Draws the given values in turn, then the last one again. */
const draws = (...values: number[]) => {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)]!;
};
/** A seeded uniform draw (Park–Miller), so counts are the same on every run. */
const seeded = (seed = 1) => () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;

/**
 * A load with these calls in flight (`{ a: 2 }`), these stream latencies (`{ a: 40 }`), and these
 * shares of quota left as the upstream last reported them (`{ a: 0.25 }`: 25 of 100 requests, for
 * 30 s).
 */
function loadOf(inFlight: Record<string, number> = {}, latency: Record<string, number> = {}, headroom: Record<string, number> = {}): AccountLoad {
  const load = new AccountLoad(() => 0);
  for (const [id, n] of Object.entries(inFlight)) for (let i = 0; i < n; i++) load.begin(`p/${id}`);
  for (const [id, ms] of Object.entries(latency)) load.observe(`p/${id}`, 'm', true, ms);
  for (const [id, share] of Object.entries(headroom)) load.quota.record(`p/${id}`, 'm', quotaHeaders(Math.round(share * 100)), true);
  return load;
}
const quotaHeaders = (remaining: number) => ({ 'x-ratelimit-limit-requests': '100', 'x-ratelimit-remaining-requests': String(remaining), 'x-ratelimit-reset-requests': '30s' });

describe('weightedOrder', () => {
  it.each([
    ['the first draw picks by weight (low)', [0], ['a', 'b']],
    ['the first draw picks by weight (high)', [0.9, 0], ['b', 'a']],
    ['just under the heavy share', [0.74], ['a', 'b']],
    ['just over it', [0.76], ['b', 'a']],
  ])('%s', (_name, values, expected) => {
    expect(ids(weightedOrder([account('a', 3), account('b', 1)], draws(...values)))).toEqual(expected);
  });
});

describe('balancedOrder', () => {
  it.each<[string, Balance, ReturnType<typeof loadOf>, AccountConfig[], number[], string[]]>([
    ['weighted ignores the load', 'weighted', loadOf({ a: 5 }, { a: 900 }), [account('a'), account('b')], [0], ['a', 'b']],
    ['least-busy puts the idle account first', 'least-busy', loadOf({ a: 2 }), [account('a'), account('b')], [0], ['b', 'a']],
    ['least-busy orders by calls in flight', 'least-busy', loadOf({ a: 3, b: 1, c: 2 }), [account('a'), account('b'), account('c')], [0], ['b', 'c', 'a']],
    ['least-busy divides by weight', 'least-busy', loadOf({ a: 3, b: 2 }), [account('a', 4), account('b', 1)], [0.99], ['a', 'b']],
    ['least-busy keeps the weighted draw on a tie (low)', 'least-busy', loadOf({ a: 1, b: 1 }), [account('a'), account('b')], [0], ['a', 'b']],
    ['least-busy keeps the weighted draw on a tie (high)', 'least-busy', loadOf({ a: 1, b: 1 }), [account('a'), account('b')], [0.6], ['b', 'a']],
    ['latency puts the fastest first', 'latency', loadOf({}, { a: 40, b: 5 }), [account('a'), account('b')], [0.5, 0], ['b', 'a']],
    ['latency orders every account by its average', 'latency', loadOf({}, { a: 40, b: 5, c: 20 }), [account('a'), account('b'), account('c')], [0.5, 0], ['b', 'c', 'a']],
    ['latency tries an account never timed first', 'latency', loadOf({}, { a: 5 }), [account('a'), account('b')], [0.5, 0], ['b', 'a']],
    ['latency sends a never-timed account one call at a time until it has answered', 'latency', loadOf({ b: 1 }, { a: 40 }), [account('a'), account('b')], [0.5, 0.9], ['a', 'b']],
    ['latency tries never-timed idle accounts before one already being tried', 'latency', loadOf({ b: 1 }, { a: 40 }), [account('a'), account('b'), account('c')], [0.5, 0.9, 0.9], ['c', 'a', 'b']],
    ['latency ignores calls in flight', 'latency', loadOf({ b: 9 }, { a: 40, b: 5 }), [account('a'), account('b')], [0.5, 0], ['b', 'a']],
    ['latency explores with the weighted draw now and then', 'latency', loadOf({}, { a: 40, b: 5 }), [account('a'), account('b')], [EXPLORE_SHARE / 2, 0], ['a', 'b']],
    ['latency keeps the weighted draw when none was timed', 'latency', loadOf(), [account('a'), account('b')], [0.5, 0.6], ['b', 'a']],
    ['headroom puts the account with more quota left first', 'headroom', loadOf({}, {}, { a: 0.2, b: 0.7 }), [account('a'), account('b')], [0], ['b', 'a']],
    ['headroom orders every account by its share left', 'headroom', loadOf({}, {}, { a: 0.5, b: 0.1, c: 0.9 }), [account('a'), account('b'), account('c')], [0], ['c', 'a', 'b']],
    ['headroom ignores calls in flight and latency', 'headroom', loadOf({ b: 5 }, { b: 900 }, { a: 0.2, b: 0.7 }), [account('a'), account('b')], [0], ['b', 'a']],
    ['headroom keeps the weighted draw within a band (low)', 'headroom', loadOf({}, {}, { a: 0.97, b: 1 }), [account('a'), account('b')], [0], ['a', 'b']],
    ['headroom keeps the weighted draw within a band (high)', 'headroom', loadOf({}, {}, { a: 0.97, b: 1 }), [account('a'), account('b')], [0.6], ['b', 'a']],
    ['headroom puts a band apart even against the weights', 'headroom', loadOf({}, {}, { a: 0.9, b: 0.96 }), [account('a', 9), account('b', 1)], [0], ['b', 'a']],
    ['headroom puts an account with nothing left last', 'headroom', loadOf({}, {}, { a: 0, b: 0.04 }), [account('a'), account('b')], [0], ['b', 'a']],
    ['headroom tries an account never read first', 'headroom', loadOf({}, {}, { a: 1 }), [account('a'), account('b')], [0], ['b', 'a']],
    ['headroom keeps the weighted draw when none was read', 'headroom', loadOf(), [account('a'), account('b')], [0.6], ['b', 'a']],
    ['headroom never explores', 'headroom', loadOf({}, {}, { a: 0.2, b: 0.7 }), [account('a'), account('b')], [EXPLORE_SHARE / 2, 0], ['b', 'a']],
    ['a pool of one is itself', 'least-busy', loadOf({ a: 3 }), [account('a')], [0], ['a']],
  ])('%s', (_name, balance, load, accounts, values, expected) => {
    expect(ids(balancedOrder(balance, pool(...accounts), true, load, draws(...values)).order)).toEqual(expected);
  });

  it.each<[Balance, number, string]>([
    ['weighted', 0.5, 'weighted'],
    ['least-busy', 0.5, 'least-busy'],
    ['latency', 0.5, 'latency'],
    ['latency', EXPLORE_SHARE / 2, 'explore'],
    ['headroom', EXPLORE_SHARE / 2, 'headroom'],
  ])('says %s ordered the pool (draw %s) as %s', (balance, first, by) => {
    expect(balancedOrder(balance, pool(account('a'), account('b')), true, loadOf(), draws(first, 0)).by).toBe(by);
  });

  it('reads the latency of the call kind asked for: streams and whole answers apart', () => {
    const load = loadOf({}, { a: 5, b: 40 });
    load.observe('p/a', 'm', false, 900);
    load.observe('p/b', 'm', false, 300);

    const stream = balancedOrder('latency', pool(account('a'), account('b')), true, load, draws(0.5, 0)).order;
    const whole = balancedOrder('latency', pool(account('a'), account('b')), false, load, draws(0.5, 0)).order;

    expect([ids(stream), ids(whole)]).toEqual([
      ['a', 'b'],
      ['b', 'a'],
    ]);
  });

  it('reads the headroom of the quota the pool draws on, not of its model name', () => {
    const load = loadOf();
    load.quota.record('p/a', 'claude-sonnet-4', quotaHeaders(10), true);
    load.quota.record('p/b', 'claude-sonnet-4', quotaHeaders(60), true);
    load.quota.record('p/a', 'm', quotaHeaders(90), true);

    const order = balancedOrder('headroom', { ...pool(account('a'), account('b')), quotaScope: 'claude-sonnet-4' }, true, load, draws(0)).order;

    expect(ids(order)).toEqual(['b', 'a']);
  });

  it("tries a never-read account first though it has calls of another model in flight: only a call to the pool's model brings its reading", () => {
    const load = loadOf({}, {}, { a: 1 });
    load.begin('p/b');
    load.waitHeaders('p/b', 'other-model', false);

    expect(ids(balancedOrder('headroom', pool(account('a'), account('b')), true, load, draws(0)).order)).toEqual(['b', 'a']);
  });

  it("sends a never-read account one call at a time: while its first call to the pool's model waits for headers, after the read ones", () => {
    const load = loadOf({}, {}, { a: 0.1 });
    const release = load.begin('p/b');
    const headersCame = load.waitHeaders('p/b', 'm', false);
    const waiting = ids(balancedOrder('headroom', pool(account('a'), account('b')), true, load, draws(0.9)).order);

    // An error without quota headers: still never read, so first again.
    headersCame();
    release();

    expect([waiting, ids(balancedOrder('headroom', pool(account('a'), account('b')), true, load, draws(0)).order)]).toEqual([
      ['a', 'b'],
      ['b', 'a'],
    ]);
  });

  it('counts an account as full again once its reported reset has passed', () => {
    let now = 0;
    const load = new AccountLoad(() => now);
    load.quota.record('p/a', 'm', quotaHeaders(5), true); // resets in 30 s
    load.quota.record('p/b', 'm', { ...quotaHeaders(50), 'x-ratelimit-reset-requests': '5m0s' }, true);
    const before = balancedOrder('headroom', pool(account('a'), account('b')), true, load, draws(0)).order;

    now = 30_000;

    expect([ids(before), ids(balancedOrder('headroom', pool(account('a'), account('b')), true, load, draws(0.9, 0)).order)]).toEqual([
      ['b', 'a'],
      ['a', 'b'],
    ]);
  });

  it('spreads a headroom pool whose accounts all have nearly everything left by weight', () => {
    const random = seeded(3);
    const load = loadOf({}, {}, { heavy: 0.99, light: 1 });
    const firsts = { heavy: 0, light: 0 };

    for (let i = 0; i < 4000; i++) firsts[balancedOrder('headroom', pool(account('heavy', 3), account('light', 1)), true, load, random).order[0]!.id as 'heavy' | 'light']++;

    expect(firsts.heavy / 4000).toBeGreaterThan(0.7);
    expect(firsts.heavy / 4000).toBeLessThan(0.8);
  });

  it('spreads an idle least-busy pool by weight', () => {
    const random = seeded();
    const firsts = { heavy: 0, light: 0 };

    for (let i = 0; i < 4000; i++) firsts[balancedOrder('least-busy', pool(account('heavy', 3), account('light', 1)), true, loadOf(), random).order[0]!.id as 'heavy' | 'light']++;

    expect(firsts.heavy / 4000).toBeGreaterThan(0.7);
    expect(firsts.heavy / 4000).toBeLessThan(0.8);
  });

  it('gives the slower account of a latency pool about half the exploring share', () => {
    const random = seeded(7);
    const load = loadOf({}, { fast: 5, slow: 40 });
    let slowFirst = 0;

    for (let i = 0; i < 20_000; i++) if (balancedOrder('latency', pool(account('fast'), account('slow')), true, load, random).order[0]!.id === 'slow') slowFirst++;

    expect(slowFirst / 20_000).toBeGreaterThan(EXPLORE_SHARE / 2 - 0.01);
    expect(slowFirst / 20_000).toBeLessThan(EXPLORE_SHARE / 2 + 0.01);
  });

  it('puts every account in the order once, whatever the balance and the draw', () => {
    const accounts = [account('a', 5), account('b', 1), account('c', 2)];
    const load = loadOf({ a: 1, c: 4 }, { b: 3, c: 1 }, { a: 0.2, c: 0.9 });

    for (const balance of ['weighted', 'least-busy', 'latency', 'headroom'] as const)
      for (const r of [0, 0.01, 0.5, 0.999]) expect(ids(balancedOrder(balance, pool(...accounts), true, load, () => r).order).sort()).toEqual(['a', 'b', 'c']);
  });
});
