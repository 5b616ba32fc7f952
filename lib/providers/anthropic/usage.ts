import type { TokenUsage } from '../../usage/tokens';

const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);

/** Anthropic's `usage` fields as they come in a message, `message_start` or `message_delta`. */
export interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  output_tokens_details?: { thinking_tokens?: number | null } | null;
}

/**
 * Anthropic's usage as TokenUsage. Anthropic's `input_tokens` leaves out cached tokens, ours
 * counts every prompt token: input = input_tokens + cache_read + cache_creation.
 */
export function usageFromAnthropic(usage: unknown): TokenUsage | undefined {
  if (typeof usage !== 'object' || usage === null) return undefined;
  const u = usage as AnthropicUsage;
  const cacheRead = count(u.cache_read_input_tokens);
  const cacheWrite = count(u.cache_creation_input_tokens);
  return {
    input: count(u.input_tokens) + cacheRead + cacheWrite,
    output: count(u.output_tokens),
    cacheRead,
    cacheWrite,
    reasoning: count(u.output_tokens_details?.thinking_tokens),
  };
}

/**
 * The running usage of a stream after one more usage object. `message_delta` repeats the
 * totals it knows (output always, the input fields only sometimes): present fields replace,
 * absent ones keep what `message_start` said. Never summed.
 */
export function mergeAnthropicUsage(previous: TokenUsage | undefined, usage: unknown): TokenUsage | undefined {
  if (typeof usage !== 'object' || usage === null) return previous;
  const u = usage as AnthropicUsage;
  const base = previous ?? { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 };
  const has = (v: unknown): boolean => typeof v === 'number';
  const cacheRead = has(u.cache_read_input_tokens) ? count(u.cache_read_input_tokens) : base.cacheRead;
  const cacheWrite = has(u.cache_creation_input_tokens) ? count(u.cache_creation_input_tokens) : base.cacheWrite;
  const uncached = has(u.input_tokens) ? count(u.input_tokens) : base.input - base.cacheRead - base.cacheWrite;
  return {
    input: uncached + cacheRead + cacheWrite,
    output: has(u.output_tokens) ? count(u.output_tokens) : base.output,
    cacheRead,
    cacheWrite,
    reasoning: has(u.output_tokens_details?.thinking_tokens) ? count(u.output_tokens_details?.thinking_tokens) : base.reasoning,
  };
}
