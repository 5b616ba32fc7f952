import type { TokenUsage } from '../../usage/tokens';

const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);

/** Where one of OpenAI's APIs keeps each count in its `usage` object. */
interface UsageFields {
  input: string;
  output: string;
  inputDetails: string;
  outputDetails: string;
}

const CHAT_FIELDS: UsageFields = { input: 'prompt_tokens', output: 'completion_tokens', inputDetails: 'prompt_tokens_details', outputDetails: 'completion_tokens_details' };
const RESPONSES_FIELDS: UsageFields = { input: 'input_tokens', output: 'output_tokens', inputDetails: 'input_tokens_details', outputDetails: 'output_tokens_details' };

function usageOf(usage: unknown, fields: UsageFields): TokenUsage | undefined {
  if (typeof usage !== 'object' || usage === null) return undefined;
  const u = usage as Record<string, unknown>;
  const details = (name: string) => (u[name] ?? undefined) as Record<string, unknown> | undefined;
  return {
    input: count(u[fields.input]),
    output: count(u[fields.output]),
    cacheRead: count(details(fields.inputDetails)?.cached_tokens),
    cacheWrite: 0,
    reasoning: count(details(fields.outputDetails)?.reasoning_tokens),
  };
}

/** OpenAI's `usage` object (Chat Completions) as TokenUsage; undefined when it isn't one. */
export function usageFromOpenAI(usage: unknown): TokenUsage | undefined {
  return usageOf(usage, CHAT_FIELDS);
}

/** The Responses API's `usage` object (`input_tokens`, `output_tokens` and their details) as TokenUsage; undefined when it isn't one. */
export function usageFromResponses(usage: unknown): TokenUsage | undefined {
  return usageOf(usage, RESPONSES_FIELDS);
}
