import { TOKEN_ESTIMATE } from '../anthropic-messages/count-tokens';
import type { EmbeddingsInput } from './request';
import { embeddingsInputTokens } from './tokens';

describe('embeddingsInputTokens', () => {
  it.each<{ name: string; input: EmbeddingsInput; expected: number }>([
    { name: 'estimates a text at ~3.4 characters a token', input: 'x'.repeat(34), expected: 10 },
    { name: 'rounds a short text up to one token', input: 'x', expected: 1 },
    { name: 'rounds each text of an array up on its own', input: ['x', 'y'.repeat(35)], expected: 1 + 11 },
    { name: 'counts a token array exactly', input: [11, 22, 33], expected: 3 },
    { name: 'counts every token of token arrays', input: [[1, 2], [3], [4, 5, 6]], expected: 6 },
  ])('$name', ({ input, expected }) => {
    expect(embeddingsInputTokens(input)).toBe(expected);
  });

  it('uses the same characters per token as count_tokens', () => {
    expect(embeddingsInputTokens('z'.repeat(Math.round(TOKEN_ESTIMATE.charsPerToken * 100)))).toBe(100);
  });
});
