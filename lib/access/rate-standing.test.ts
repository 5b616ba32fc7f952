import { rateStanding, type ScopeCounts } from './rate-standing';

const key = (limits: ScopeCounts['limits'], requests: number, tokens = 0): ScopeCounts => ({ limits, requests, tokens });

describe('rateStanding', () => {
  it.each<[string, ScopeCounts[], ReturnType<typeof rateStanding>]>([
    ['a requests limit', [key({ requestsPerMinute: 10 }, 3)], { requests: { limit: 10, remaining: 7 }, resetsAt: 60_000 }],
    ['a tokens limit', [key({ tokensPerMinute: 1000 }, 1, 400)], { tokens: { limit: 1000, remaining: 600 }, resetsAt: 60_000 }],
    ['both, tokens already past the limit', [key({ requestsPerMinute: 5, tokensPerMinute: 100 }, 5, 130)], { requests: { limit: 5, remaining: 0 }, tokens: { limit: 100, remaining: 0 }, resetsAt: 60_000 }],
    [
      'a key and its team, each kind from the scope with the least left',
      [key({ requestsPerMinute: 10, tokensPerMinute: 5000 }, 2, 100), key({ requestsPerMinute: 600, tokensPerMinute: 2000 }, 595, 1500)],
      { requests: { limit: 600, remaining: 5 }, tokens: { limit: 2000, remaining: 500 }, resetsAt: 60_000 },
    ],
    ['a tie, the smaller limit', [key({ requestsPerMinute: 600 }, 595), key({ requestsPerMinute: 10 }, 5)], { requests: { limit: 10, remaining: 5 }, resetsAt: 60_000 }],
    ['no per-minute limits', [key({}, 3)], undefined],
    ['no scopes', [], undefined],
  ])('reads %s', (_name, scopes, expected) => {
    expect(rateStanding(scopes, 60_000)).toEqual(expected);
  });
});
