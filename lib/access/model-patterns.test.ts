import { modelAllowed } from './model-patterns';

describe('modelAllowed', () => {
  it.each([
    [['*'], 'anything', true],
    [['gpt-4o*'], 'gpt-4o', true],
    [['gpt-4o*'], 'gpt-4o-mini', true],
    [['gpt-4o*'], 'gpt-4.1', false],
    [['gpt-4o*', 'claude-*'], 'claude-sonnet-4', true],
    [['claude-*'], 'claude', false],
    [['*-mini'], 'o4-mini', true],
    [['gpt-4.1'], 'gpt-4x1', false],
    [['a+b'], 'a+b', true],
    [['a+b'], 'aab', false],
    [[], 'gpt-4o', false],
  ])('with patterns %j, model %s is allowed: %s', (patterns, model, expected) => {
    expect(modelAllowed(patterns, model)).toBe(expected);
  });
});
