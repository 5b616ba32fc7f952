import { rateLimitHeaders } from './rate-limit-headers';

const resetsAt = Date.parse('2026-11-26T20:23:00Z');
const now = resetsAt - 12_345;

describe('rateLimitHeaders', () => {
  it.each([
    [
      'OpenAI, requests and tokens',
      'openai' as const,
      { requests: { limit: 60, remaining: 59 }, tokens: { limit: 90_000, remaining: 89_000 }, resetsAt },
      {
        'x-ratelimit-limit-requests': '60',
        'x-ratelimit-remaining-requests': '59',
        'x-ratelimit-reset-requests': '13s',
        'x-ratelimit-limit-tokens': '90000',
        'x-ratelimit-remaining-tokens': '89000',
        'x-ratelimit-reset-tokens': '13s',
      },
    ],
    ['OpenAI, requests only, none left', 'openai' as const, { requests: { limit: 5, remaining: 0 }, resetsAt }, { 'x-ratelimit-limit-requests': '5', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '13s' }],
    [
      'Anthropic, requests and tokens',
      'anthropic' as const,
      { requests: { limit: 50, remaining: 49 }, tokens: { limit: 40_000, remaining: 0 }, resetsAt },
      {
        'anthropic-ratelimit-requests-limit': '50',
        'anthropic-ratelimit-requests-remaining': '49',
        'anthropic-ratelimit-requests-reset': '2026-11-26T20:23:00Z',
        'anthropic-ratelimit-tokens-limit': '40000',
        'anthropic-ratelimit-tokens-remaining': '0',
        'anthropic-ratelimit-tokens-reset': '2026-11-26T20:23:00Z',
      },
    ],
    ['Anthropic, tokens only', 'anthropic' as const, { tokens: { limit: 10, remaining: 3 }, resetsAt }, { 'anthropic-ratelimit-tokens-limit': '10', 'anthropic-ratelimit-tokens-remaining': '3', 'anthropic-ratelimit-tokens-reset': '2026-11-26T20:23:00Z' }],
  ])('writes %s', (_name, dialect, standing, expected) => {
    expect(rateLimitHeaders(dialect, standing, now)).toEqual(expected);
  });
});
