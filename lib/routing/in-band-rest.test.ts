import { HEADROOM } from './headroom';
import { inBandRetryAfter } from './in-band-rest';

describe('inBandRetryAfter', () => {
  const now = Date.parse('2026-11-27T21:00:00Z');
  const anthropic = (kind: string, remaining: string, reset: string) => ({
    [`anthropic-ratelimit-${kind}-limit`]: '40000',
    [`anthropic-ratelimit-${kind}-remaining`]: remaining,
    [`anthropic-ratelimit-${kind}-reset`]: reset,
  });

  it.each<[string, Record<string, string | string[] | undefined>, string | undefined]>([
    ['no headers', {}, undefined],
    ["the answer's own retry-after", { 'retry-after': '7' }, '7'],
    ['retry-after as an HTTP date', { 'retry-after': 'Fri, 27 Nov 2026 21:00:30 GMT' }, '30'],
    ["OpenAI's retry-after-ms, rounded up to whole seconds", { 'retry-after-ms': '1500' }, '2'],
    ['retry-after over a spent quota', { 'retry-after': '3', ...anthropic('tokens', '0', '2026-11-27T21:00:20Z') }, '3'],
    ["Anthropic's spent token quota: until its reset", anthropic('tokens', '0', '2026-11-27T21:00:20Z'), '20'],
    ['a quota with some left says nothing', anthropic('tokens', '1000', '2026-11-27T21:00:20Z'), undefined],
    [
      'two spent quotas: until the later reset',
      { ...anthropic('input-tokens', '0', '2026-11-27T21:00:12Z'), ...anthropic('output-tokens', '0', '2026-11-27T21:00:45Z'), ...anthropic('requests', '10', '2026-11-27T21:00:59Z') },
      '45',
    ],
    ['a reset already past: none left to wait', anthropic('requests', '0', '2026-11-27T20:59:00Z'), '0'],
    ["OpenAI's spent quota: its reset as a duration", { 'x-ratelimit-limit-tokens': '30000', 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': '12.5s' }, '13'],
    ['a day-long reset is believed no further than a retry-after is', anthropic('tokens', '0', '2026-11-28T21:00:00Z'), String(HEADROOM.maxResetMs / 1000)],
    ['an unreadable reset, a quota spent: read as a minute away', anthropic('tokens', '0', 'soon'), String(HEADROOM.unknownResetMs / 1000)],
    ['a header given twice: the first', { 'retry-after': ['4', '9'] }, '4'],
  ])('%s', (_what, headers, expected) => {
    // Act
    const said = inBandRetryAfter(headers, now);

    // Assess
    expect(said).toBe(expected);
  });
});
