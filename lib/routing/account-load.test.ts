import { AccountLoad, HUNG, LATENCY_SMOOTHING } from './account-load';

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

  it("takes an account's first sample as its latency", () => {
    load.observe('p/a', 'm', true, 120);

    expect(load.latencyMs('p/a', 'm', true)).toBe(120);
    expect(load.latencyMs('p/b', 'm', true)).toBeUndefined();
  });

  it.each([
    ['at the same moment, by the least weight', 0, 40, 100 + LATENCY_SMOOTHING.minWeight * -60],
    ['a fade time later, by about two thirds', LATENCY_SMOOTHING.fadeMs, 40, 100 + (1 - Math.exp(-1)) * -60],
    ['a minute later, almost wholly', 60_000, 40, 100 + (1 - Math.exp(-6)) * -60],
    ['above it, as at most spikeFactor times the average', 60_000, 10_000, 100 + (1 - Math.exp(-6)) * (LATENCY_SMOOTHING.spikeFactor - 1) * 100],
  ])('moves the average toward a new sample %s', (_name, laterMs, sample, expected) => {
    load.observe('p/a', 'm', true, 100);
    t += laterMs;

    load.observe('p/a', 'm', true, sample);

    expect(load.latencyMs('p/a', 'm', true)).toBeCloseTo(expected, 6);
  });

  it("reads a call still waiting for its headers as the latency once it has waited longer than the average, and forgets it when the headers come", () => {
    load.observe('p/a', 'm', true, 100);
    const came = load.waitHeaders('p/a', 'm', true);
    const other = load.waitHeaders('p/a', 'm', false);
    t += 50;
    const shorter = load.latencyMs('p/a', 'm', true);
    t += 200;
    const longer = load.latencyMs('p/a', 'm', true);

    came();
    came();

    expect([shorter, longer, load.latencyMs('p/a', 'm', true)]).toEqual([100, 250, 100]);
    // A whole answer waiting is no stream's latency, and an account never timed stays unjudged.
    expect(load.latencyMs('p/a', 'm', false)).toBeUndefined();
    other();
  });

  it('says whether a call to the model on the account still waits for its headers, streamed or not', () => {
    const stream = load.waitHeaders('p/a', 'm', true);
    const whole = load.waitHeaders('p/a', 'm', false);
    const seen = [load.awaitingHeaders('p/a', 'm'), load.awaitingHeaders('p/a', 'other'), load.awaitingHeaders('p/b', 'm')];
    stream();
    seen.push(load.awaitingHeaders('p/a', 'm'));
    whole();

    expect([...seen, load.awaitingHeaders('p/a', 'm')]).toEqual([true, false, false, true, false]);
  });

  // HUNG: a wait past 5 times the average of its kind, and past 5 s whatever the average.
  it.each<[string, { stream: boolean; averageMs?: number; waitMs: number }, boolean]>([
    ['a stream waiting far past its average and the floor', { stream: true, averageMs: 200, waitMs: 5_001 }, true],
    ['a whole answer waiting past five times its average', { stream: false, averageMs: 2_000, waitMs: 10_001 }, true],
    ['a whole answer waiting four times its average: a long answer, not a hung account', { stream: false, averageMs: 2_000, waitMs: 8_000 }, false],
    ['a wait far past a tiny average but under the floor', { stream: true, averageMs: 10, waitMs: 4_999 }, false],
    ['an account never timed, however long it waits: nothing to judge it by', { stream: true, waitMs: 60_000 }, false],
  ])('tells whether an account is hung: %s', (_name, { stream, averageMs, waitMs }, expected) => {
    if (averageMs !== undefined) load.observe('p/a', 'm', stream, averageMs);
    const came = load.waitHeaders('p/a', 'm', stream);
    t += waitMs;

    const hung = load.hung('p/a', 'm');
    came();

    expect([hung, load.hung('p/a', 'm')]).toEqual([expected, false]);
  });

  it("judges each kind of call against its own average, and each account and model apart", () => {
    load.observe('p/a', 'm', true, 100);
    load.observe('p/a', 'm', false, 20_000);
    const whole = load.waitHeaders('p/a', 'm', false);
    t += HUNG.minMs * 2; // long for a stream, short for a whole answer of this account

    const [wholeOnly, otherModel, otherAccount] = [load.hung('p/a', 'm'), load.hung('p/a', 'n'), load.hung('p/b', 'm')];
    const stream = load.waitHeaders('p/a', 'm', true);
    t += HUNG.minMs + 1;
    const withStream = load.hung('p/a', 'm');
    whole();
    stream();

    expect([wholeOnly, otherModel, otherAccount, withStream]).toEqual([false, false, false, true]);
  });

  it("does not judge an account hung by one long call while it answers others: a reasoning model's 4-minute answer among 20-second ones", () => {
    load.observe('p/a', 'o3', false, 20_000);
    const long = load.waitHeaders('p/a', 'o3', false);
    const seen: boolean[] = [];
    // Other calls to the model answer every 30 s while the long one waits (a stream's too).
    for (let s = 30; s <= 240; s += 30) {
      t += 30_000;
      load.observe('p/a', 'o3', s % 60 === 0, 20_000);
      seen.push(load.hung('p/a', 'o3'));
    }
    // Then nothing answers for longer than five times the average.
    t += 5 * 20_000 + 1;
    seen.push(load.hung('p/a', 'o3'));
    long();

    expect(seen).toEqual([...Array<boolean>(8).fill(false), true]);
  });

  it('reads the pins its conversations were moved to', () => {
    load.pins.served('s:conversation', 'p', 'm', 'b', 'a');

    expect([load.pinned('s:conversation', 'p', 'm'), load.pinned('s:conversation', 'q', 'm'), load.pinned('s:conversation', 'p', 'n'), load.pinned('s:other', 'p', 'm')]).toEqual(['b', undefined, undefined, undefined]);
  });

  it('times a wait from the oldest call still waiting', () => {
    load.observe('p/a', 'm', false, 10);
    const oldest = load.waitHeaders('p/a', 'm', false);
    t += 100;
    const newer = load.waitHeaders('p/a', 'm', false);
    t += 100;
    const both = load.latencyMs('p/a', 'm', false);

    oldest();
    const one = load.latencyMs('p/a', 'm', false);
    newer();

    expect([both, one, load.latencyMs('p/a', 'm', false)]).toEqual([200, 100, 10]);
  });

  it('shows a lasting slowdown within a few calls, and barely a single slow answer', () => {
    load.observe('p/slowed', 'm', true, 3);
    load.observe('p/spiky', 'm', true, 3);
    load.observe('p/spiky', 'm', true, 2_000);
    for (let i = 0; i < 7; i++) load.observe('p/slowed', 'm', true, 300);

    expect(load.latencyMs('p/spiky', 'm', true)).toBeLessThan(6);
    expect(load.latencyMs('p/slowed', 'm', true)).toBeGreaterThan(40);
  });

  it('keeps at most maxAverages averages, forgetting them all and learning again at the cap', () => {
    for (let i = 0; i < LATENCY_SMOOTHING.maxAverages; i++) load.observe('p/a', `m${i}`, true, i);
    const atCap = [load.latencyMs('p/a', 'm0', true), load.latencyMs('p/a', `m${LATENCY_SMOOTHING.maxAverages - 1}`, true)];

    load.observe('p/b', 'm', false, 7);

    expect(atCap).toEqual([0, LATENCY_SMOOTHING.maxAverages - 1]);
    expect([load.latencyMs('p/a', 'm0', true), load.latencyMs('p/b', 'm', false)]).toEqual([undefined, 7]);
  });

  it('keeps latency apart per account, upstream model and kind of call', () => {
    const keys: [string, string, boolean][] = [
      ['p/a', 'm', true],
      ['p/a', 'm', false],
      ['p/a', 'n', true],
      ['p/b', 'm', true],
    ];
    keys.forEach(([ref, model, stream], i) => load.observe(ref, model, stream, 10 * (i + 1)));

    expect(keys.map(([ref, model, stream]) => load.latencyMs(ref, model, stream))).toEqual([10, 20, 30, 40]);
  });
});
