import { matchesFilterPattern, matchesJsonPattern, matchesTermPattern, publishedValue } from './filter-pattern';

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

describe('matchesJsonPattern', () => {
  // The documented examples' event and patterns: CloudWatch Logs, "Using filter patterns to match terms in JSON log events"
  // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/matching-terms-json-log-events.html), under
  // "Filter pattern syntax…" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html).
  // The page writes `!= 123.123.*` unquoted; the evaluator reads the quoted form CDK writes only.
  const EVENT = JSON.stringify({
    eventType: 'UpdateTrail',
    sourceIPAddress: '123.123.123.123',
    arrayKey: ['value', 'another value'],
    objectList: [{ name: 'a', id: 1 }, { name: 'b', id: 2 }],
    SomeObject: null,
    cidrIp: '10.0.0.0/8',
    ThisFlag: true,
    user: { id: 1, email: 'John.Doe@example.com' },
    users: [{ id: 2, email: 'John.Doe@example.com' }],
    actions: ['GET', 'PUT', 'DELETE'],
  });

  it.each([
    { pattern: '{ $.eventType = "UpdateTrail" }', matches: true },
    { pattern: '{ $.eventType = "Update*" }', matches: true },
    { pattern: '{ $.sourceIPAddress != "123.123.*" }', matches: false },
    { pattern: '{ $.arrayKey[0] = "value" }', matches: true },
    { pattern: '{ $.objectList[1].id = 2 }', matches: true },
    { pattern: '{ $.SomeObject IS NULL }', matches: true },
    { pattern: '{ $.SomeOtherObject NOT EXISTS }', matches: true },
    { pattern: '{ $.ThisFlag IS TRUE }', matches: true },
    { pattern: '{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', matches: true },
    { pattern: '{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }', matches: false },
    { pattern: '{ ($.user.id = 1 && $.users[0].email = "John.Doe@example.com") || $.actions[2] = "GET" }', matches: true },
    // Not on the page, the evaluator's reading (the stack's patterns compare strings with strings and
    // numbers with numbers only, so none depends on it): a number compared as a string, or a missing field, no match.
    { pattern: '{ $.user.id = "1" }', matches: false },
    { pattern: '{ $.user.name = "x" }', matches: false },
    { pattern: '{ $.missing > 0 }', matches: false },
  ])('$pattern: $matches', ({ pattern, matches }) => {
    expect(matchesJsonPattern(pattern, EVENT)).toBe(matches);
  });

  it('matches no event that is not a JSON object (a platform line, an array)', () => {
    expect(matchesJsonPattern('{ $.level = "ERROR" }', '2026-11-27T19:00:00.000Z\tid\tERROR\tInvoke Error')).toBe(false);
    expect(matchesJsonPattern('{ $.level = "ERROR" }', '[{"level":"ERROR"}]')).toBe(false);
  });

  it.each(['{ $.a = 1 && $.b = 2 || $.c = 3 }', '{ $.a > "x" }', '$.a = 1', '{ ($.a = 1 }'])('refuses %s, which it cannot read as documented', (pattern) => {
    expect(() => matchesJsonPattern(pattern, '{"a":1}')).toThrow();
  });
});

describe('matchesFilterPattern and publishedValue', () => {
  it('tells a JSON pattern from a term pattern by its braces', () => {
    expect(matchesFilterPattern('{ $.lost > 0 }', '{"lost":3}')).toBe(true);
    expect(matchesFilterPattern('"lost"', '{"lost":3}')).toBe(true);
  });

  it.each([
    { value: '1', event: '{"lost":3}', published: 1 },
    { value: '$.lost', event: '{"lost":3}', published: 3 },
    { value: '$.lost', event: '{"lost":"3"}', published: undefined },
    { value: '$.lost', event: '{}', published: undefined },
  ])('publishes $published for $value on $event', ({ value, event, published }) => {
    expect(publishedValue(value, event)).toBe(published);
  });
});
