import { exhaustedLimit, hasRateLimits, rateLimited, windowAt } from './rate-limits';

const at = (iso: string) => Date.parse(iso);

describe('windowAt', () => {
  it.each([
    ['2026-11-26T17:05:00.000Z', '2026-11-26T17:05', '2026-11-26T17:06:00.000Z'],
    ['2026-11-26T17:05:59.999Z', '2026-11-26T17:05', '2026-11-26T17:06:00.000Z'],
    ['2026-11-26T23:59:30.000Z', '2026-11-26T23:59', '2026-11-27T00:00:00.000Z'],
  ])('%s falls in the minute %s, which ends at %s', (now, id, end) => {
    expect(windowAt(at(now))).toEqual({ id, endsAt: at(end) });
  });
});

describe('exhaustedLimit', () => {
  it.each([
    [{}, { requestsPerMinute: 1 }, undefined],
    [{ requests: 0 }, { requestsPerMinute: 1 }, undefined],
    [{ requests: 1 }, { requestsPerMinute: 1 }, 'requests'],
    [{ requests: 7 }, { requestsPerMinute: 5 }, 'requests'],
    [{ requests: 7 }, { tokensPerMinute: 5 }, undefined],
    [{ requests: 1, tokens: 999 }, { requestsPerMinute: 5, tokensPerMinute: 1_000 }, undefined],
    [{ requests: 1, tokens: 1_000 }, { requestsPerMinute: 5, tokensPerMinute: 1_000 }, 'tokens'],
    [{ requests: 5, tokens: 1_000 }, { requestsPerMinute: 5, tokensPerMinute: 1_000 }, 'requests'],
    [{ requests: 0 }, { requestsPerMinute: 0 }, 'requests'],
  ] as const)('counts %j against %j: %s', (counts, limits, expected) => {
    expect(exhaustedLimit(counts, limits)).toBe(expected);
  });
});

describe('hasRateLimits', () => {
  it.each([
    [undefined, false],
    [{}, false],
    [{ requestsPerMinute: 10 }, true],
    [{ tokensPerMinute: 0 }, true],
  ])('%j: %s', (limits, expected) => {
    expect(hasRateLimits(limits)).toBe(expected);
  });
});

describe('rateLimited', () => {
  const window = windowAt(at('2026-11-26T17:05:00Z'));

  it('says which limit and when to come back', () => {
    const err = rateLimited('requests', { requestsPerMinute: 50 }, window, at('2026-11-26T17:05:36.500Z'));

    expect(err.status).toBe(429);
    expect(err.kind).toBe('rate_limit');
    expect(err.code).toBe('rate_limit_exceeded');
    expect(err.message).toBe('Rate limit reached: this API key allows 50 requests per minute. Try again in 24s.');
    expect(err.headers).toEqual({ 'retry-after': '24' });
  });

  it('names the token limit with its own code', () => {
    const err = rateLimited('tokens', { requestsPerMinute: 50, tokensPerMinute: 40_000 }, window, at('2026-11-26T17:05:00Z'));

    expect(err.code).toBe('tokens_rate_limit_exceeded');
    expect(err.message).toContain('40000 tokens per minute');
    expect(err.headers['retry-after']).toBe('60');
  });

  it('never tells a client to come back in less than a second', () => {
    expect(rateLimited('requests', { requestsPerMinute: 1 }, window, window.endsAt - 1).headers['retry-after']).toBe('1');
  });

  it('still answers when the store could not say which limit', () => {
    const err = rateLimited(undefined, { requestsPerMinute: 1 }, window, at('2026-11-26T17:05:30Z'));

    expect(err.message).toBe('Rate limit reached for this API key. Try again in 30s.');
    expect(err.headers).toEqual({ 'retry-after': '30' });
  });
});
