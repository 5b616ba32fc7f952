import type { ChatRequest, ReasoningOptions, ToolChoice, ToolDefinition } from '../../canonical/types';
import { GatewayError } from '../../http/errors';
import { geminiMajorVersion, toGeminiContents, type GeminiContentsOptions } from './contents';
import { asksJsonInWords, jsonInstruction } from './json-in-words';
import { toGeminiParameters, toGeminiSchema } from './schema';
import type { StopEmulated } from '../types';
import type { GeminiGenerationConfig, GeminiRequest, GeminiThinkingConfig } from './types';

/** Gemini accepts at most this many stop sequences. */
export const MAX_STOP_SEQUENCES = 5;

/**
 * Thinking budgets for an OpenAI-style effort on models that take a budget, not a level
 * (Gemini 2.x). Within every 2.5 model's range (Pro: 128–32768, Flash: 0–24576).
 */
export const EFFORT_BUDGETS: Record<NonNullable<ReasoningOptions['effort']>, number> = {
  minimal: 512,
  low: 1024,
  medium: 8192,
  high: 24576,
};

/**
 * The `generateContent` body for a canonical request.
 *
 * Dropped on purpose: `user` (Gemini has no end-user field; it is advisory metadata, not
 * behaviour), tools' `strict` (Gemini has no strict mode), every `cacheControl` (Gemini caches
 * through a separate cachedContents API the gateway does not manage).
 * `parallel_tool_calls: false` has no Gemini switch: the answer is held to its first call
 * (`oneCallOnly` in response.ts and stream.ts).
 * More than 5 stop sequences: the first 5 go, and `onStopEmulated` is told all of them, for the gateway
 * to cut the answer at the rest (stop emulation); refused with a 400 naming `stop` when there is no one to tell.
 * A JSON answer beside functions on Gemini before 3, which refuses the two together, is asked for
 * in words in the system instruction (`json-in-words.ts`).
 * Refused with a 400: a forced tool without tools, a forced tool that is not defined.
 * `options` say how to write the history (`toGeminiContents`).
 *
 * @example
 * toGeminiRequest({ model: 'gemini-2.5-flash', system: [], messages: [{ role: 'user', parts: [{ type: 'text', text: 'Hi' }] }], maxTokens: 50, stream: false })
 * // → { contents: [{ role: 'user', parts: [{ text: 'Hi' }] }], generationConfig: { maxOutputTokens: 50 } }
 */
export function toGeminiRequest(req: ChatRequest, onStopEmulated?: StopEmulated, options: GeminiContentsOptions = {}): GeminiRequest {
  const contents = toGeminiContents(req.messages, req.model, options);
  if (contents.length === 0) {
    throw new GatewayError('invalid_request', 'The request has no message content to send (provider type gemini rejects empty contents).', {
      param: 'messages',
      code: 'empty_messages',
    });
  }
  const body: GeminiRequest = { contents };

  const tools = req.tools ?? [];
  // Gemini before 3 takes no JSON answer beside functions: the answer is asked for in words instead.
  const inWords = asksJsonInWords(req.model, tools.length, req.responseFormat);
  const system = req.system.filter((p) => p.text !== '').map((p) => ({ text: p.text }));
  if (inWords) system.push({ text: jsonInstruction(req.responseFormat!) });
  if (system.length > 0) body.systemInstruction = { parts: system };

  if (tools.length > 0) {
    body.tools = [{ functionDeclarations: tools.map(functionDeclaration) }];
  }
  const toolConfig = functionCallingConfig(req.toolChoice, tools);
  if (toolConfig) body.toolConfig = { functionCallingConfig: toolConfig };

  const generationConfig = toGenerationConfig(inWords ? { ...req, responseFormat: undefined } : req, onStopEmulated);
  if (Object.keys(generationConfig).length > 0) body.generationConfig = generationConfig;
  return body;
}

function functionDeclaration(tool: ToolDefinition, i: number) {
  // Named as Chat Completions names the field, like `response_format.json_schema.schema`: a surface with other names renames it.
  const parameters = toGeminiParameters(tool.parameters, `tools[${i}].function.parameters`);
  return {
    name: tool.name,
    ...(tool.description ? { description: tool.description } : {}),
    ...(parameters ? { parameters } : {}),
  };
}

function functionCallingConfig(choice: ToolChoice | undefined, tools: ToolDefinition[]): NonNullable<GeminiRequest['toolConfig']>['functionCallingConfig'] | undefined {
  if (!choice) return undefined;
  if (tools.length === 0) {
    if (choice.type === 'auto' || choice.type === 'none') return undefined;
    throw new GatewayError('invalid_request', `tool_choice "${choice.type}" needs tools, and the request defines none.`, { param: 'tool_choice', code: 'invalid_tool_choice' });
  }
  switch (choice.type) {
    case 'auto':
      return { mode: 'AUTO' };
    case 'none':
      return { mode: 'NONE' };
    case 'required':
      return { mode: 'ANY' };
    case 'tool':
      if (!tools.some((t) => t.name === choice.name)) {
        throw new GatewayError('invalid_request', `tool_choice names the tool "${choice.name}", which is not among the request's tools.`, { param: 'tool_choice', code: 'invalid_tool_choice' });
      }
      return { mode: 'ANY', allowedFunctionNames: [choice.name] };
  }
}

function toGenerationConfig(req: ChatRequest, onStopEmulated: StopEmulated | undefined): GeminiGenerationConfig {
  const config: GeminiGenerationConfig = {};
  if (req.maxTokens !== undefined) config.maxOutputTokens = req.maxTokens;
  if (req.temperature !== undefined) config.temperature = req.temperature;
  if (req.topP !== undefined) config.topP = req.topP;
  if (req.topK !== undefined) config.topK = req.topK;
  if (req.seed !== undefined) config.seed = req.seed;
  const stop = req.stop?.filter((s) => s !== '') ?? [];
  if (stop.length > MAX_STOP_SEQUENCES) {
    // Continue sends fourteen: Gemini stops at the first five, the gateway cuts at any of them (the earliest wins).
    if (!onStopEmulated) throw new GatewayError('invalid_request', `stop has ${stop.length} sequences; provider type gemini takes at most ${MAX_STOP_SEQUENCES}.`, { param: 'stop', code: 'too_many_stop_sequences' });
    onStopEmulated(stop);
    config.stopSequences = stop.slice(0, MAX_STOP_SEQUENCES);
  } else if (stop.length > 0) config.stopSequences = stop;

  const format = req.responseFormat;
  if (format?.type === 'json_object' || format?.type === 'json_schema') config.responseMimeType = 'application/json';
  if (format?.type === 'json_schema') config.responseSchema = toGeminiSchema(format.schema, 'response_format.json_schema.schema');

  const thinking = thinkingConfig(req.reasoning, req.model);
  if (thinking) config.thinkingConfig = thinking;
  return config;
}

/**
 * A budget goes as `thinkingBudget` (every thinking model takes one; 0 turns thinking off).
 * An effort goes as `thinkingLevel` on Gemini 3 and later, which think in levels (the nearest one
 * the model takes), and as a budget from `EFFORT_BUDGETS` on earlier models, which reject levels. Thought summaries are
 * asked for whenever thinking is on, so the client sees thinking as it would from other providers.
 */
export function thinkingConfig(reasoning: ReasoningOptions | undefined, model: string): GeminiThinkingConfig | undefined {
  if (!reasoning) return undefined;
  if (reasoning.budgetTokens !== undefined) return { thinkingBudget: reasoning.budgetTokens, includeThoughts: reasoning.budgetTokens !== 0 };
  if (!reasoning.effort) return undefined;
  if (geminiMajorVersion(model) >= 3) return { thinkingLevel: thinkingLevel(reasoning.effort, model), includeThoughts: true };
  return { thinkingBudget: EFFORT_BUDGETS[reasoning.effort], includeThoughts: true };
}

/** Gemini 3 thinking levels, least thinking first. */
const LEVELS = ['MINIMAL', 'LOW', 'MEDIUM', 'HIGH'] as const;
type ThinkingLevel = (typeof LEVELS)[number];

/**
 * The Gemini 3 models that take fewer levels than the four, by the start of their id (after any
 * `models/`), from the thinking docs' levels table (https://ai.google.dev/gemini-api/docs/thinking):
 * Gemini 3 Pro thinks at LOW or HIGH, Gemini 3.1 Pro at LOW, MEDIUM or HIGH. The others take all four.
 */
const FEWER_LEVELS: readonly { prefix: string; levels: readonly ThinkingLevel[] }[] = [
  { prefix: 'gemini-3-pro', levels: ['LOW', 'HIGH'] },
  { prefix: 'gemini-3.1-pro', levels: ['LOW', 'MEDIUM', 'HIGH'] },
];

/**
 * The level for an effort on a Gemini 3 model: the effort's own where the model takes it, else the
 * nearest one up that it takes (minimal as LOW, medium as HIGH on Gemini 3 Pro, its default), as
 * LiteLLM maps them: a level the model lacks is Gemini's 400.
 */
function thinkingLevel(effort: NonNullable<ReasoningOptions['effort']>, model: string): ThinkingLevel {
  const level = effort.toUpperCase() as ThinkingLevel;
  const id = model.startsWith('models/') ? model.slice('models/'.length) : model;
  const levels = FEWER_LEVELS.find(({ prefix }) => id.startsWith(prefix))?.levels;
  if (!levels || levels.includes(level)) return level;
  return levels.find((l) => LEVELS.indexOf(l) > LEVELS.indexOf(level)) ?? levels[levels.length - 1]!;
}

/**
 * The endpoint for a model: `models/{id}` unless the id names its own collection
 * (`tunedModels/…`); a leading `models/` in the configured id is accepted.
 */
export function geminiUrl(baseUrl: string, model: string, stream: boolean): string {
  return geminiMethodUrl(baseUrl, model, stream ? 'streamGenerateContent?alt=sse' : 'generateContent');
}

/** The endpoint of any method of a model (`countTokens`, …), addressed as `geminiUrl` addresses it. */
export function geminiMethodUrl(baseUrl: string, model: string, method: string): string {
  const name = model.includes('/') ? model.split('/').map(encodeURIComponent).join('/') : `models/${encodeURIComponent(model)}`;
  return `${baseUrl.replace(/\/+$/, '')}/v1beta/${name}:${method}`;
}
