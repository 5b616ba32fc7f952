import { NO_TOKENS, type TokenUsage } from '../usage/tokens';
import { spentBy } from './finish';

const SOME: TokenUsage = { ...NO_TOKENS, input: 17, output: 9 };
const PROMPT_ONLY: TokenUsage = { ...NO_TOKENS, input: 17 };

describe('spentBy', () => {
  it.each([
    { name: 'a call that reached no upstream', attempts: 0, outcome: 'error' as const, tokens: NO_TOKENS, cost: undefined, expected: 0 },
    { name: 'a call that reached no upstream, even priced', attempts: 0, outcome: 'error' as const, tokens: SOME, cost: 120, expected: 0 },
    { name: 'a whole answer', attempts: 1, outcome: 'ok' as const, tokens: SOME, cost: 120, expected: 120 },
    { name: 'a whole answer of an unpriced target', attempts: 1, outcome: 'ok' as const, tokens: SOME, cost: undefined, expected: 0 },
    { name: 'a stream cut by the upstream with nothing counted or estimated (keeps its hold)', attempts: 1, outcome: 'interrupted' as const, tokens: NO_TOKENS, cost: 0, expected: undefined },
    { name: 'a stream its client left with nothing counted (keeps its hold)', attempts: 1, outcome: 'aborted' as const, tokens: NO_TOKENS, cost: 0, expected: undefined },
    { name: 'a cut stream charged its estimated prompt', attempts: 1, outcome: 'interrupted' as const, tokens: PROMPT_ONLY, cost: 51, expected: 51 },
    { name: 'a stream its client left, charged what was relayed', attempts: 2, outcome: 'aborted' as const, tokens: SOME, cost: 120, expected: 120 },
    { name: "an upstream's in-band error with no tokens", attempts: 1, outcome: 'upstream_error' as const, tokens: NO_TOKENS, cost: 0, expected: 0 },
    { name: "an upstream's in-band error after usage came", attempts: 1, outcome: 'upstream_error' as const, tokens: SOME, cost: 120, expected: 120 },
    { name: 'an error answer of the upstream (no stream)', attempts: 1, outcome: 'error' as const, tokens: NO_TOKENS, cost: undefined, expected: 0 },
  ])('$name: $expected', ({ attempts, outcome, tokens, cost, expected }) => {
    // Act
    const spent = spentBy({ attempts, outcome }, tokens, cost);

    // Assess
    expect(spent).toBe(expected);
  });
});
