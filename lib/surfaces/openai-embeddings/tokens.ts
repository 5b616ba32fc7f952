import { TOKEN_ESTIMATE } from '../anthropic-messages/count-tokens';
import type { EmbeddingsInput } from './request';

/**
 * How many tokens an embeddings input holds, at most as far as a budget can tell before the
 * upstream counts them: token arrays are counted exactly; text is estimated at the same
 * characters per token as count_tokens' estimate, each text rounded up.
 */
export function embeddingsInputTokens(input: EmbeddingsInput): number {
  if (typeof input === 'string') return textTokens(input);
  let tokens = 0;
  for (const item of input) tokens += typeof item === 'string' ? textTokens(item) : typeof item === 'number' ? 1 : item.length;
  return tokens;
}

const textTokens = (text: string): number => Math.ceil(text.length / TOKEN_ESTIMATE.charsPerToken);
