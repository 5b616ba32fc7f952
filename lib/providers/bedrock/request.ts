import type { ChatRequest, Message, ReasoningOptions, ToolDefinition } from '../../canonical/types';
import { GatewayError } from '../../http/errors';
import { withinBreakpointLimit } from '../anthropic/breakpoint-limit';
import { toolLoopLacksThinking } from '../anthropic/content';
import { prefillLacksThinking, withTrimmedPrefill } from '../anthropic/prefill';
import { claudeThinking, MIN_THINKING_BUDGET } from '../anthropic/thinking';
import type { ParamDropped, PolicyDeclined, StopEmulated } from '../types';
import { cachePoint, isBlank, toConverseMessages } from './content';
import type { ConverseBody, ToolChoiceBlock, ToolEntry } from './wire';

const PROVIDER = 'provider type bedrock';

/**
 * When `tool_choice` is `none` but the history holds tool blocks, Converse still demands a
 * `toolConfig`; this one tool keeps the request valid while offering the model nothing to call.
 */
export const NO_TOOLS_PLACEHOLDER: ToolEntry = {
  toolSpec: {
    name: 'no_tools_available',
    description: 'Tool use is disabled for this turn. Never call this tool; answer in text.',
    inputSchema: { json: { type: 'object', properties: {} } },
  },
};

/** Thinking budgets for OpenAI's reasoning_effort on Claude (the minimum budget is 1024). */
const EFFORT_BUDGET: Record<NonNullable<ReasoningOptions['effort']>, number> = { minimal: 1024, low: 1024, medium: 2048, high: 4096 };

/** The characters Bedrock allows in `requestMetadata` values. */
const METADATA_VALUE = /^[a-zA-Z0-9\s:_@$#=/+,\-.]{0,256}$/;

/** A model family on Bedrock, as `modelFamily` tells it. */
type ModelFamily = 'anthropic' | 'nova' | 'openai' | 'other';

/** Model families by id; inference profiles (`us.anthropic.…`) and ARNs that name the model match too. */
export const modelFamily = (modelId: string): ModelFamily =>
  /anthropic\.|claude/i.test(modelId) ? 'anthropic' : /amazon\.nova/i.test(modelId) ? 'nova' : /(^|[./])openai\./i.test(modelId) ? 'openai' : 'other';

/** The fields of a Converse request a model takes cache points in. */
export interface CachePointFields {
  system: boolean;
  messages: boolean;
  tools: boolean;
}

const NO_CACHE_POINTS: CachePointFields = Object.freeze({ system: false, messages: false, tools: false });

/**
 * Where each family takes cache points: Bedrock's prompt-caching table ("Fields that accept prompt
 * cache checkpoints", https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-caching.html)
 * gives Claude `system`, `messages` and `tools`, Nova `system` and `messages`; the other models
 * have no prompt caching and would refuse a cache point anywhere.
 */
const CACHE_POINT_FIELDS: Readonly<Record<ModelFamily, CachePointFields>> = Object.freeze({
  anthropic: Object.freeze({ system: true, messages: true, tools: true }),
  nova: Object.freeze({ system: true, messages: true, tools: false }),
  openai: NO_CACHE_POINTS,
  other: NO_CACHE_POINTS,
});

/**
 * The fields of a Converse request the model takes cache points in (`CACHE_POINT_FIELDS`).
 *
 * @example
 * cachePointFields('amazon.nova-pro-v1:0') // { system: true, messages: true, tools: false }
 */
export const cachePointFields = (modelId: string): CachePointFields => CACHE_POINT_FIELDS[modelFamily(modelId)];

/**
 * Models that refuse `inferenceConfig.stopSequences` ("This model doesn't support the stopSequences
 * field"; GPT-OSS and Qwen, as reported in crewAIInc/crewAI#3317 and
 * langgenius/dify-official-plugins#1767): the gateway cuts their answers at the client's stops itself.
 */
/** Converse puts no cache point inside a tool result (`toolResultBlock` leaves such marks out), so they do not count. */
const CONVERSE_BREAKPOINTS = Object.freeze({ inToolResults: false });

const refusesStopSequences = (modelId: string): boolean => /(^|[./])(openai|qwen)\./i.test(modelId);

/**
 * The Converse body for a canonical request (`req.model` is the Bedrock model id). Pure; throws a
 * GatewayError 400 naming the field for what Converse cannot express.
 *
 * @example
 * const body = toConverseBody({ model: 'anthropic.claude-3-5-sonnet-20240620-v1:0', system: [], messages, stream: false });
 */
export function toConverseBody(request: ChatRequest, onPolicyDeclined?: PolicyDeclined, onStopEmulated?: StopEmulated, onParamDropped?: ParamDropped): ConverseBody {
  refuseUnsupported(request);
  const family = modelFamily(request.model);
  // Prompt caching exists for Claude and Nova, each in its own fields; other models would reject cache points. Both take four per request, as Anthropic does.
  const caching = CACHE_POINT_FIELDS[family];
  const req = caching.messages ? withinBreakpointLimit(caching.tools ? request : withoutToolMarks(request), CONVERSE_BREAKPOINTS) : request;
  // Claude refuses a prefill that ends in whitespace (see withTrimmedPrefill).
  const messages = family === 'anthropic' ? withTrimmedPrefill(req.messages) : req.messages;
  const body: ConverseBody = { messages: toConverseMessages(messages, { caching: caching.messages, signedReasoningOnly: family === 'anthropic' }) };

  const system = req.system.filter((p) => !isBlank(p.text)).flatMap((p) => (p.cacheControl && caching.system ? [{ text: p.text }, cachePoint(p.cacheControl)] : [{ text: p.text }]));
  if (system.length > 0) body.system = system;

  // Claude's thinking as on Anthropic's API (see claudeThinking); a tool loop whose turn lost its
  // thinking, or a prefill, goes on without it (lastTurnsLackThinking).
  const claude = family === 'anthropic' ? claudeThinking(req, PROVIDER, claudeBudget(req.reasoning), lastTurnsLackThinking(body.messages)) : undefined;
  const omit = claude?.omit ?? [];

  let stop = (req.stop ?? []).filter((s) => s !== '' && !(family === 'anthropic' && isBlank(s)));
  if (stop.length > 0 && refusesStopSequences(req.model)) {
    if (!onStopEmulated) throw new GatewayError('invalid_request', `stop is not supported by model ${req.model} on provider type bedrock.`, { param: 'stop', code: 'unsupported_parameter' });
    onStopEmulated(stop);
    stop = [];
  }
  const inference = {
    ...(req.maxTokens !== undefined ? { maxTokens: req.maxTokens } : {}),
    ...(req.temperature !== undefined && !omit.includes('temperature') ? { temperature: req.temperature } : {}),
    ...(req.topP !== undefined && !omit.includes('topP') ? { topP: req.topP } : {}),
    ...(stop.length > 0 ? { stopSequences: stop } : {}),
  };
  if (Object.keys(inference).length > 0) body.inferenceConfig = inference;

  const toolConfig = toToolConfig(req, caching.tools);
  if (toolConfig) body.toolConfig = toolConfig;

  const thinking = family !== 'anthropic' ? reasoning(req, family) : claude?.budget === undefined ? {} : { thinking: { type: 'enabled', budget_tokens: claude.budget } };
  // Claude gave way on the effort the policy filled in (a clash, a tool loop, no room under maxTokens).
  if (family === 'anthropic' && req.setByPolicy?.reasoning && asksThinking(req.reasoning) && !('thinking' in thinking)) onPolicyDeclined?.('reasoningEffort');
  const additional = { ...topK(req.topK, family), ...thinking, ...oneCallAtATime(req, family, toolConfig?.toolChoice) };
  if (Object.keys(additional).length > 0) body.additionalModelRequestFields = additional;
  // Claude reports which stop sequence fired only when asked for it.
  if (family === 'anthropic' && stop.length > 0) body.additionalModelResponseFieldPaths = ['/stop_sequence'];

  if (req.responseFormat?.type === 'json_schema') {
    const { name, schema, description } = req.responseFormat;
    body.outputConfig = { textFormat: { type: 'json_schema', structure: { jsonSchema: { schema: JSON.stringify(schema), name, ...(description ? { description } : {}) } } } };
  }
  if (req.user !== undefined) body.requestMetadata = { user: req.user };
  // Told last, once nothing is refused: a refused call sent nothing to leave anything out of.
  for (const field of omit) onParamDropped?.(field);
  return body;
}

/** The request without its tools' cache marks, for a model that takes none there (Nova): so they do not count against the four. The very request when it has none. */
function withoutToolMarks(req: ChatRequest): ChatRequest {
  if (!req.tools?.some((t) => t.cacheControl)) return req;
  return { ...req, tools: req.tools.map(({ cacheControl: _dropped, ...tool }) => tool) };
}

function refuseUnsupported(req: ChatRequest): void {
  if (req.seed !== undefined) throw new GatewayError('invalid_request', `seed is not supported by ${PROVIDER}.`, { param: 'seed' });
  if (req.responseFormat?.type === 'json_object') {
    throw new GatewayError('invalid_request', `response_format json_object is not supported by ${PROVIDER}; use json_schema with a schema.`, { param: 'response_format' });
  }
  if (req.user !== undefined && !METADATA_VALUE.test(req.user)) {
    throw new GatewayError('invalid_request', `user must be at most 256 letters, digits, spaces or :_@$#=/+,-. for ${PROVIDER} (it is sent as request metadata).`, {
      param: 'user',
    });
  }
}

/** Whether the request offers the model a tool it may call. */
const offersTools = (req: ChatRequest): boolean => (req.tools ?? []).length > 0 && req.toolChoice?.type !== 'none';

/**
 * `parallel_tool_calls: false` for Claude. Converse has no field for it, so it goes as Anthropic's
 * own `tool_choice.disable_parallel_tool_use` among the additional fields, which Bedrock merges
 * into what it sends Claude: beside a `toolConfig.toolChoice` Bedrock writes the choice's type
 * itself and refuses a second one, and without one Claude needs the type (`auto`, Converse's
 * default). With no tool on offer no call can be made, so there is nothing to send. Other models
 * have no such switch: their answer is held to its first call (`oneCallOnly` in response.ts).
 */
function oneCallAtATime(req: ChatRequest, family: ReturnType<typeof modelFamily>, toolChoice: ToolChoiceBlock | undefined): Record<string, unknown> {
  if (req.parallelToolCalls !== false || family !== 'anthropic' || !offersTools(req)) return {};
  return { tool_choice: toolChoice ? { disable_parallel_tool_use: true } : { type: 'auto', disable_parallel_tool_use: true } };
}

function topK(value: number | undefined, family: ReturnType<typeof modelFamily>): Record<string, unknown> {
  if (value === undefined) return {};
  // Converse has no top-k of its own; each model family takes it in its native field.
  return family === 'nova' ? { inferenceConfig: { topK: value } } : { top_k: value };
}

const asksThinking = (options: ReasoningOptions | undefined): boolean => options?.effort !== undefined || options?.budgetTokens !== undefined;

/** The thinking budget a request asks of Claude on Bedrock, if any: its own (at least the least), or its effort's. */
function claudeBudget(options: ReasoningOptions | undefined): number | undefined {
  if (options?.budgetTokens !== undefined) return Math.max(MIN_THINKING_BUDGET, options.budgetTokens);
  return options?.effort !== undefined ? EFFORT_BUDGET[options.effort] : undefined;
}

/** The reasoning fields of a model other than Claude (Claude's: `claudeThinking`). */
function reasoning(req: ChatRequest, family: Exclude<ReturnType<typeof modelFamily>, 'anthropic'>): Record<string, unknown> {
  const { reasoning: options, model } = req;
  if (!options || (options.effort === undefined && options.budgetTokens === undefined)) return {};
  if (family === 'openai' && options.effort) return { reasoning_effort: options.effort === 'minimal' ? 'low' : options.effort };
  if (family === 'nova' && options.effort) return { reasoningConfig: { type: 'enabled', maxReasoningEffort: options.effort === 'minimal' ? 'low' : options.effort } };
  const param = options.effort !== undefined ? 'reasoning_effort' : 'thinking';
  throw new GatewayError('invalid_request', `${param} is not supported by ${PROVIDER} for model "${model}".`, { param });
}

/** Whether Claude must go without thinking for how the conversation ends; both rules read only its last two turns, so only those are mapped. */
function lastTurnsLackThinking(messages: ConverseBody['messages']): boolean {
  const tail = messages.slice(-2).map((m) => ({ role: m.role, content: m.content.map(converseBlockType) }));
  return toolLoopLacksThinking(tail) || prefillLacksThinking(tail);
}

/** A Converse block's kind, by Anthropic's name for it. */
function converseBlockType(block: object): { type: string } {
  if ('toolUse' in block) return { type: 'tool_use' };
  if ('toolResult' in block) return { type: 'tool_result' };
  if ('reasoningContent' in block) return { type: 'thinking' };
  return { type: 'other' };
}

function hasToolBlocks(messages: Message[]): boolean {
  return messages.some((m) => m.parts.some((p) => p.type === 'tool_call' || p.type === 'tool_result'));
}

/**
 * Converse has no `none` tool choice and demands a `toolConfig` whenever the history holds tool
 * blocks. So: `none` without tool history sends no tools; `none` with tool history sends only
 * the inert placeholder; tool history without any tools sends minimal specs named after the
 * tools the history used (what mature gateways do); `auto` is Converse's default and is left out,
 * since some models reject an explicit toolChoice.
 */
function toToolConfig(req: ChatRequest, caching: boolean): ConverseBody['toolConfig'] {
  const history = hasToolBlocks(req.messages);
  const choice = req.toolChoice;
  if (choice?.type === 'none') return history ? { tools: [NO_TOOLS_PLACEHOLDER] } : undefined;
  const tools = req.tools ?? [];
  if (tools.length === 0) {
    if (choice?.type === 'required' || choice?.type === 'tool') {
      throw new GatewayError('invalid_request', `tool_choice "${choice.type}" needs tools.`, { param: 'tool_choice' });
    }
    return history ? { tools: historyToolSpecs(req.messages) } : undefined;
  }
  if (choice?.type === 'tool' && !tools.some((t) => t.name === choice.name)) {
    throw new GatewayError('invalid_request', `tool_choice names "${choice.name}", which is not among the tools.`, { param: 'tool_choice' });
  }
  const toolChoice: ToolChoiceBlock | undefined = choice?.type === 'required' ? { any: {} } : choice?.type === 'tool' ? { tool: { name: choice.name } } : undefined;
  return { tools: tools.flatMap((t) => toolEntries(t, caching)), ...(toolChoice ? { toolChoice } : {}) };
}

function toolEntries(tool: ToolDefinition, caching: boolean): ToolEntry[] {
  const schema = Object.keys(tool.parameters).length > 0 ? tool.parameters : { type: 'object', properties: {} };
  const spec: ToolEntry = {
    toolSpec: {
      name: tool.name,
      // Bedrock refuses an empty description.
      ...(tool.description ? { description: tool.description } : {}),
      inputSchema: { json: schema },
      ...(tool.strict ? { strict: true } : {}),
    },
  };
  return tool.cacheControl && caching ? [spec, cachePoint(tool.cacheControl)] : [spec];
}

function historyToolSpecs(messages: Message[]): ToolEntry[] {
  const names = new Set<string>();
  for (const m of messages) {
    for (const p of m.parts) {
      if (p.type === 'tool_call') names.add(p.name);
      else if (p.type === 'tool_result' && p.name) names.add(p.name);
    }
  }
  if (names.size === 0) return [NO_TOOLS_PLACEHOLDER];
  return [...names].map((name) => ({ toolSpec: { name, inputSchema: { json: { type: 'object', properties: {} } } } }));
}
