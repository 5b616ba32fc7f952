import { parseConfig } from './load';
import { issuesOf } from '../../test/config-issues';

const provider = { id: 'openai', type: 'openai', accounts: [{ id: 'main', apiKey: { env: 'OPENAI_API_KEY' } }] };
const models = [{ name: 'gpt-4o-mini', targets: [{ provider: 'openai', model: 'gpt-4o-mini' }] }];

/** The config with the gateway's `timeouts` and the provider's own. */
const configWith = (timeouts: unknown, providerTimeouts?: unknown) => ({
  providers: [{ ...provider, ...(providerTimeouts === undefined ? {} : { timeouts: providerTimeouts }) }],
  models,
  ...(timeouts === undefined ? {} : { timeouts }),
});


describe('timeouts.firstByteMs', () => {
  it.each<[string, unknown, unknown, string[]]>([
    ['absent: no deadline', undefined, undefined, []],
    ['gateway-wide', { firstByteMs: 8000 }, undefined, []],
    ['per provider', undefined, { firstByteMs: 5000 }, []],
    ['at its least', { firstByteMs: 100 }, undefined, []],
    ['in seconds by mistake', { firstByteMs: 8 }, undefined, ['timeouts.firstByteMs: timeouts.firstByteMs is at least 100 milliseconds (it counts milliseconds, not seconds)']],
    ['a fraction', { firstByteMs: 1500.5 }, undefined, ['timeouts.firstByteMs: timeouts.firstByteMs is a whole number of milliseconds']],
    ['a string', { firstByteMs: '8s' }, undefined, ['timeouts.firstByteMs: timeouts.firstByteMs is a number of milliseconds']],
    ['negative, per provider', undefined, { firstByteMs: -1 }, ['providers[0].timeouts.firstByteMs: providers[].timeouts.firstByteMs is at least 100 milliseconds (it counts milliseconds, not seconds)']],
    // Node runs a longer timer after 1 ms (TimeoutOverflowWarning): every call would fail at once.
    ['past what a timer can wait (2^31 - 1 ms, about 24.8 days)', { firstByteMs: 3_000_000_000 }, undefined, ['timeouts.firstByteMs: timeouts.firstByteMs is at most 2147483647 milliseconds (about 24.8 days)']],
    ['past what a timer can wait, per provider', undefined, { firstByteMs: 2 ** 31 }, ['providers[0].timeouts.firstByteMs: providers[].timeouts.firstByteMs is at most 2147483647 milliseconds (about 24.8 days)']],
    ['at the most a timer can wait', { firstByteMs: 2 ** 31 - 1 }, undefined, []],
    ['misspelt', { firstByteMS: 8000 }, undefined, ['timeouts: Unrecognized key: "firstByteMS"']],
    ['turned off for one provider (null)', { firstByteMs: 8000 }, { firstByteMs: null }, []],
    ['null gateway-wide: absent is the way to have none', { firstByteMs: null }, undefined, ['timeouts.firstByteMs: timeouts.firstByteMs is a number of milliseconds']],
  ])('%s', (_what, timeouts, providerTimeouts, expected) => {
    // Act
    const issues = issuesOf(configWith(timeouts, providerTimeouts));

    // Assess
    expect(issues).toEqual(expected);
  });

  it('leaves the gateway-wide timeouts without a deadline by default, beside their 300 s defaults', () => {
    // Act
    const config = parseConfig(configWith(undefined));

    // Assess
    expect(config.timeouts).toEqual({ headersMs: 300_000, idleMs: 300_000 });
  });

  it('keeps a deadline set with the other timeouts left to their defaults', () => {
    // Act
    const config = parseConfig(configWith({ firstByteMs: 8000 }, { firstByteMs: 3000 }));

    // Assess
    expect(config.timeouts).toEqual({ headersMs: 300_000, idleMs: 300_000, firstByteMs: 8000 });
    expect(config.providers[0]!.timeouts).toEqual({ firstByteMs: 3000 });
  });
});
