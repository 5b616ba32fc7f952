import { HEADROOM, QuotaReadings, durationMs, quotaScope, readQuota, type QuotaWindow } from './headroom';

const NOW = Date.parse('2026-11-27T03:00:00Z');
const in_ = (ms: number) => NOW + ms;

describe('durationMs', () => {
  it.each<[string | undefined, number | undefined]>([
    ['20ms', 20],
    ['1s', 1_000],
    ['0s', 0],
    ['6m0s', 360_000],
    ['1h2m3.5s', 3_723_500],
    ['7.66s', 7_660],
    ['500us', 0.5],
    ['12', 12_000],
    [' 2s ', 2_000],
    ['', undefined],
    [undefined, undefined],
    ['soon', undefined],
    ['5 s', undefined],
    ['-1s', undefined],
    ['1d', undefined],
    ['s', undefined],
  ])('reads %p as %p ms', (value, expected) => {
    expect(durationMs(value)).toBe(expected);
  });
});

describe('readQuota', () => {
  it.each<[string, Record<string, string | string[]>, QuotaWindow[] | undefined]>([
    [
      'OpenAI: requests and tokens, reset as durations',
      {
        'x-ratelimit-limit-requests': '500',
        'x-ratelimit-remaining-requests': '499',
        'x-ratelimit-reset-requests': '120ms',
        'x-ratelimit-limit-tokens': '30000',
        'x-ratelimit-remaining-tokens': '29000',
        'x-ratelimit-reset-tokens': '2s',
      },
      [
        { kind: 'requests', remaining: 499, limit: 500, resetsAt: in_(120) },
        { kind: 'tokens', remaining: 29_000, limit: 30_000, resetsAt: in_(2_000) },
      ],
    ],
    [
      'Azure: what is left only, no limit and no reset (a minute assumed)',
      { 'x-ratelimit-remaining-requests': '99', 'x-ratelimit-remaining-tokens': '99990' },
      [
        { kind: 'requests', remaining: 99, resetsAt: in_(HEADROOM.unknownResetMs), resetGuessed: true },
        { kind: 'tokens', remaining: 99_990, resetsAt: in_(HEADROOM.unknownResetMs), resetGuessed: true },
      ],
    ],
    [
      "Azure's Responses API: -1 is no reading",
      { 'x-ratelimit-limit-tokens': '-1', 'x-ratelimit-remaining-tokens': '-1', 'x-ratelimit-reset-tokens': '0' },
      undefined,
    ],
    [
      'Anthropic: every kind, reset as RFC 3339 times',
      {
        'anthropic-ratelimit-requests-limit': '50',
        'anthropic-ratelimit-requests-remaining': '49',
        'anthropic-ratelimit-requests-reset': '2026-11-27T03:00:01Z',
        'anthropic-ratelimit-tokens-limit': '30000',
        'anthropic-ratelimit-tokens-remaining': '21000',
        'anthropic-ratelimit-tokens-reset': '2026-11-27T03:00:18Z',
        'anthropic-ratelimit-input-tokens-limit': '30000',
        'anthropic-ratelimit-input-tokens-remaining': '21000',
        'anthropic-ratelimit-input-tokens-reset': '2026-11-27T03:00:18Z',
        'anthropic-ratelimit-output-tokens-limit': '8000',
        'anthropic-ratelimit-output-tokens-remaining': '8000',
        'anthropic-ratelimit-output-tokens-reset': '2026-11-27T03:00:00Z',
      },
      [
        { kind: 'requests', remaining: 49, limit: 50, resetsAt: in_(1_000) },
        { kind: 'tokens', remaining: 21_000, limit: 30_000, resetsAt: in_(18_000) },
        { kind: 'input-tokens', remaining: 21_000, limit: 30_000, resetsAt: in_(18_000) },
        { kind: 'output-tokens', remaining: 8_000, limit: 8_000, resetsAt: NOW },
      ],
    ],
    [
      'a reset further than the longest believed is cut to it',
      { 'x-ratelimit-limit-requests': '10000', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '23h59m0s' },
      [{ kind: 'requests', remaining: 0, limit: 10_000, resetsAt: in_(HEADROOM.maxResetMs) }],
    ],
    [
      'an unreadable reset counts as a minute',
      { 'anthropic-ratelimit-requests-limit': '50', 'anthropic-ratelimit-requests-remaining': '3', 'anthropic-ratelimit-requests-reset': 'tomorrow' },
      [{ kind: 'requests', remaining: 3, limit: 50, resetsAt: in_(HEADROOM.unknownResetMs), resetGuessed: true }],
    ],
    [
      'a malformed remaining drops its kind, not the others',
      {
        'x-ratelimit-limit-requests': '500',
        'x-ratelimit-remaining-requests': '4.5e2',
        'x-ratelimit-limit-tokens': '1000',
        'x-ratelimit-remaining-tokens': '250',
        'x-ratelimit-reset-tokens': '1s',
      },
      [{ kind: 'tokens', remaining: 250, limit: 1_000, resetsAt: in_(1_000) }],
    ],
    [
      'a malformed or zero limit is no limit',
      { 'x-ratelimit-limit-requests': 'many', 'x-ratelimit-remaining-requests': '7', 'x-ratelimit-reset-requests': '1s', 'x-ratelimit-limit-tokens': '0', 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': '1s' },
      [
        { kind: 'requests', remaining: 7, resetsAt: in_(1_000) },
        { kind: 'tokens', remaining: 0, resetsAt: in_(1_000) },
      ],
    ],
    ['a header sent twice: the first', { 'x-ratelimit-limit-requests': ['10', '20'], 'x-ratelimit-remaining-requests': ['5', '9'], 'x-ratelimit-reset-requests': '1s' }, [{ kind: 'requests', remaining: 5, limit: 10, resetsAt: in_(1_000) }]],
    ['no rate-limit headers (Gemini, Bedrock, Vertex)', { 'content-type': 'application/json', 'retry-after': '3' }, undefined],
    ['a limit without what is left is no reading', { 'x-ratelimit-limit-requests': '500' }, undefined],
  ])('%s', (_name, headers, expected) => {
    expect(readQuota(headers, NOW)).toEqual(expected);
  });
});

describe('quotaScope', () => {
  it.each([
    ['openai', 'gpt-4o', 'gpt-4o'],
    ['azure-openai', 'my-deployment', 'my-deployment'],
    ['anthropic', 'claude-sonnet-4-6', 'claude-sonnet-4'],
    ['anthropic', 'claude-sonnet-4-5-20250929', 'claude-sonnet-4'],
    ['anthropic', 'claude-opus-4-1-20250805', 'claude-opus-4'],
    ['anthropic', 'claude-haiku-4-5', 'claude-haiku-4'],
    ['anthropic', 'claude-3-7-sonnet-20250219', 'claude-3-7-sonnet-20250219'],
    ['anthropic', 'claude-sonnet-latest', 'claude-sonnet-latest'],
    ['bedrock', 'claude-sonnet-4-6', 'claude-sonnet-4-6'],
  ])('%s %s draws on %s', (type, model, expected) => {
    expect(quotaScope(type, model)).toBe(expected);
  });
});

describe('QuotaReadings', () => {
  const openai = (remainingRequests: number, remainingTokens: number, reset = '30s') => ({
    'x-ratelimit-limit-requests': '100',
    'x-ratelimit-remaining-requests': String(remainingRequests),
    'x-ratelimit-reset-requests': reset,
    'x-ratelimit-limit-tokens': '10000',
    'x-ratelimit-remaining-tokens': String(remainingTokens),
    'x-ratelimit-reset-tokens': reset,
  });
  let now = NOW;
  const readings = () => new QuotaReadings(() => now);
  beforeEach(() => {
    now = NOW;
  });

  it('knows nothing of an account it has not read', () => {
    const r = readings();

    expect([r.headroom('p/a', 'm'), r.exhausted('p/a', 'm')]).toEqual([undefined, false]);
  });

  it('takes the tighter of requests and tokens', () => {
    const r = readings();

    r.record('p/a', 'm', openai(80, 2_500), true);

    expect(r.headroom('p/a', 'm')).toBe(0.25);
  });

  it('keeps readings per account and scope, and the last one wins', () => {
    const r = readings();
    r.record('p/a', 'm', openai(80, 8_000), true);
    r.record('p/a', 'n', openai(10, 8_000), true);
    r.record('p/b', 'm', openai(50, 8_000), true);

    r.record('p/a', 'm', openai(60, 8_000), true);

    expect([r.headroom('p/a', 'm'), r.headroom('p/a', 'n'), r.headroom('p/b', 'm')]).toEqual([0.6, 0.1, 0.5]);
  });

  // Calls sent in order 1, 2, 3 on one account, their answers recorded in the order given: each
  // answer says what was left when the provider took its call in (100 requests, one fewer per call).
  it.each<[string, number[], number]>([
    ['in order: the last sent stays', [1, 2, 3], 0.97],
    ['the first sent answers last (a long whole answer): it does not replace the newer reading', [2, 3, 1], 0.97],
    ['the last sent answers first: the two older ones after it change nothing', [3, 1, 2], 0.97],
    ['the middle one answers last', [1, 3, 2], 0.97],
    ['only the two oldest have answered, newest of them last', [2, 1], 0.98],
  ])('orders readings by when their calls were sent, not by when they answered: %s', (_name, answered, expected) => {
    const r = readings();
    const sent = [r.sending(), r.sending(), r.sending()];

    for (const call of answered) r.record('p/a', 'm', openai(100 - call, 10_000), true, sent[call - 1]);

    expect(r.headroom('p/a', 'm')).toBe(expected);
  });

  it("lets an older call's 429 not bench an account a newer answer says has quota left, and a newer 429 bench it whatever came before", () => {
    const r = readings();
    const [older, newer] = [r.sending(), r.sending()];
    r.record('p/a', 'm', openai(5, 10_000), true, newer);
    r.record('p/a', 'm', openai(0, 10_000), false, older);
    const [olderLast, newer2] = [r.sending(), r.sending()];
    r.record('p/b', 'm', openai(0, 10_000), false, newer2);
    r.record('p/b', 'm', openai(5, 10_000), true, olderLast);

    expect([r.exhausted('p/a', 'm'), r.headroom('p/a', 'm'), r.exhausted('p/b', 'm'), r.headroom('p/b', 'm')]).toEqual([false, 0.05, true, 0]);
  });

  it('keeps order apart per account and scope: a newer call to one does not hold back an older one to another', () => {
    const r = readings();
    const [toA, toB] = [r.sending(), r.sending()];
    r.record('p/b', 'm', openai(40, 10_000), true, toB);

    r.record('p/a', 'm', openai(70, 10_000), true, toA);

    expect([r.headroom('p/a', 'm'), r.headroom('p/b', 'm')]).toEqual([0.7, 0.4]);
  });

  it('still learns an Azure limit from an older answer it does not keep as the reading', () => {
    const r = readings();
    const azure = (requests: number) => ({ 'x-ratelimit-remaining-requests': String(requests) });
    const [older, newer] = [r.sending(), r.sending()];
    r.record('p/a', 'm', azure(30), true, newer);

    r.record('p/a', 'm', azure(120), true, older);
    r.record('p/a', 'm', azure(60), true);

    expect(r.headroom('p/a', 'm')).toBe(0.5);
  });

  it('counts a quota as full once its reset has passed', () => {
    const r = readings();
    r.record('p/a', 'm', { ...openai(10, 9_000, '30s'), 'x-ratelimit-reset-tokens': '90s' }, true);

    now = NOW + 30_000;
    const afterRequests = r.headroom('p/a', 'm');
    now = NOW + 90_000;

    expect([afterRequests, r.headroom('p/a', 'm')]).toEqual([0.9, 1]);
  });

  it('says an account with nothing left is exhausted, and full again once its reset has passed', () => {
    const r = readings();
    r.record('p/a', 'm', openai(0, 9_000, '20s'), true);

    const before = [r.exhausted('p/a', 'm'), r.headroom('p/a', 'm')];
    now = NOW + 20_001;

    expect(before).toEqual([true, 0]);
    expect([r.exhausted('p/a', 'm'), r.headroom('p/a', 'm')]).toEqual([false, 1]);
  });

  it('benches an account with nothing left only until a band of its quota has come back: the reset is when it is full again, and it refills all along', () => {
    const r = readings();
    // 0 of 100 requests left, full again in a minute: one back every 600 ms, a band (5) in 3 s.
    r.record('p/a', 'm', openai(0, 9_000, '1m0s'), true);

    now = NOW + 2_999;
    const soon = [r.exhausted('p/a', 'm'), r.headroom('p/a', 'm')];
    now = NOW + 3_000;

    expect(soon).toEqual([true, 0]);
    expect([r.exhausted('p/a', 'm'), r.headroom('p/a', 'm')]).toEqual([false, 0]);
  });

  it('says an account is no longer exhausted once a later answer says something is left again', () => {
    const r = readings();
    r.record('p/a', 'm', openai(0, 9_000), true);
    r.record('p/b', 'm', openai(0, 9_000), true);

    r.record('p/a', 'm', openai(3, 9_000), true);

    expect([r.exhausted('p/a', 'm'), r.exhausted('p/b', 'm'), r.exhausted('p/a', 'n')]).toEqual([false, true, false]);
  });

  it("keeps a 429's reading (it says 0 left), and ignores an error that says nothing", () => {
    const r = readings();
    r.record('p/a', 'm', openai(0, 0, '10s'), false);
    r.record('p/b', 'm', { 'retry-after': '5' }, false);

    expect([r.exhausted('p/a', 'm'), r.headroom('p/b', 'm')]).toEqual([true, undefined]);
  });

  it('counts an account whose answers report no quota as full, not as never read', () => {
    const r = readings();

    r.record('p/a', 'm', { 'content-type': 'application/json' }, true);

    expect(r.headroom('p/a', 'm')).toBe(1);
  });

  it('takes the most an Azure account has said is left as its limit', () => {
    const r = readings();
    const azure = (requests: number) => ({ 'x-ratelimit-remaining-requests': String(requests) });
    r.record('p/a', 'm', azure(100), true);
    const first = r.headroom('p/a', 'm');

    r.record('p/a', 'm', azure(40), true);

    expect([first, r.headroom('p/a', 'm')]).toEqual([1, 0.4]);
  });

  it("keeps the most an Azure account has said is left through answers that do not say it (its Responses API's -1, a 429 reporting tokens only)", () => {
    const r = readings();
    r.record('p/a', 'm', { 'x-ratelimit-remaining-requests': '100', 'x-ratelimit-remaining-tokens': '10000' }, true);
    r.record('p/a', 'm', { 'x-ratelimit-limit-tokens': '-1', 'x-ratelimit-remaining-tokens': '-1', 'x-ratelimit-reset-tokens': '0' }, true);
    r.record('p/a', 'm', { 'x-ratelimit-remaining-tokens': '6000' }, false);

    r.record('p/a', 'm', { 'x-ratelimit-remaining-requests': '25', 'x-ratelimit-remaining-tokens': '8000' }, true);

    expect(r.headroom('p/a', 'm')).toBe(0.25);
  });

  it('says an Azure account first read with nothing left has no headroom', () => {
    const r = readings();

    r.record('p/a', 'm', { 'x-ratelimit-remaining-tokens': '0' }, true);

    expect([r.headroom('p/a', 'm'), r.exhausted('p/a', 'm')]).toEqual([0, true]);
  });

  it('forgets every reading at the cap, so memory stays bounded whatever models clients name', () => {
    const r = readings();
    for (let i = 0; i < HEADROOM.maxReadings; i++) r.record('p/a', `m${i}`, openai(50, 5_000), true);
    const full = r.headroom('p/a', 'm0');

    r.record('p/a', 'one-more', openai(50, 5_000), true);

    expect([full, r.headroom('p/a', 'm0'), r.headroom('p/a', 'one-more')]).toEqual([0.5, undefined, 0.5]);
  });
});
