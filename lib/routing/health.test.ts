import { AccountHealth, COOL_DOWN, accountRef, retryAfterMs } from './health';

describe('retryAfterMs', () => {
  const now = Date.parse('2026-11-26T17:00:00Z');
  it.each([
    [{}, undefined],
    [{ 'retry-after': '7' }, 7_000],
    [{ 'retry-after': ' 0.5 ' }, 500],
    [{ 'retry-after': 'Thu, 26 Nov 2026 17:00:30 GMT' }, 30_000],
    [{ 'retry-after': 'Thu, 26 Nov 2026 16:00:00 GMT' }, 0],
    [{ 'retry-after': 'soon' }, undefined],
    [{ 'retry-after-ms': '1500', 'retry-after': '2' }, 1_500],
    [{ 'retry-after-ms': 'x', 'retry-after': '2' }, 2_000],
  ])('%j: %s', (headers, expected) => {
    expect(retryAfterMs(headers, now)).toBe(expected);
  });
});

describe('AccountHealth', () => {
  let t = 0;
  let health: AccountHealth;
  const ref = accountRef('openai', 'main');
  beforeEach(() => {
    t = 1_000_000;
    health = new AccountHealth(() => t);
  });

  it('rests a rate-limited account as long as the upstream asked, at least a second and at most five minutes', () => {
    expect(health.failed(ref, 'rate_limited', 20_000)).toBe(20_000);
    expect(health.failed(ref, 'rate_limited', 10)).toBe(1_000);
    expect(health.failed(ref, 'rate_limited', 86_400_000)).toBe(COOL_DOWN.maxRetryAfterMs);
  });

  it('doubles the rest for each failure in a row up to a minute, and a success ends the streak', () => {
    const rests = [1, 2, 3, 4, 5].map(() => health.failed(ref, 'error'));
    health.succeeded(ref);

    expect(rests).toEqual([5_000, 10_000, 20_000, 40_000, 60_000]);
    expect(health.failed(ref, 'rate_limited')).toBe(5_000);
  });

  it('rests an account whose credentials were refused for a minute', () => {
    expect(health.failed(ref, 'auth')).toBe(60_000);
  });

  it('says an account is cooling until its rest is over, and keeps accounts apart', () => {
    health.failed(ref, 'error');

    expect(health.isCooling(ref)).toBe(true);
    expect(health.isCooling(accountRef('openai', 'backup'))).toBe(false);
    t += 4_999;
    expect(health.isCooling(ref)).toBe(true);
    t += 1;
    expect(health.isCooling(ref)).toBe(false);
  });

  it('is healthy again at once after a success', () => {
    health.failed(ref, 'error');
    health.succeeded(ref);

    expect(health.isCooling(ref)).toBe(false);
  });
});
