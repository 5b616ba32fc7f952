import { charTokens } from '../anthropic-messages/count-tokens';
import type { EmbeddingsInput } from './request';

/**
 * How many tokens an embeddings input holds, at most as far as a budget can tell before the
 * upstream counts them: token arrays are counted exactly; text is estimated at the same
 * characters per token as count_tokens' estimate, each text rounded up.
 */
export function embeddingsInputTokens(input: EmbeddingsInput): number {
  if (typeof input === 'string') return charTokens(input.length);
  let tokens = 0;
  for (const item of input) tokens += typeof item === 'string' ? charTokens(item.length) : typeof item === 'number' ? 1 : item.length;
  return tokens;
}
