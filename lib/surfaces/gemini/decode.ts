import type { AssistantPart, ChatRequest, Message, ReasoningOptions, ResponseFormat, TextPart, ToolChoice, ToolDefinition, UserPart } from '../../canonical/types';
import { GatewayError, untranslatable } from '../../http/errors';
import { isObject, type Json } from '../../http/json-checks';
import { carriedThinking, isGatewaySignature, readGatewaySignature } from './carried-thinking';
import { jsonSchemaFromGemini } from './schema';

const invalid = (param: string, message: string) => new GatewayError('invalid_request', message, { param, code: 'invalid_value' });

/** generationConfig fields with no canonical counterpart: refused rather than dropped, since they change the answer. */
const UNTRANSLATABLE_CONFIG: Readonly<Record<string, string>> = Object.freeze({
  presencePenalty: 'presencePenalty',
  frequencyPenalty: 'frequencyPenalty',
  responseLogprobs: 'Log probabilities',
  logprobs: 'Log probabilities',
  speechConfig: 'Speech output',
  imageConfig: 'Image output',
  mediaResolution: 'mediaResolution',
  routingConfig: 'routingConfig',
  enableEnhancedCivicAnswers: 'enableEnhancedCivicAnswers',
});

/**
 * Checks the fields the gateway relies on in a generateContent (or countTokens) body, leniently:
 * a body that passes through to a Gemini upstream untouched is Gemini's to judge otherwise.
 */
export function validateGeminiRequest(body: Json, options: { countTokens?: boolean } = {}): void {
  if (options.countTokens && body.contents === undefined && isObject(body.generateContentRequest)) return validateGeminiRequest(body.generateContentRequest);
  if (!Array.isArray(body.contents)) throw invalid('contents', "Invalid value for 'contents': expected an array of Content objects.");
  body.contents.forEach((content: unknown, i) => {
    if (!isObject(content) || !Array.isArray(content.parts)) throw invalid(`contents[${i}].parts`, `Invalid value for 'contents[${i}].parts': expected an array of Part objects.`);
  });
  // In either spelling Gemini takes (generation_config.max_output_tokens too): the limit the policy's cap and the budget read.
  for (const name of ['generationConfig', 'generation_config']) {
    const config = body[name];
    if (config === undefined) continue;
    if (!isObject(config)) throw invalid(name, `Invalid value for '${name}': expected an object.`);
    for (const field of ['maxOutputTokens', 'max_output_tokens']) {
      const max = config[field];
      if (max !== undefined && !(typeof max === 'number' && Number.isSafeInteger(max) && max > 0)) {
        throw invalid(`${name}.${field}`, `Invalid value for '${name}.${field}': expected a positive integer.`);
      }
    }
  }
  if (body.tools !== undefined && !Array.isArray(body.tools)) throw invalid('tools', "Invalid value for 'tools': expected an array of Tool objects.");
}

/**
 * A Gemini `generateContent` body as the canonical request, for a target of another dialect.
 *
 * - Roles: `user` (or none, or the old `function`) → user; `model` → assistant.
 * - Function calls carry no id in Gemini: each gets its own (`call_{turn}_{part}`) unless it has
 *   one, and each functionResponse answers the call with its id, else the earliest unanswered
 *   call of its name that no response of its turn names by id (Gemini pairs them by name and order).
 * - `thought: true` parts are thinking (with their thoughtSignature); a functionCall's
 *   thoughtSignature travels with the call. A signature is Gemini's unless the gateway marked it
 *   as another family's (`carried-thinking.ts`); an unmarked one on a thought part of a turn
 *   whose call carries the gateway's blob was written, before the mark, by a Claude answer.
 * - Refused with a 400 naming the field: built-in tools (googleSearch, codeExecution, …),
 *   cachedContent, candidateCount > 1, audio or video parts, non-text response modalities, and
 *   generationConfig fields the canonical form has no place for. safetySettings are dropped:
 *   other providers have their own filters and no per-request thresholds.
 *
 * @example
 * decodeGeminiRequest({ contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] })
 * // → { model: '', system: [], messages: [{ role: 'user', parts: [{ type: 'text', text: 'Hi' }] }], stream: false }
 */
export function decodeGeminiRequest(body: Json): ChatRequest {
  validateGeminiRequest(body);
  if (body.cachedContent !== undefined) throw untranslatable('cachedContent', 'Gemini context caches (cachedContent)');
  const req: ChatRequest = { model: '', system: systemOf(body.systemInstruction), messages: messagesOf(body.contents as Json[]), stream: false };
  const tools = toolsOf(body.tools);
  if (tools.length > 0) req.tools = tools;
  const choice = toolChoiceOf(body.toolConfig);
  if (choice) req.toolChoice = choice;
  const config = generationConfigOf(body);
  if (config) applyGenerationConfig(req, config);
  return req;
}

/**
 * The body's generation config in camelCase. Gemini takes each field's proto name too
 * (`generation_config.max_output_tokens`), in any mix, so a translated call reads those as Gemini
 * would (and the parameter policy, which caps a limit where the client spelt it, holds here too).
 * A camelCase field wins over its snake_case twin.
 */
function generationConfigOf(body: Json): Json | undefined {
  const configs = [body.generation_config, body.generationConfig].filter(isObject);
  return configs.length === 0 ? undefined : Object.assign({}, ...configs.map(camelKeys));
}

function camelKeys(config: Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(config)) {
    const camel = key.replace(/_([a-z])/g, (_underscore, letter: string) => letter.toUpperCase());
    // A `__proto__` member would set the copy's prototype: no generation config field is named so.
    if ((camel !== key && Object.hasOwn(config, camel)) || camel === '__proto__') continue;
    out[camel] = camel === 'thinkingConfig' && isObject(value) ? camelKeys(value) : value;
  }
  return out;
}

function systemOf(instruction: unknown): TextPart[] {
  if (typeof instruction === 'string') return instruction === '' ? [] : [{ type: 'text', text: instruction }];
  if (!isObject(instruction) || !Array.isArray(instruction.parts)) return [];
  return instruction.parts.flatMap((part: unknown, j): TextPart[] => {
    if (!isObject(part) || typeof part.text !== 'string') throw untranslatable(`systemInstruction.parts[${j}]`, 'A systemInstruction part other than text');
    return part.text === '' ? [] : [{ type: 'text', text: part.text }];
  });
}

/** Pairs functionResponses with the calls they answer (by id, else by name in call order). */
class PendingCalls {
  readonly #open: { id: string; name: string }[] = [];

  called(id: string, name: string): void {
    this.#open.push({ id, name });
  }

  /** `claimed`: the ids the turn's responses give, whose calls a response by name alone leaves to them. */
  answer(id: unknown, name: string, param: string, claimed: ReadonlySet<unknown>): string {
    const byId = typeof id === 'string' && id !== '' ? this.#open.findIndex((c) => c.id === id) : -1;
    const unclaimed = this.#open.findIndex((c) => c.name === name && !claimed.has(c.id));
    const at = byId >= 0 ? byId : unclaimed >= 0 ? unclaimed : this.#open.findIndex((c) => c.name === name);
    if (at < 0) throw invalid(param, `The functionResponse in ${param} answers no functionCall named "${name}" in an earlier model turn.`);
    return this.#open.splice(at, 1)[0]!.id;
  }
}

function messagesOf(contents: Json[]): Message[] {
  const calls = new PendingCalls();
  const messages: Message[] = [];
  contents.forEach((content, i) => {
    const role = content.role ?? 'user';
    if (role !== 'user' && role !== 'model' && role !== 'function') throw invalid(`contents[${i}].role`, `Invalid value for 'contents[${i}].role': expected "user" or "model".`);
    const parts = content.parts as unknown[];
    if (role === 'model') {
      const carried: { thoughts?: AssistantPart[] } = {};
      const read = parts.flatMap((part, j) => modelPart(part, `contents[${i}].parts[${j}]`, `call_${i}_${j}`, calls, carried));
      const out = withThinking(joinThoughts(carried.thoughts ? read.map(claudeBeforeTheMark) : read), carried.thoughts);
      if (out.length > 0) messages.push({ role: 'assistant', parts: out });
    } else {
      const claimed = new Set(parts.map((part) => (isObject(part) && isObject(part.functionResponse) ? part.functionResponse.id : undefined)));
      const out = parts.flatMap((part, j) => userPart(part, `contents[${i}].parts[${j}]`, calls, claimed));
      if (out.length > 0) messages.push({ role: 'user', parts: out });
    }
  });
  return messages;
}

/**
 * In a turn the gateway wrote for Claude (its call carries the gateway's blob), a thought
 * signature read as Gemini's was unmarked, so written before the mark: it is Claude's. (The
 * gateway never marks Gemini's own signatures on this surface.)
 */
const claudeBeforeTheMark = (part: AssistantPart): AssistantPart => (part.type === 'thinking' && part.signedBy === 'gemini' ? { ...part, signedBy: 'claude' } : part);

/**
 * Thought parts streamed apart and kept by a client (the text in some, the signature on the
 * last) are one thinking block again, as the provider that signed it wants it back.
 */
function joinThoughts(parts: AssistantPart[]): AssistantPart[] {
  const out: AssistantPart[] = [];
  for (const part of parts) {
    const last = out.at(-1);
    if (part.type === 'thinking' && last?.type === 'thinking' && !last.signature) out[out.length - 1] = { ...part, text: last.text + part.text };
    else out.push(part);
  }
  return out;
}

/** The thinking a function call's signature carried goes first in its turn, unless the client kept the signed thoughts themselves. */
function withThinking(parts: AssistantPart[], carried: AssistantPart[] | undefined): AssistantPart[] {
  if (!carried) return parts;
  const kept = parts.some((p) => p.type === 'redacted_thinking' || (p.type === 'thinking' && p.signature));
  return kept ? parts : [...carried, ...parts];
}

function modelPart(raw: unknown, param: string, newId: string, calls: PendingCalls, carried: { thoughts?: AssistantPart[] }): AssistantPart[] {
  if (!isObject(raw)) throw invalid(param, `Invalid value for '${param}': expected a Part object.`);
  const thoughts = typeof raw.thoughtSignature === 'string' && isObject(raw.functionCall) ? carriedThinking(raw.thoughtSignature) : undefined;
  if (thoughts) carried.thoughts ??= thoughts;
  // A gateway blob that carries neither thinking nor a signature (a guardrail redacted the thinking it covered) signs nothing.
  const unsigned = (value: string) => (isGatewaySignature(value) ? {} : { signature: value, signedBy: 'gemini' as const });
  const signature = typeof raw.thoughtSignature === 'string' && raw.thoughtSignature !== '' && !thoughts ? (readGatewaySignature(raw.thoughtSignature) ?? unsigned(raw.thoughtSignature)) : {};
  if (isObject(raw.functionCall)) {
    const call = raw.functionCall;
    if (typeof call.name !== 'string' || call.name === '') throw invalid(`${param}.functionCall.name`, `Invalid value for '${param}.functionCall.name': expected the function's name.`);
    const id = typeof call.id === 'string' && call.id !== '' ? call.id : newId;
    calls.called(id, call.name);
    return [{ type: 'tool_call', id, name: call.name, arguments: JSON.stringify(isObject(call.args) ? call.args : {}), ...signature }];
  }
  if (typeof raw.text === 'string') {
    if (raw.thought === true) return [{ type: 'thinking', text: raw.text, ...signature }];
    // A signature on a plain text part has no canonical place, and only Gemini could read it.
    return raw.text === '' ? [] : [{ type: 'text', text: raw.text }];
  }
  if (raw.thoughtSignature !== undefined && Object.keys(raw).length === 1) return [];
  throw untranslatable(`${param}.${partKind(raw)}`, `A model turn's ${partKind(raw)} part`);
}

function userPart(raw: unknown, param: string, calls: PendingCalls, claimed: ReadonlySet<unknown>): UserPart[] {
  if (!isObject(raw)) throw invalid(param, `Invalid value for '${param}': expected a Part object.`);
  if (typeof raw.text === 'string') return raw.text === '' ? [] : [{ type: 'text', text: raw.text }];
  if (isObject(raw.inlineData)) return [media(raw.inlineData, `${param}.inlineData`, 'base64')];
  if (isObject(raw.fileData)) return [media(raw.fileData, `${param}.fileData`, 'url')];
  if (isObject(raw.functionResponse)) {
    const response = raw.functionResponse;
    if (typeof response.name !== 'string' || response.name === '') throw invalid(`${param}.functionResponse.name`, `Invalid value for '${param}.functionResponse.name': expected the function's name.`);
    const toolCallId = calls.answer(response.id, response.name, `${param}.functionResponse`, claimed);
    return [{ type: 'tool_result', toolCallId, name: response.name, ...resultContent(response, `${param}.functionResponse`) }];
  }
  if (isObject(raw.functionCall)) throw invalid(`${param}.functionCall`, `A functionCall part in ${param} belongs in a model turn.`);
  throw untranslatable(`${param}.${partKind(raw)}`, `A ${partKind(raw)} part`);
}

/**
 * A functionResponse's `response` as the result's text: Gemini CLI and the docs put the text in
 * `output` (or `error`), which goes as it is; any other object goes as its JSON. Images in
 * `parts` (multimodal function responses) follow the text.
 */
function resultContent(response: Json, param: string): { content: string | (TextPart | Extract<UserPart, { type: 'image' }>)[]; isError?: boolean } {
  const value = isObject(response.response) ? response.response : {};
  const keys = Object.keys(value);
  const only = keys.length === 1 ? keys[0] : undefined;
  const isError = only === 'error';
  const text = (only === 'output' || only === 'error') && typeof value[only] === 'string' ? (value[only] as string) : JSON.stringify(value);
  const extra = Array.isArray(response.parts) ? response.parts : [];
  const images = extra.map((part: unknown, k) => {
    const blob = isObject(part) ? part.inlineData : undefined;
    const converted = isObject(blob) ? media(blob, `${param}.parts[${k}].inlineData`, 'base64') : undefined;
    if (converted?.type !== 'image') throw untranslatable(`${param}.parts[${k}]`, 'A function response part other than an image');
    return converted;
  });
  const content = images.length > 0 ? [{ type: 'text' as const, text }, ...images] : text;
  return { content, ...(isError ? { isError: true } : {}) };
}

/** inlineData (base64) or fileData (a URL) as an image or a document; audio and video have no canonical form. */
function media(blob: Json, param: string, kind: 'base64' | 'url'): Extract<UserPart, { type: 'image' | 'document' }> {
  const mimeType = typeof blob.mimeType === 'string' ? blob.mimeType.toLowerCase() : '';
  const value = kind === 'base64' ? blob.data : blob.fileUri;
  if (typeof value !== 'string' || value === '') {
    throw invalid(`${param}.${kind === 'base64' ? 'data' : 'fileUri'}`, `Invalid value for '${param}': expected ${kind === 'base64' ? 'base64 data' : 'a fileUri'}.`);
  }
  const source = kind === 'base64' ? { kind: 'base64' as const, mediaType: mimeType, data: value } : { kind: 'url' as const, url: value };
  if (mimeType.startsWith('image/')) return { type: 'image', source };
  if (mimeType === 'application/pdf' || (kind === 'url' && mimeType === '')) return { type: 'document', source };
  if (mimeType === 'text/plain' && kind === 'base64') return { type: 'document', source: { kind: 'text', text: Buffer.from(value, 'base64').toString('utf8') } };
  throw untranslatable(`${param}.mimeType`, `A ${mimeType || 'typeless'} part (only images, PDFs and plain text translate)`);
}

const partKind = (part: Json): string => Object.keys(part).find((k) => k !== 'thoughtSignature' && k !== 'thought') ?? 'empty';

function toolsOf(tools: unknown): ToolDefinition[] {
  if (!Array.isArray(tools)) return [];
  return tools.flatMap((tool: unknown, i) => {
    if (!isObject(tool)) throw invalid(`tools[${i}]`, `Invalid value for 'tools[${i}]': expected a Tool object.`);
    const builtIn = Object.keys(tool).find((k) => k !== 'functionDeclarations');
    if (builtIn) throw untranslatable(`tools[${i}].${builtIn}`, `Gemini's built-in tool ${builtIn}`);
    const declarations = Array.isArray(tool.functionDeclarations) ? tool.functionDeclarations : [];
    return declarations.map((d: unknown, k): ToolDefinition => {
      const param = `tools[${i}].functionDeclarations[${k}]`;
      if (!isObject(d) || typeof d.name !== 'string' || d.name === '') throw invalid(`${param}.name`, `Invalid value for '${param}.name': expected the function's name.`);
      return { name: d.name, ...(typeof d.description === 'string' && d.description !== '' ? { description: d.description } : {}), parameters: parametersOf(d) };
    });
  });
}

/** parametersJsonSchema is JSON Schema already; parameters is Gemini's subset. Either way an object schema, as every provider wants. */
function parametersOf(declaration: Json): Json {
  const schema = isObject(declaration.parametersJsonSchema) ? { ...declaration.parametersJsonSchema } : jsonSchemaFromGemini(declaration.parameters);
  if (schema.type === undefined) schema.type = 'object';
  if (schema.type === 'object' && schema.properties === undefined) schema.properties = {};
  return schema;
}

function toolChoiceOf(toolConfig: unknown): ToolChoice | undefined {
  const config = isObject(toolConfig) && isObject(toolConfig.functionCallingConfig) ? toolConfig.functionCallingConfig : undefined;
  if (!config) return undefined;
  const names = Array.isArray(config.allowedFunctionNames) ? config.allowedFunctionNames.filter((n): n is string => typeof n === 'string') : [];
  switch (config.mode) {
    case 'NONE':
      return { type: 'none' };
    case 'ANY':
      if (names.length > 1) throw untranslatable('toolConfig.functionCallingConfig.allowedFunctionNames', 'A choice among several allowedFunctionNames');
      return names.length === 1 ? { type: 'tool', name: names[0]! } : { type: 'required' };
    case 'AUTO':
    case 'VALIDATED':
      return { type: 'auto' };
    default:
      return undefined;
  }
}

function applyGenerationConfig(req: ChatRequest, config: Json): void {
  for (const key of Object.keys(config)) {
    const what = UNTRANSLATABLE_CONFIG[key];
    // 0 and false (no penalty, no log probabilities) change nothing, as on OpenAI's surface.
    if (what && config[key] !== undefined && config[key] !== null && config[key] !== 0 && config[key] !== false) throw untranslatable(`generationConfig.${key}`, what);
  }
  const number = (key: string) => (typeof config[key] === 'number' ? (config[key] as number) : undefined);
  const set = <K extends keyof ChatRequest>(key: K, value: ChatRequest[K] | undefined) => {
    if (value !== undefined) req[key] = value;
  };
  set('maxTokens', number('maxOutputTokens'));
  set('temperature', number('temperature'));
  set('topP', number('topP'));
  set('topK', number('topK'));
  set('seed', number('seed'));
  if (Array.isArray(config.stopSequences)) {
    const stop = config.stopSequences.filter((s): s is string => typeof s === 'string' && s !== '');
    if (stop.length > 0) req.stop = stop;
  }
  const candidates = number('candidateCount');
  if (candidates !== undefined && candidates > 1) throw untranslatable('generationConfig.candidateCount', 'More than one candidate');
  const modalities = Array.isArray(config.responseModalities) ? config.responseModalities : [];
  const other = modalities.find((m) => m !== 'TEXT');
  if (other !== undefined) throw untranslatable('generationConfig.responseModalities', `The response modality ${String(other)}`);
  set('responseFormat', responseFormatOf(config));
  set('reasoning', reasoningOf(config.thinkingConfig));
}

function responseFormatOf(config: Json): ResponseFormat | undefined {
  const mime = config.responseMimeType;
  if (mime === undefined || mime === 'text/plain') return undefined;
  if (mime !== 'application/json') throw untranslatable('generationConfig.responseMimeType', `The response type ${String(mime)}`);
  const schema = isObject(config.responseJsonSchema) ? config.responseJsonSchema : isObject(config.responseSchema) ? jsonSchemaFromGemini(config.responseSchema) : undefined;
  return schema ? { type: 'json_schema', name: 'response', schema } : { type: 'json_object' };
}

/**
 * thinkingBudget: a number of tokens; 0 is thinking off (no reasoning asked), -1 is Gemini's
 * "dynamic" (left to the model), which other providers know as a medium effort. thinkingLevel is
 * an effort. includeThoughts has no canonical place: thoughts come back whenever the target
 * returns them, as `thought: true` parts, which clients (response.text, Gemini CLI) keep apart.
 */
function reasoningOf(thinking: unknown): ReasoningOptions | undefined {
  if (!isObject(thinking)) return undefined;
  const budget = thinking.thinkingBudget;
  if (typeof budget === 'number') {
    if (budget === 0) return undefined;
    return budget < 0 ? { effort: 'medium' } : { budgetTokens: budget };
  }
  const level = typeof thinking.thinkingLevel === 'string' ? thinking.thinkingLevel.toLowerCase() : undefined;
  if (level === 'minimal' || level === 'low' || level === 'medium' || level === 'high') return { effort: level };
  return undefined;
}
