import { parseConfig } from '../config/load';
import { unpricedModels, unpricedModelsLine } from './unpriced';

const provider = { id: 'p', type: 'openai', accounts: [{ id: 'a', apiKey: { env: 'K' } }] };
const PRICE = { input: 1, output: 2 };

describe('unpricedModels', () => {
  it.each([
    ['a model with a price', [{ name: 'm', price: PRICE, targets: [{ provider: 'p', model: 'x' }] }], []],
    ['a model without one', [{ name: 'm', targets: [{ provider: 'p', model: 'x' }] }], ['m']],
    ['a model priced on each target', [{ name: 'm', targets: [{ provider: 'p', model: 'x', price: PRICE }, { provider: 'p', model: 'y', price: PRICE }] }], []],
    ['a model one of whose targets has no price (a budget cannot hold its failover)', [{ name: 'm', targets: [{ provider: 'p', model: 'x', price: PRICE }, { provider: 'p', model: 'y' }] }], ['m']],
    ['a pattern', [{ name: 'claude-*', targets: [{ provider: 'p', model: 'claude-*' }] }, { name: 'n', price: { perRequest: 0.01 }, targets: [{ provider: 'p', model: 'n' }] }], ['claude-*']],
  ])('finds %s', (_name, models, expected) => {
    // Prepare
    const config = parseConfig({ providers: [provider], models });

    // Act
    const names = unpricedModels(config);

    // Assess
    expect(names).toEqual(expected);
  });
});

describe('unpricedModelsLine', () => {
  it('says nothing when every model has a price', () => {
    expect(unpricedModelsLine([])).toBeUndefined();
  });

  it('names the models without a price and what that means for cost and budgets', () => {
    expect(unpricedModelsLine(['gpt-4o-mini', 'claude-*'])).toBe(
      '  prices: none for gpt-4o-mini, claude-* (no `price` in the config): their cost is not counted, and keys with a budget may not use them',
    );
  });
});
