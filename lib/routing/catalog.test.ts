import { parseConfig } from '../config/load';
import type { GatewayConfigInput } from '../config/schema';
import { Catalog } from './catalog';

const providers: GatewayConfigInput['providers'] = [
  { id: 'anthropic', type: 'anthropic', accounts: [{ id: 'a', apiKey: { env: 'K' } }, { id: 'b', apiKey: { env: 'K' } }] },
  { id: 'router', type: 'openai-compatible', baseUrl: 'https://openrouter.example/api/v1', accounts: [{ id: 'r', apiKey: { env: 'K' } }] },
];
const catalog = new Catalog(
  parseConfig({
    providers,
    models: [
      { name: 'claude-opus-4-6', price: { input: 5, output: 25 }, targets: [{ provider: 'anthropic', model: 'claude-opus-4-6' }] },
      { name: 'claude-*', price: { input: 3, output: 15 }, targets: [{ provider: 'anthropic', model: 'claude-*' }, { provider: 'router', model: 'anthropic/claude-*' }] },
      { name: 'or/*', targets: [{ provider: 'router', model: '*' }] },
      { name: '*', targets: [{ provider: 'router', model: 'fallback-model' }] },
    ],
  } as GatewayConfigInput),
);

describe('Catalog: models named by a pattern', () => {
  it.each<{ name: string; asked: string; targets: string[]; price?: number }>([
    { name: 'an exact name wins over a pattern that matches it', asked: 'claude-opus-4-6', targets: ['claude-opus-4-6'], price: 5 },
    { name: 'a new version matches the pattern, `*` in the targets standing for the matched part', asked: 'claude-sonnet-4-6-20260101', targets: ['claude-sonnet-4-6-20260101', 'anthropic/claude-sonnet-4-6-20260101'], price: 3 },
    { name: 'a prefix pattern strips the prefix for its target', asked: 'or/meta-llama/llama-4', targets: ['meta-llama/llama-4'] },
    { name: 'patterns are tried in config order (a catch-all last)', asked: 'gpt-5', targets: ['fallback-model'] },
    { name: 'the matched part goes in as it is, `$` and all (no replacement patterns)', asked: "claude-x$&y$`z$'", targets: ["claude-x$&y$`z$'", "anthropic/claude-x$&y$`z$'"], price: 3 },
  ])('$name', ({ asked, targets, price }) => {
    // Act
    const entry = catalog.find(asked);

    // Assess: the entry is named as asked, so key patterns and usage records see the concrete name.
    expect(entry?.name).toBe(asked);
    expect(entry?.targets.map((t) => t.model)).toEqual(targets);
    expect(entry?.targets[0]?.price?.input).toBe(price);
  });

  it('keeps the pattern’s pool (sticky routing applies) and its config', () => {
    const entry = catalog.find('claude-haiku-4-5')!;

    expect(entry.pooled).toBe(true);
    expect(entry.config.name).toBe('claude-*');
  });

  it('matches only a non-empty part: `claude-` alone is no model of `claude-*`', () => {
    const only = new Catalog(parseConfig({ providers, models: [{ name: 'claude-*', targets: [{ provider: 'anthropic', model: 'claude-*' }] }] } as GatewayConfigInput));

    expect(only.find('claude-')).toBeUndefined();
    expect(only.find('gpt-4o')).toBeUndefined();
  });

  it('lists only exact names (a pattern’s cannot be listed)', () => {
    expect(catalog.names()).toEqual(['claude-opus-4-6']);
    expect(catalog.models.map((m) => m.name)).toEqual(['claude-opus-4-6']);
  });

  it('answers alike for names past the bound of those it keeps built', () => {
    const names = Array.from({ length: 1100 }, (_, i) => `claude-test-${i}`);

    const entries = names.map((n) => catalog.find(n));

    expect(entries.every((e, i) => e?.targets[0]?.model === names[i])).toBe(true);
    expect(catalog.find('claude-test-1099')).toEqual(entries[1099]);
  });

  it.each([
    { name: 'a `..` segment in the part', asked: 'gemini-x/../models/gemini-2.5-pro' },
    { name: 'a `.` segment in the part', asked: 'gemini-x/./y' },
    { name: 'a part that is `..` itself', asked: 'or/..' },
  ])('refuses a name whose target model would climb out of its path: $name', ({ asked }) => {
    const gemini = new Catalog(
      parseConfig({
        providers: [...providers, { id: 'google', type: 'gemini', accounts: [{ id: 'g', apiKey: { env: 'K' } }] }],
        models: [
          { name: 'gemini-*', price: { input: 0.3, output: 2.5 }, targets: [{ provider: 'google', model: 'gemini-*' }] },
          { name: 'or/*', targets: [{ provider: 'router', model: '*' }] },
        ],
      } as GatewayConfigInput),
    );

    expect(gemini.find(asked)).toBeUndefined();
    expect(gemini.find('gemini-2.5-flash')?.targets[0]?.model).toBe('gemini-2.5-flash');
  });
});

describe('Catalog: how a target balances its accounts', () => {
  const configWith = (providerBalance: unknown, targetBalance: unknown) =>
    parseConfig({
      providers: [{ id: 'pool', type: 'openai', accounts: [{ id: 'a', apiKey: { env: 'K' } }, { id: 'b', apiKey: { env: 'K' } }], ...(providerBalance ? { balance: providerBalance } : {}) }],
      models: [{ name: 'm', targets: [{ provider: 'pool', model: 'm', ...(targetBalance ? { balance: targetBalance } : {}) }] }],
    } as GatewayConfigInput);

  it.each([
    ['neither names one: weighted, left unmarked', undefined, undefined, undefined],
    ['the provider names one', 'latency', undefined, 'latency'],
    ['the target overrides its provider', 'latency', 'least-busy', 'least-busy'],
    ['a target balances by headroom', undefined, 'headroom', 'headroom'],
    ['the target goes back to weighted', 'least-busy', 'weighted', undefined],
    ['weighted named outright is left unmarked', 'weighted', undefined, undefined],
  ])('%s', (_name, providerBalance, targetBalance, expected) => {
    const entry = new Catalog(configWith(providerBalance, targetBalance)).find('m')!;

    expect(entry.targets[0]!.balance).toBe(expected);
  });

  it.each([
    ['provider', 'fastest', undefined, /providers\[0\]\.balance: providers\[\]\.balance is "weighted", "least-busy", "latency" or "headroom"/],
    ['target', undefined, 'round-robin', /models\[0\]\.targets\[0\]\.balance: models\[\]\.targets\[\]\.balance is "weighted", "least-busy", "latency" or "headroom"/],
  ])('refuses an unknown balance on a %s, naming the field', (_where, providerBalance, targetBalance, message) => {
    expect(() => configWith(providerBalance, targetBalance)).toThrow(message);
  });
});
