import { Logger } from '@aws-lambda-powertools/logger';
import { createLogger, isoTimestamp } from './logger';

/** What a logger writes to stdout and stderr while `act` runs, line by line. */
function written(act: () => void): { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (err.push(String(chunk)), true));
  try {
    act();
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
  return { out, err };
}

const withoutTime = (line: string) => line.replace(/"timestamp":"[^"]*"/, '"timestamp":"T"');

/** The line Powertools' own Logger writes for the same call, for comparison. */
function powertoolsLine(message: string, fields: Record<string, unknown>, level: 'INFO' | 'WARN' = 'INFO'): string[] {
  return written(() => new Logger({ serviceName: 'aigw', logLevel: level }).info(message, fields)).out.map(withoutTime);
}

function gatewayLine(message: string, fields: Record<string, unknown>, level: 'INFO' | 'WARN' = 'INFO'): string[] {
  return written(() => createLogger({ serviceName: 'aigw', level }).info(message, fields)).out.map(withoutTime);
}

describe('the gateway logger writes the lines Powertools writes', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  test.each<[string, Record<string, unknown>]>([
    ['an access line', { requestId: 'r1', surface: 'openai', keyId: 'key_1', model: 'gpt-4o-mini', provider: 'p', account: 'a', stream: false, status: 200, outcome: 'ok', attempts: 1, latencyMs: 3.04, ttftMs: 2.65, inputTokens: 12, outputTokens: 13 }],
    ['empty fields left out', { requestId: 'r1', endUser: undefined, errorCode: null, errorDetail: '', status: 0, estimated: false }],
    ['arrays of values', { params: ['temperature', 'top_p'], counts: [1, 2], empty: [] }],
    ['text needing escapes', { detail: 'quote " backslash \\ newline \n tab \t \u2028 é 🙂', 'key "odd"': 1 }],
    ['numbers JSON has no word for', { nan: NaN, inf: Infinity, negZero: -0 }],
    ['no fields', {}],
  ])('%s', (_name, fields) => {
    const expected = powertoolsLine('request', fields);
    const viaPowertools = jest.spyOn(Logger.prototype, 'info');
    try {
      expect(gatewayLine('request', fields)).toEqual(expected);
      // Written by the gateway's own path, not handed back to Powertools.
      expect(viaPowertools).not.toHaveBeenCalled();
    } finally {
      viaPowertools.mockRestore();
    }
  });

  test.each<[string, Record<string, unknown>]>([
    ['a field named as an array index (an object puts it first)', { b: 2, '1': 'a' }],
    ['the largest array index', { b: 2, '4294967294': 'a', '4294967295': 'c' }],
    ['a field named __proto__, as JSON.parse makes one', JSON.parse('{"__proto__":"x","a":1}')],
    ['a field named constructor', { constructor: 'c', toString: 's' }],
    ['a field inherited, not its own', Object.assign(Object.create({ inherited: 1 }), { a: 1 })],
  ])('a line Powertools writes in another order or without a field is the same line: %s', (_name, fields) => {
    expect(gatewayLine('request', fields)).toEqual(powertoolsLine('request', fields));
  });

  test('lines of odd keys and values are Powertools’ byte for byte (seeded fuzz)', () => {
    // Prepare: flat fields from edge keys and values (lone surrogates, control characters, numbers JSON writes oddly).
    let state = 20261127;
    const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const keys = ['requestId', 'status', 'é', '🙂', '', ' ', 'a"b', 'a\\b', '\u0000', '\ud800', 'toString', 'valueOf', 'hasOwnProperty', '-1', '01', '1.5', 'NaN', 'x'.repeat(300)];
    const scalars: unknown[] = [
      '', 'x', 'é🙂', '\ud800', '\udfff', '\udfff\ud800', '\u0000\u0001\u001f\u007f', '\b\f\n\r\t', '\u2028\u2029', '</script>', '\\"', 'y'.repeat(100_000),
      0, -0, 1, -1, 0.1 + 0.2, 1e21, 1e-7, 123456789012345680000, Number.MAX_VALUE, Number.MIN_VALUE, Number.MAX_SAFE_INTEGER + 2, NaN, Infinity, -Infinity,
      true, false, null, undefined,
    ];
    const value = () => (random() < 0.2 ? Array.from({ length: Math.floor(random() * 4) }, () => pick(scalars.filter((v) => v !== null && v !== undefined))) : pick(scalars));
    const lines = Array.from({ length: 300 }, () => Object.fromEntries(Array.from({ length: Math.floor(random() * 6) }, () => [pick(keys), value()])));

    // Act
    const differing = lines.filter((fields) => JSON.stringify(gatewayLine('request', fields)) !== JSON.stringify(powertoolsLine('request', fields)));

    // Assess
    expect(differing).toEqual([]);
  });

  test('a line whose fields are not flat is written by Powertools, the same as ever', () => {
    const nested = { requestId: 'r1', error: new Error('boom'), limits: { rpm: 10 }, big: 10n };
    expect(gatewayLine('request failed', nested).map((l) => l.replace(/"stack":"[^"]*"/, ''))).toEqual(powertoolsLine('request failed', nested).map((l) => l.replace(/"stack":"[^"]*"/, '')));
  });

  test('a field named as one of the line’s own keys is merged as Powertools merges it', () => {
    expect(gatewayLine('request', { service: 'other', level: 'x', a: 1 })).toEqual(powertoolsLine('request', { service: 'other', level: 'x', a: 1 }));
  });

  test('the trace id of the invocation is on the line, as Powertools puts it', () => {
    process.env._X_AMZN_TRACE_ID = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=557abcec3ee5a047;Sampled=1';
    const line = gatewayLine('request', { requestId: 'r1' });
    expect(line).toEqual(powertoolsLine('request', { requestId: 'r1' }));
    expect(line[0]).toContain('"xray_trace_id":"1-5759e988-bd862e3fe1be46a994272793"');
  });

  test('above INFO the line is not written', () => {
    expect(gatewayLine('request', { requestId: 'r1' }, 'WARN')).toEqual([]);
  });

  test('each line ends with one newline and parses on its own', () => {
    const { out } = written(() => createLogger({ serviceName: 'aigw' }).info('request', { requestId: 'r1', n: 1 }));
    expect(out).toHaveLength(1);
    expect(out[0]!.endsWith('}\n')).toBe(true);
    expect(JSON.parse(out[0]!)).toMatchObject({ level: 'INFO', message: 'request', service: 'aigw', sampling_rate: 0, requestId: 'r1', n: 1 });
    expect(new Date(JSON.parse(out[0]!).timestamp).getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  test.each([
    ['a time zone other than UTC', { TZ: 'Europe/Paris' }],
    ['log sampling', { POWERTOOLS_LOGGER_SAMPLE_RATE: '1' }],
  ])('with %s the line is Powertools’ own', (_name, env) => {
    Object.assign(process.env, env);
    expect(gatewayLine('request', { requestId: 'r1', n: 1 })).toEqual(powertoolsLine('request', { requestId: 'r1', n: 1 }));
  });

  test('keys the logger carries are on every line, as Powertools writes them', () => {
    const ours = createLogger({ serviceName: 'aigw' });
    const theirs = new Logger({ serviceName: 'aigw' });
    ours.appendKeys({ stage: 'prod' });
    theirs.appendKeys({ stage: 'prod' });
    const mine = written(() => ours.info('request', { requestId: 'r1' })).out.map(withoutTime);
    expect(mine).toEqual(written(() => theirs.info('request', { requestId: 'r1' })).out.map(withoutTime));
    expect(mine[0]).toContain('"stage":"prod"');
  });

  test('warnings and errors are Powertools’ own, on stderr', () => {
    const { out, err } = written(() => createLogger({ serviceName: 'aigw' }).warn('careful', { n: 1 }));
    expect(out).toEqual([]);
    expect(JSON.parse(err[0]!)).toMatchObject({ level: 'WARN', message: 'careful', n: 1 });
  });
});

describe('isoTimestamp', () => {
  test.each([
    ['a whole second', Date.UTC(2026, 10, 27, 16, 0, 0, 0)],
    ['one millisecond in', Date.UTC(2026, 10, 27, 16, 0, 0, 1)],
    ['ten milliseconds in', Date.UTC(2026, 10, 27, 16, 0, 0, 10)],
    ['the last millisecond of a second', Date.UTC(2026, 10, 27, 16, 0, 0, 999)],
    ['the next second', Date.UTC(2026, 10, 27, 16, 0, 1, 0)],
    ['the turn of a year', Date.UTC(2026, 11, 31, 23, 59, 59, 999)],
    ['the epoch', 0],
    ['before the epoch', -1],
    ['a leap day', Date.UTC(2028, 1, 29, 12, 30, 45, 123)],
    ['the turn of a minute', Date.UTC(2026, 10, 27, 16, 0, 59, 999)],
    ['the turn of a day', Date.UTC(2026, 10, 27, 23, 59, 59, 999)],
    ['a new year', Date.UTC(2027, 0, 1, 0, 0, 0, 0)],
    ['a six-digit year', Date.UTC(10000, 0, 1, 0, 0, 0, 5)],
    ['a year before 0', Date.UTC(-1, 11, 31, 23, 59, 59, 999)],
    ['the last time a Date holds', 8.64e15],
    ['the first time a Date holds', -8.64e15],
    ['a fraction of a millisecond', Date.UTC(2026, 10, 27, 16, 0, 0, 7) + 0.5],
    ['less than a millisecond', 0.999],
    ['a fraction of a millisecond before the epoch', -1.5],
    ['-0', -0],
  ])('writes %s as Date#toISOString does', (_name, ms) => {
    // Act: twice, the second from the second's text made by the first.
    const first = isoTimestamp(ms);
    const again = isoTimestamp(ms);

    // Assess
    expect(first).toBe(new Date(ms).toISOString());
    expect(again).toBe(first);
  });

  test('is right across seconds one after another, as lines come', () => {
    const start = Date.UTC(2026, 10, 27, 16, 0, 0, 0);
    for (let ms = start - 2_500; ms < start + 2_500; ms += 7) expect(isoTimestamp(ms)).toBe(new Date(ms).toISOString());
  });

  test('is right when the clock goes back, across a second, a minute and a day', () => {
    // Prepare: a clock stepped back (NTP) over boundaries, and lines alternating across one.
    const day = Date.UTC(2026, 10, 28, 0, 0, 0, 0);
    const times = [day + 5, day - 1, day + 1, day - 60_001, day - 60_000, day - 1_000, day - 999, day + 999, day - 1];

    // Act
    const written = times.map(isoTimestamp);

    // Assess
    expect(written).toEqual(times.map((ms) => new Date(ms).toISOString()));
  });

  test.each([['NaN', NaN], ['past the last time a Date holds', 8.64e15 + 1], ['Infinity', Infinity]])('throws for %s as Date#toISOString does', (_name, ms) => {
    expect(() => new Date(ms).toISOString()).toThrow(RangeError);
    expect(() => isoTimestamp(ms)).toThrow(RangeError);
  });
});
