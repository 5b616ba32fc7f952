import { matchesTermPattern } from './filter-pattern';

describe('matchesTermPattern', () => {
  it.each([
    // The documented examples (CloudWatch Logs, "Matching terms in unstructured log events").
    { pattern: 'ERROR', event: '[ERROR 400] BAD REQUEST', matches: true },
    { pattern: 'ERROR', event: '[INFO] 200 OK', matches: false },
    { pattern: 'ERROR ARGUMENTS', event: '[ERROR 401] UNAUTHORIZED REQUEST', matches: false },
    { pattern: 'ERROR ARGUMENTS', event: '[ERROR 419] MISSING ARGUMENTS', matches: true },
    { pattern: '?ERROR ?ARGUMENTS', event: '[WARN 419] MISSING ARGUMENTS', matches: true },
    { pattern: '?ERROR ?ARGUMENTS', event: '[INFO] 200 OK', matches: false },
    { pattern: '"INTERNAL SERVER ERROR"', event: '[ERROR 500] INTERNAL SERVER ERROR', matches: true },
    { pattern: '"INTERNAL SERVER ERROR"', event: '[ERROR 500] INTERNAL ERROR SERVER', matches: false },
    { pattern: 'ERROR -ARGUMENTS', event: '[ERROR 419] MISSING ARGUMENTS', matches: false },
    { pattern: 'ERROR -ARGUMENTS', event: '[ERROR 401] UNAUTHORIZED REQUEST', matches: true },
    // Terms are case-sensitive.
    { pattern: 'ERROR', event: '[error 400] bad request', matches: false },
    // The proxy's: a platform line, and a JSON line of the gateway's that carries the same phrase.
    { pattern: '"Task timed out after" -"sampling_rate"', event: '2026-11-27T19:00:00.000Z 6f1c Task timed out after 900.00 seconds', matches: true },
    { pattern: '"Task timed out after" -"sampling_rate"', event: '{"level":"INFO","message":"request","sampling_rate":0,"model":"Task timed out after"}', matches: false },
  ])('$pattern on "$event": $matches', ({ pattern, event, matches }) => {
    expect(matchesTermPattern(pattern, event)).toBe(matches);
  });

  it.each(['{ $.message = "x" }', '[ip, user]', '%ERROR%', '?ERROR Exception'])('refuses %s, which is not a documented unstructured term pattern', (pattern) => {
    expect(() => matchesTermPattern(pattern, 'ERROR')).toThrow();
  });
});
