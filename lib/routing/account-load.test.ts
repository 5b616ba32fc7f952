import { AccountLoad, LATENCY_SMOOTHING, latencyKey } from './account-load';

describe('AccountLoad', () => {
  let t: number;
  let load: AccountLoad;
  beforeEach(() => {
    t = 1_000_000;
    load = new AccountLoad(() => t);
  });

  it('counts each call in flight on its account until it is given back', () => {
    const first = load.begin('p/a');
    load.begin('p/a');
    load.begin('p/b');

    first();

    expect([load.inFlight('p/a'), load.inFlight('p/b'), load.inFlight('p/c'), load.totalInFlight()]).toEqual([1, 1, 0, 2]);
  });

  it('gives a call back once however many times its release is called', () => {
    const release = load.begin('p/a');
    load.begin('p/a');

    release();
    release();
    release();

    expect(load.inFlight('p/a')).toBe(1);
  });

  it('takes an account first sample as its latency', () => {
    load.observe('k', 120);

    expect(load.latencyMs('k')).toBe(120);
    expect(load.latencyMs('other')).toBeUndefined();
  });

  it.each([
    ['at the same moment, by the least weight', 0, 100 + LATENCY_SMOOTHING.minWeight * 300],
    ['a fade time later, by about two thirds', LATENCY_SMOOTHING.fadeMs, 100 + (1 - Math.exp(-1)) * 300],
    ['a minute later, almost wholly', 60_000, 100 + (1 - Math.exp(-6)) * 300],
  ])('moves the average toward a new sample %s', (_name, laterMs, expected) => {
    load.observe('k', 100);
    t += laterMs;

    load.observe('k', 400);

    expect(load.latencyMs('k')).toBeCloseTo(expected, 6);
  });

  it('keeps at most maxKeys averages, forgetting the oldest first', () => {
    for (let i = 0; i <= LATENCY_SMOOTHING.maxKeys; i++) load.observe(`k${i}`, i);

    expect(load.latencyMs('k0')).toBeUndefined();
    expect(load.latencyMs('k1')).toBe(1);
    expect(load.latencyMs(`k${LATENCY_SMOOTHING.maxKeys}`)).toBe(LATENCY_SMOOTHING.maxKeys);
  });

  it('keeps latency apart per account, upstream model and kind of call', () => {
    const keys = new Set([latencyKey('p/a', 'm', true), latencyKey('p/a', 'm', false), latencyKey('p/a', 'n', true), latencyKey('p/b', 'm', true)]);

    expect(keys.size).toBe(4);
  });
});
