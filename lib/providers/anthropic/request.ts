import type { ChatRequest, ReasoningOptions, ToolChoice } from '../../canonical/types';
import { GatewayError } from '../../http/errors';
import { jsonPost, type UpstreamRequest } from '../../upstream/http';
import type { CallContext, ParamDropped, PolicyDeclined } from '../types';
import { withinBreakpointLimit } from './breakpoint-limit';
import { anthropicMessages, historyHasToolBlocks, toolLoopLacksThinking, toolNamesInHistory } from './content';
import { prefillLacksThinking, withTrimmedPrefill } from './prefill';
import { claudeThinking, MIN_THINKING_BUDGET } from './thinking';

/** `max_tokens` when the client sent none (Anthropic requires it; OpenAI clients often omit it). */
export const DEFAULT_MAX_TOKENS = 4096;
export const DEFAULT_ANTHROPIC_VERSION = '2023-06-01';
export const DEFAULT_ANTHROPIC_BASE_URL = 'https://api.anthropic.com';

export { MIN_THINKING_BUDGET } from './thinking';

/**
 * Thinking budgets for OpenAI's `reasoning_effort` when no explicit budget was given. Anthropic's
 * smallest budget is 1024 tokens, so `minimal` cannot go lower than `low`.
 */
export const EFFORT_BUDGET: Readonly<Record<NonNullable<ReasoningOptions['effort']>, number>> = Object.freeze({
  minimal: 1024,
  low: 1024,
  medium: 4096,
  high: 16384,
});

export interface AnthropicBodyOptions {
  /** Overrides DEFAULT_MAX_TOKENS. */
  defaultMaxTokens?: number;
  /** Told when the effort the policy filled in does not become thinking (`CallContext.onPolicyDeclined`). */
  onPolicyDeclined?: PolicyDeclined;
  /** Told of each sampling option left out beside thinking or its pair (`CallContext.onParamDropped`). */
  onParamDropped?: ParamDropped;
}

const unsupported = (param: string, message: string): GatewayError =>
  new GatewayError('invalid_request', `${message} is not supported by provider type anthropic.`, { param, code: 'unsupported_parameter' });

function toolChoice(choice: ToolChoice | undefined, parallel: boolean | undefined): Record<string, unknown> | undefined {
  const single = parallel === false ? { disable_parallel_tool_use: true } : {};
  switch (choice?.type) {
    case undefined:
      return parallel === false ? { type: 'auto', ...single } : undefined;
    case 'auto':
      return { type: 'auto', ...single };
    case 'required':
      return { type: 'any', ...single };
    case 'tool':
      return { type: 'tool', name: choice.name, ...single };
    case 'none':
      return { type: 'none' };
  }
}

/**
 * The thinking budget a canonical request's reasoning asks of Claude, if any: its own budget (at
 * least Anthropic's least), or its effort's (`EFFORT_BUDGET`).
 *
 * @example
 * thinkingBudget({ effort: 'high' }) // 16384
 */
export function thinkingBudget(reasoning: ReasoningOptions | undefined): number | undefined {
  if (!reasoning) return undefined;
  // Smaller budgets (Gemini's go down to 128) are raised to Anthropic's least, which it would otherwise refuse.
  if (reasoning.budgetTokens !== undefined) return Math.max(MIN_THINKING_BUDGET, reasoning.budgetTokens);
  return reasoning.effort ? EFFORT_BUDGET[reasoning.effort] : undefined;
}

/**
 * The Messages API body for a canonical request. Pure. Refuses (400, naming the field) what
 * Anthropic cannot do: `seed`, `temperature` above 1, `response_format: json_object`, a
 * `max_tokens` that leaves no room after the client's own thinking budget (an effort's is sized
 * to fit, `budgetUnderMaxTokens`), sampling options Claude refuses while thinking
 * (`claudeSampling`: the policy's side of such a clash gives way instead). Cache marks beyond
 * Claude's four are left off (`withinBreakpointLimit`).
 *
 * JSON output: `json_schema` maps to Anthropic's structured outputs (`output_config.format`);
 * models without structured outputs answer 400 themselves, and that error reaches the client.
 * `json_object` (any JSON, no schema) has no Anthropic equivalent and is refused.
 *
 * @example
 * toAnthropicBody({ model: 'claude-sonnet-4-5', system: [], messages: [{ role: 'user', parts: [{ type: 'text', text: 'Hi' }] }], stream: false })
 * // { model: 'claude-sonnet-4-5', max_tokens: 4096, messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }] }
 */
export function toAnthropicBody(request: ChatRequest, options: AnthropicBodyOptions = {}): Record<string, unknown> {
  const req = withinBreakpointLimit(request);
  if (req.seed !== undefined) throw unsupported('seed', 'seed');
  if (req.temperature !== undefined && req.temperature > 1) throw unsupported('temperature', 'temperature above 1');
  if (req.responseFormat?.type === 'json_object') throw unsupported('response_format', 'response_format json_object (use json_schema)');

  const messages = anthropicMessages(withTrimmedPrefill(req.messages));
  if (messages.length === 0) throw new GatewayError('invalid_request', 'The request has no message with content.', { param: 'messages', code: 'invalid_value' });

  // A tool loop whose turn has no thinking of Claude's (another family's was dropped), or a prefill
  // (see prefillLacksThinking), can only go on without extended thinking, as Anthropic's error
  // advises and LiteLLM's modify_params does.
  const sampling = claudeThinking(req, 'provider type anthropic', thinkingBudget(req.reasoning), toolLoopLacksThinking(messages) || prefillLacksThinking(messages));
  const budget = sampling.budget;
  const defaultMax = options.defaultMaxTokens ?? DEFAULT_MAX_TOKENS;
  let maxTokens = req.maxTokens ?? defaultMax;
  if (budget === undefined && req.setByPolicy?.reasoning && thinkingBudget(req.reasoning) !== undefined) options.onPolicyDeclined?.('reasoningEffort');
  if (budget !== undefined && maxTokens <= budget) {
    // A default must leave room for the answer; the client's own max_tokens is refused.
    if (req.maxTokens !== undefined) {
      throw new GatewayError('invalid_request', `max_tokens (${maxTokens}) must be greater than the thinking budget (${budget}) for provider type anthropic.`, {
        param: 'max_tokens',
        code: 'invalid_value',
      });
    }
    maxTokens = budget + defaultMax;
  }

  const body: Record<string, unknown> = { model: req.model, max_tokens: maxTokens };
  const system = req.system.filter((p) => p.text.trim() !== '').map((p) => ({ type: 'text', text: p.text, ...(p.cacheControl ? { cache_control: { ...p.cacheControl } } : {}) }));
  if (system.length > 0) body.system = system;
  body.messages = messages;

  let tools = req.tools?.map((t) => ({
    name: t.name,
    ...(t.description ? { description: t.description } : {}),
    input_schema: Object.keys(t.parameters).length > 0 ? t.parameters : { type: 'object', properties: {} },
    ...(t.strict ? { strict: true } : {}),
    ...(t.cacheControl ? { cache_control: { ...t.cacheControl } } : {}),
  }));
  let choice = toolChoice(req.toolChoice, req.parallelToolCalls);
  if ((!tools || tools.length === 0) && historyHasToolBlocks(messages)) {
    // Anthropic refuses tool_use/tool_result history without `tools`; declare the tools the
    // history used, and keep the model from calling them unless the client chose otherwise.
    tools = toolNamesInHistory(messages).map((name) => ({ name, input_schema: { type: 'object', properties: {} } }));
    choice ??= { type: 'none' };
  }
  if (tools && tools.length > 0) {
    body.tools = tools;
    if (choice) body.tool_choice = choice;
  }

  const stop = req.stop?.filter((s) => s.trim() !== '');
  if (stop && stop.length > 0) body.stop_sequences = stop;
  if (req.temperature !== undefined && !sampling.omit.includes('temperature')) body.temperature = req.temperature;
  if (req.topP !== undefined && !sampling.omit.includes('topP')) body.top_p = req.topP;
  if (req.topK !== undefined) body.top_k = req.topK;
  if (req.user) body.metadata = { user_id: req.user };
  if (budget !== undefined) body.thinking = { type: 'enabled', budget_tokens: budget };
  if (req.responseFormat?.type === 'json_schema') body.output_config = { format: { type: 'json_schema', schema: req.responseFormat.schema } };
  if (req.stream) body.stream = true;
  // Told last, once nothing is refused: a refused call sent nothing to leave anything out of.
  for (const field of sampling.omit) options.onParamDropped?.(field);
  return body;
}

/** `{baseUrl}/v1/messages…`; a base URL configured with a trailing `/v1` is accepted too. */
export function anthropicUrl(baseUrl: string, path: '/v1/messages' | '/v1/messages/count_tokens' | '/v1/models'): string {
  return `${baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '')}${path}`;
}

const stringField = (record: Record<string, unknown>, key: string): string | undefined => (typeof record[key] === 'string' ? (record[key] as string) : undefined);

/** The upstream request for a canonical request, addressed and authenticated for one account. */
export function anthropicRequest(req: ChatRequest, call: CallContext): UpstreamRequest {
  const { provider, account } = call;
  const defaultMaxTokens = typeof provider.defaultMaxTokens === 'number' ? provider.defaultMaxTokens : undefined;
  const body = toAnthropicBody(req, {
    ...(defaultMaxTokens ? { defaultMaxTokens } : {}),
    ...(call.onPolicyDeclined ? { onPolicyDeclined: call.onPolicyDeclined } : {}),
    ...(call.onParamDropped ? { onParamDropped: call.onParamDropped } : {}),
  });
  const baseUrl = account.baseUrl ?? stringField(provider, 'baseUrl') ?? DEFAULT_ANTHROPIC_BASE_URL;
  const auth: Record<string, string> = { 'anthropic-version': stringField(provider, 'version') ?? DEFAULT_ANTHROPIC_VERSION };
  if (call.apiKey) auth['x-api-key'] = call.apiKey;
  return jsonPost(anthropicUrl(baseUrl, '/v1/messages'), JSON.stringify(body), { stream: req.stream, accountHeaders: account.headers, auth, timeouts: call.timeouts, signal: call.signal });
}
