import { parseConfig } from '../config/load';
import { Catalog } from '../routing/catalog';
import { ConversationlessAccounts, NO_CONVERSATIONS_FOR_MS } from './conversationless-accounts';

const config = parseConfig({
  providers: [
    { id: 'az-old', type: 'azure-openai', baseUrl: 'https://west.openai.azure.com', accounts: [{ id: 'west', apiKey: { env: 'AZ' } }, { id: 'north', apiKey: { env: 'AZ' } }] },
    { id: 'az', type: 'azure-openai', baseUrl: 'https://east.openai.azure.com', accounts: [{ id: 'east', apiKey: { env: 'AZ' } }] },
  ],
  models: [{ name: 'gpt-4o', targets: [{ provider: 'az-old', model: 'gpt4o' }, { provider: 'az', model: 'gpt4o' }] }],
});
const targets = new Catalog(config).find('gpt-4o')!.targets;
/** What `askable` leaves: each target's provider and its accounts. */
const shape = (left: ReturnType<ConversationlessAccounts['askable']>) => left.map((t) => `${t.provider.id}: ${t.accounts.map((a) => a.id).join(', ')}`);

describe('ConversationlessAccounts', () => {
  it.each<[string, [string, string][], number, string[]]>([
    ['every account while none is remembered', [], 0, ['az-old: west, north', 'az: east']],
    ["a target's other accounts when one is remembered", [['az-old', 'west']], 0, ['az-old: north', 'az: east']],
    ['no target left with no account', [['az-old', 'west'], ['az-old', 'north']], 0, ['az: east']],
    ['nothing when every account is remembered', [['az-old', 'west'], ['az-old', 'north'], ['az', 'east']], 0, []],
    ['an account still remembered a moment before its hour ends', [['az', 'east']], NO_CONVERSATIONS_FOR_MS - 1, ['az-old: west, north']],
    ['an account again once its hour has passed', [['az', 'east']], NO_CONVERSATIONS_FOR_MS, ['az-old: west, north', 'az: east']],
  ])('leaves a create %s', (_case, remembered, laterMs, expected) => {
    // Prepare
    let now = 1_000_000;
    const accounts = new ConversationlessAccounts(() => now);
    for (const [provider, account] of remembered) accounts.remember(provider, account);

    // Act
    now += laterMs;
    const left = accounts.askable(targets);

    // Assess
    expect(shape(left)).toEqual(expected);
  });

  it('hands back the targets themselves while it remembers nothing, and the untouched ones as they are', () => {
    const accounts = new ConversationlessAccounts(() => 0);
    expect(accounts.askable(targets)).toBe(targets);
    accounts.remember('az-old', 'west');
    expect(accounts.askable(targets)[1]).toBe(targets[1]);
  });

  it("hands back the targets themselves again once every account's hour has passed, even one no create asked about since", () => {
    // Prepare: an account of no target here is remembered, and its hour passes.
    let now = 0;
    const accounts = new ConversationlessAccounts(() => now, 10);
    accounts.remember('elsewhere', 'gone');

    // Act
    now = 10;
    const left = accounts.askable(targets);

    // Assess
    expect(left).toBe(targets);
  });

  it('tells whether an account is newly remembered: not while it is, again once its hour has passed', () => {
    // Prepare
    let now = 0;
    const accounts = new ConversationlessAccounts(() => now, 10);

    // Act
    const told = [accounts.remember('az', 'east'), accounts.remember('az', 'east'), accounts.remember('az', 'west')];
    now = 20;
    told.push(accounts.remember('az', 'east'));

    // Assess
    expect(told).toEqual([true, false, true, true]);
  });

  it('forgets an account whose hour has passed, and remembers it anew from its next 404', () => {
    // Prepare
    let now = 0;
    const accounts = new ConversationlessAccounts(() => now, 10);
    accounts.remember('az', 'east');

    // Act and assess
    now = 10;
    expect(accounts.remembers('az', 'east')).toBe(false);
    accounts.remember('az', 'east');
    now = 19;
    expect(accounts.remembers('az', 'east')).toBe(true);
  });
});
