import type { ChatRequest } from '../../canonical/types';
import { GatewayError } from '../../http/errors';

/** Anthropic refuses a thinking budget under 1 024 tokens (Claude on Bedrock too). */
export const MIN_THINKING_BUDGET = 1024;

/** A sampling option Claude limits while it thinks, by its canonical name. */
export type ClaudeSamplingField = 'temperature' | 'topP' | 'topK';

/**
 * What Claude takes with extended thinking (Anthropic, Bedrock, Vertex alike): "temperature may only
 * be set to 1 when thinking is enabled", top_p from 0.95 to 1, and no top_k.
 */
const LIMITS: readonly { field: ClaudeSamplingField; param: string; rule: string; allowed: (value: number) => boolean }[] = [
  { field: 'temperature', param: 'temperature', rule: 'may only be 1', allowed: (value) => value === 1 },
  { field: 'topP', param: 'top_p', rule: 'must be from 0.95 to 1', allowed: (value) => value >= 0.95 && value <= 1 },
  { field: 'topK', param: 'top_k', rule: 'cannot be set', allowed: () => false },
];

/** A sampling option Claude's translation may leave out (a top_k it refuses is never left out, but refused). */
export type OmittableSamplingField = Exclude<ClaudeSamplingField, 'topK'>;

/** Whether the request goes to Claude with thinking, and which of its sampling options are left out. */
export interface ClaudeSampling {
  thinking: boolean;
  omit: readonly OmittableSamplingField[];
}

/**
 * How a request goes to Claude when it carries sampling options Claude refuses together: with
 * thinking (`thinks`), a temperature other than 1, top_p outside 0.95–1 or any top_k; on the models
 * since Sonnet 4.5, temperature beside top_p (`oneOfTemperatureAndTopP`). A thinking clash the
 * client asked for (both its own) is refused with a 400 naming the option, as every other thing a
 * target cannot do, when it asked for thinking with a budget; with an effort (OpenAI's
 * reasoning_effort) its temperature and top_p are left out, as for OpenAI's reasoning models, and
 * only top_k is refused. A clash the model's parameter policy made gives way on the policy's side:
 * thinking the policy filled in is not turned on, and a temperature or top_p the policy filled in
 * is left out (as on the Messages surface, `lib/params/apply.ts`).
 *
 * @example
 * claudeSampling({ ...req, temperature: 0.2, reasoning: { effort: 'low' }, setByPolicy: { reasoning: true } }, 'provider type anthropic', true)
 * // { thinking: false, omit: [] }
 */
export function claudeSampling(req: ChatRequest, provider: string, thinks: boolean): ClaudeSampling {
  const sampling = thinks ? withThinking(req, provider) : { thinking: false, omit: [] };
  return { thinking: sampling.thinking, omit: [...sampling.omit, ...oneOfTemperatureAndTopP(req, sampling.omit)] };
}

/**
 * Claude Sonnet 4.5 and later refuse temperature and top_p together ("cannot both be specified for
 * this model"): of a pair the model's policy made, its value is left out (top_p when it set both).
 * The client's own pair is sent (earlier models take both).
 */
function oneOfTemperatureAndTopP(req: ChatRequest, omitted: readonly OmittableSamplingField[]): OmittableSamplingField[] {
  if (req.temperature === undefined || req.topP === undefined || omitted.includes('temperature') || omitted.includes('topP')) return [];
  if (req.setByPolicy?.topP) return ['topP'];
  return req.setByPolicy?.temperature ? ['temperature'] : [];
}

function withThinking(req: ChatRequest, provider: string): ClaudeSampling {
  const clashes = LIMITS.filter(({ field, allowed }) => req[field] !== undefined && !allowed(req[field]));
  if (clashes.length === 0) return { thinking: true, omit: [] };
  if (req.setByPolicy?.reasoning) return { thinking: false, omit: [] };
  // Thinking asked for as an effort (OpenAI's reasoning_effort, not a budget in Anthropic's own
  // terms) keeps OpenAI's meaning: a reasoning model there takes temperature and top_p at their
  // defaults only, and the gateway leaves the others out (`mendBody`, lib/params/mend.ts). Roo Code
  // sends its default temperature of 0 beside reasoning_effort on every turn.
  const asEffort = req.reasoning?.budgetTokens === undefined;
  const own = clashes.find(({ field }) => field === 'topK' || (!req.setByPolicy?.[field] && !asEffort));
  if (own) {
    // A temperature or top_p is refused only beside a budget (with an effort it is left out); a top_k beside either.
    const when = own.field === 'topK' ? 'while thinking' : 'while thinking with a thinking budget';
    throw new GatewayError('invalid_request', `${own.param} ${own.rule} ${when} for ${provider}.`, {
      param: own.param,
      code: 'unsupported_parameter',
    });
  }
  // No top_k among them: `own` refused it.
  return { thinking: true, omit: clashes.flatMap(({ field }) => (field === 'topK' ? [] : [field])) };
}

/**
 * What the budget of the client's effort leaves the answer under the client's `max_tokens` (while
 * the least budget fits): enough for a short reply or a tool call, little enough that most of what
 * the effort asked for is kept.
 */
export const ANSWER_ROOM = 1024;

/**
 * The thinking budget for a request's `max_tokens` (Claude counts thinking inside `max_tokens` and
 * refuses a budget that does not fit under it).
 *
 * - A budget derived from the client's effort (`reasoning_effort`) is the gateway's own mapping, and
 *   OpenAI takes any effort with any limit: it gives way to the client's `max_tokens`, leaving the
 *   answer `ANSWER_ROOM`, never under the least budget, and none (no thinking) when `max_tokens`
 *   leaves no room for the least budget (as LiteLLM caps its effort budgets).
 * - When the model's parameter policy made the clash (it capped or set `max_tokens`, or filled in
 *   the effort): the largest budget under `max_tokens`, as the policy lowers a Messages call's own
 *   (`lib/params/apply.ts`), or none when `max_tokens` leaves no room for the least budget.
 * - The client's own budget comes back as it is, for the caller to send or refuse; but one that
 *   fitted under `max_tokens` until it was raised to the least budget is none (no thinking): the
 *   clash is the raise's, and no budget Claude takes fits.
 *
 * @example
 * budgetUnderMaxTokens({ ...req, reasoning: { effort: 'high' } }, 16384, 8000)   // 6976
 * budgetUnderMaxTokens({ ...req, setByPolicy: { maxTokens: true } }, 16384, 2000) // 1999
 * budgetUnderMaxTokens({ ...req, setByPolicy: { maxTokens: true } }, 1024, 1000)  // undefined: no thinking
 * budgetUnderMaxTokens({ ...req, reasoning: { budgetTokens: 16384 } }, 16384, 2000) // 16384: the client's clash
 * budgetUnderMaxTokens({ ...req, reasoning: { budgetTokens: 512 } }, 1024, 1000)     // undefined: only the raise clashed
 */
export function budgetUnderMaxTokens(req: ChatRequest, budget: number, maxTokens: number): number | undefined {
  const byPolicy = req.setByPolicy?.maxTokens === true || req.setByPolicy?.reasoning === true;
  if (!byPolicy && req.reasoning?.budgetTokens === undefined) {
    return maxTokens > MIN_THINKING_BUDGET ? Math.max(MIN_THINKING_BUDGET, Math.min(budget, maxTokens - ANSWER_ROOM)) : undefined;
  }
  if (budget < maxTokens) return budget;
  if (byPolicy) return maxTokens > MIN_THINKING_BUDGET ? maxTokens - 1 : undefined;
  // The client's own budget: its clash is the caller's to refuse, unless only the raise to the least made it.
  return (req.reasoning?.budgetTokens ?? budget) < maxTokens ? undefined : budget;
}

/**
 * Whether thinking may go beside the request's tool choice. "Tool use with thinking only supports
 * tool_choice: {type: 'auto'} (the default) or {type: 'none'}"
 * (https://docs.claude.com/en/docs/build-with-claude/extended-thinking), and Anthropic answers 400
 * to a forced tool beside it. A forced tool (`required` or a named one) binds the answer and
 * thinking does not, so thinking from an effort (the gateway's own mapping of reasoning_effort) or
 * from the policy gives way, as for a prefill or a tool loop that lost its thinking; the client's
 * own budget beside a forced tool is refused with a 400 naming `tool_choice`.
 *
 * @example
 * thinkingBesideToolChoice({ ...req, tools, toolChoice: { type: 'required' }, reasoning: { effort: 'high' } }, 'provider type anthropic') // false
 * thinkingBesideToolChoice({ ...req, tools, toolChoice: { type: 'auto' }, reasoning: { budgetTokens: 2048 } }, 'provider type anthropic') // true
 */
export function thinkingBesideToolChoice(req: ChatRequest, provider: string): boolean {
  const choice = req.toolChoice;
  if ((choice?.type !== 'required' && choice?.type !== 'tool') || (req.tools ?? []).length === 0) return true;
  if (req.reasoning?.budgetTokens !== undefined && !req.setByPolicy?.reasoning) {
    const forced = choice.type === 'tool' ? `naming tool "${choice.name}"` : '"required"';
    throw new GatewayError('invalid_request', `tool_choice ${forced} cannot go beside a thinking budget for ${provider}: Claude thinks only beside tool_choice auto or none.`, {
      param: 'tool_choice',
      code: 'unsupported_parameter',
    });
  }
  return false;
}

/** What goes to Claude of a request's thinking: the budget (none: no thinking) and the sampling options left out. */
export interface ClaudeThinking {
  budget: number | undefined;
  omit: readonly OmittableSamplingField[];
}

/**
 * Claude's thinking for a request, as every Claude translator (Anthropic, Vertex, Bedrock) decides
 * it: the `asked` budget (that host's reading of the effort or budget), unless the conversation's
 * end rules thinking out (`lacksThinking`: a tool loop that lost its thinking, a prefill), fitted
 * under `max_tokens` (`budgetUnderMaxTokens`), given way to a forced tool
 * (`thinkingBesideToolChoice`), and then the sampling rule (`claudeSampling`), which sees whether
 * thinking still goes. Throws the 400s those refuse with.
 *
 * @example
 * claudeThinking({ ...req, reasoning: { effort: 'high' }, maxTokens: 8000, temperature: 0 }, 'provider type anthropic', 16384, false)
 * // { budget: 6976, omit: ['temperature'] }
 */
export function claudeThinking(req: ChatRequest, provider: string, asked: number | undefined, lacksThinking: boolean): ClaudeThinking {
  let budget = lacksThinking ? undefined : asked;
  if (budget !== undefined && req.maxTokens !== undefined) budget = budgetUnderMaxTokens(req, budget, req.maxTokens);
  // A forced tool binds the answer, thinking does not; before the sampling rule, so that sampling left out for thinking is not left out for none.
  if (budget !== undefined && !thinkingBesideToolChoice(req, provider)) budget = undefined;
  const sampling = claudeSampling(req, provider, budget !== undefined);
  return { budget: sampling.thinking ? budget : undefined, omit: sampling.omit };
}
