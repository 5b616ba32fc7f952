import { HEADROOM } from './headroom';
import { rateLimitRetryAfter } from './rate-limit-wait';

describe('rateLimitRetryAfter', () => {
  const now = Date.parse('2026-11-27T21:00:00Z');
  const anthropic = (kind: string, remaining: string, reset: string) => ({
    [`anthropic-ratelimit-${kind}-limit`]: '40000',
    [`anthropic-ratelimit-${kind}-remaining`]: remaining,
    [`anthropic-ratelimit-${kind}-reset`]: reset,
  });
  const openai = (kind: 'requests' | 'tokens', remaining: string, reset: string) => ({
    [`x-ratelimit-limit-${kind}`]: '30000',
    [`x-ratelimit-remaining-${kind}`]: remaining,
    [`x-ratelimit-reset-${kind}`]: reset,
  });

  it.each<[string, Record<string, string | string[] | undefined>, string | undefined]>([
    ['no headers', {}, undefined],
    ["the answer's own retry-after", { 'retry-after': '7' }, '7'],
    ['retry-after as an HTTP date', { 'retry-after': 'Fri, 27 Nov 2026 21:00:30 GMT' }, '30'],
    ["OpenAI's retry-after-ms, rounded up to whole seconds", { 'retry-after-ms': '1500' }, '2'],
    ['retry-after-ms over retry-after (the finer of the two)', { 'retry-after-ms': '2500', 'retry-after': '9' }, '3'],
    ['retry-after over a spent quota', { 'retry-after': '3', ...anthropic('tokens', '0', '2026-11-27T21:00:20Z') }, '3'],
    ["Anthropic's spent token quota: until its reset", anthropic('tokens', '0', '2026-11-27T21:00:20Z'), '20'],
    ['a reset 300 ms away: a whole second, never 0', anthropic('tokens', '0', '2026-11-27T21:00:00.300Z'), '1'],
    ['a quota with some left says nothing', anthropic('tokens', '1000', '2026-11-27T21:00:20Z'), undefined],
    [
      'two spent quotas: until the later reset',
      { ...anthropic('input-tokens', '0', '2026-11-27T21:00:12Z'), ...anthropic('output-tokens', '0', '2026-11-27T21:00:45Z'), ...anthropic('requests', '10', '2026-11-27T21:00:59Z') },
      '45',
    ],
    // Its quota full again, the answer's own word contradicts it (or the clocks differ): no wait it can vouch for.
    ['a reset already past says nothing', anthropic('requests', '0', '2026-11-27T20:59:00Z'), undefined],
    ['a reset now says nothing', anthropic('requests', '0', '2026-11-27T21:00:00Z'), undefined],
    ["OpenAI's spent quota: its reset as a duration", openai('tokens', '0', '12.5s'), '13'],
    ["OpenAI's reset in milliseconds: a whole second", openai('requests', '0', '20ms'), '1'],
    ["OpenAI's requests and tokens both spent: the later", { ...openai('requests', '0', '1s'), ...openai('tokens', '0', '1m30s') }, '90'],
    ["OpenAI's tokens spent, its requests not: the tokens'", { ...openai('requests', '99', '2m'), ...openai('tokens', '0', '6s') }, '6'],
    ["OpenAI's six-minute reset is believed no further than a retry-after is", openai('tokens', '0', '6m0s'), String(HEADROOM.maxResetMs / 1000)],
    ['a day-long reset is believed no further than a retry-after is', anthropic('tokens', '0', '2026-11-28T21:00:00Z'), String(HEADROOM.maxResetMs / 1000)],
    // Headroom guesses a minute for such a reset (`HEADROOM.unknownResetMs`): a guess is no wait to tell a client or rest an account by.
    ['an unreadable reset, a quota spent: says nothing', anthropic('tokens', '0', 'soon'), undefined],
    ["Azure's spent quota, which names no reset: says nothing", { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-remaining-tokens': '5000' }, undefined],
    ['a quota with no reset spent, another with one: the one said', { 'x-ratelimit-remaining-requests': '0', ...openai('tokens', '0', '9s') }, '9'],
    ['a header given twice: the first', { 'retry-after': ['4', '9'] }, '4'],
    ['quota headers given twice: the first of each', { 'x-ratelimit-remaining-tokens': ['0', '5'], 'x-ratelimit-reset-tokens': ['8s', '1s'] }, '8'],
  ])('%s', (_what, headers, expected) => {
    // Act
    const said = rateLimitRetryAfter(headers, now);

    // Assess
    expect(said).toBe(expected);
  });
});
