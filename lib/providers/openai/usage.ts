import type { TokenUsage } from '../../usage/tokens';

const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);

/** OpenAI's `usage` object (Chat Completions) as TokenUsage; undefined when it isn't one. */
export function usageFromOpenAI(usage: unknown): TokenUsage | undefined {
  if (typeof usage !== 'object' || usage === null) return undefined;
  const u = usage as Record<string, unknown> & {
    prompt_tokens_details?: Record<string, unknown> | null;
    completion_tokens_details?: Record<string, unknown> | null;
  };
  return {
    input: count(u.prompt_tokens),
    output: count(u.completion_tokens),
    cacheRead: count(u.prompt_tokens_details?.cached_tokens),
    cacheWrite: 0,
    reasoning: count(u.completion_tokens_details?.reasoning_tokens),
  };
}

/** The Responses API's `usage` object as TokenUsage; undefined when it isn't one. */
export function usageFromResponses(usage: unknown): TokenUsage | undefined {
  if (typeof usage !== 'object' || usage === null) return undefined;
  const u = usage as Record<string, unknown> & {
    input_tokens_details?: Record<string, unknown> | null;
    output_tokens_details?: Record<string, unknown> | null;
  };
  return {
    input: count(u.input_tokens),
    output: count(u.output_tokens),
    cacheRead: count(u.input_tokens_details?.cached_tokens),
    cacheWrite: 0,
    reasoning: count(u.output_tokens_details?.reasoning_tokens),
  };
}
