/**
 * An OpenAI Chat Completions body as the canonical request, for when the gateway translates it
 * for a provider of another dialect. (Same-dialect calls pass the body through instead.)
 *
 * Decisions on what has no one-to-one mapping:
 * - `system` and `developer` messages become system parts in order, wherever they stand in the
 *   history: the canonical form (like Anthropic, Gemini and Bedrock) has one system prompt, and
 *   keeping the text beats refusing or demoting it to a user turn.
 * - `tool` messages become `tool_result` parts of one user message; a user message that follows
 *   them joins that message (results first), as the canonical form expects. Each result gets the
 *   tool's name from the assistant call it answers (Gemini maps results by name). Their image
 *   parts are kept: OpenAI documents only text there, but Zed sends a tool's image so, and
 *   Anthropic, Gemini and Bedrock take images in a tool result.
 * - The legacy `functions` / `function_call` / `function` role are refused: answering them would
 *   need the legacy response shape too, and current clients use `tools`.
 * - Features that no translation target can serve are refused with a 400 naming the field
 *   (`n > 1`, logprobs, audio, penalties, logit_bias, predicted outputs, web search).
 * - Bookkeeping for OpenAI's own platform is ignored: `store`, `metadata`, `service_tier`,
 *   `prompt_cache_key`, a message's `name`; `stream_options` is read by the pipeline.
 * - `reasoning_content` on assistant history is ignored: it is an output field (DeepSeek rejects
 *   it as input) and unsigned reasoning cannot be replayed to Anthropic.
 * - `cache_control` on a content part (sent by clients written for OpenRouter) is kept.
 */
import { z } from 'zod';
import type {
  AssistantPart,
  CacheControl,
  ChatRequest,
  DocumentPart,
  ImagePart,
  ReasoningOptions,
  ResponseFormat,
  TextPart,
  ToolChoice,
  ToolDefinition,
  ToolResultPart,
  UserPart,
} from '../../canonical/types';
import { GatewayError, untranslatable } from '../../http/errors';
import { absentOr, isBoolean, isObject, isText, nullishOr, type Json } from '../../http/json-checks';
import { fieldPath } from '../../http/validation';
import { HistoryBuilder } from '../history';
import { parseChatRequest } from './request';

/** Top-level fields refused when set to anything but their neutral value. */
const REFUSED_FIELDS: ReadonlyArray<{ field: string; isSet: (v: unknown) => boolean; what: string }> = [
  { field: 'n', isSet: (v) => typeof v === 'number' && v > 1, what: 'n > 1' },
  { field: 'logprobs', isSet: (v) => v === true, what: 'logprobs' },
  { field: 'top_logprobs', isSet: (v) => v != null, what: 'top_logprobs' },
  { field: 'audio', isSet: (v) => v != null, what: 'Audio output' },
  { field: 'modalities', isSet: (v) => Array.isArray(v) && v.includes('audio'), what: 'The audio modality' },
  { field: 'functions', isSet: (v) => v != null, what: 'The deprecated `functions` parameter (use `tools`)' },
  { field: 'function_call', isSet: (v) => v != null, what: 'The deprecated `function_call` parameter (use `tool_choice`)' },
  { field: 'logit_bias', isSet: (v) => typeof v === 'object' && v !== null && Object.keys(v).length > 0, what: 'logit_bias' },
  { field: 'presence_penalty', isSet: (v) => typeof v === 'number' && v !== 0, what: 'presence_penalty' },
  { field: 'frequency_penalty', isSet: (v) => typeof v === 'number' && v !== 0, what: 'frequency_penalty' },
  { field: 'prediction', isSet: (v) => v != null, what: 'Predicted outputs' },
  { field: 'web_search_options', isSet: (v) => v != null, what: 'Web search' },
  { field: 'verbosity', isSet: (v) => v != null && v !== 'medium', what: 'verbosity' },
];

const CacheControlSchema = z.looseObject({ type: z.literal('ephemeral'), ttl: z.string().optional() });

/** OpenAI's efforts, each of which a translation can honour: the schema's and the quick check's. */
const EFFORTS = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'] as const;

/** The body's fields only a translation reads (exported for the tests of `plainTranslatedFields`). */
export const TranslatedFields = z.looseObject({
  parallel_tool_calls: z.boolean().nullish(),
  seed: z.number().int().nullish(),
  // 'none' means no reasoning, which is every other provider's default; 'xhigh' has no equivalent
  // elsewhere and asks for the most there is, high (as on the Responses and Messages surfaces).
  reasoning_effort: z.enum(EFFORTS).nullish(),
  safety_identifier: z.string().nullish(),
  response_format: z
    .discriminatedUnion('type', [
      z.looseObject({ type: z.literal('text') }),
      z.looseObject({ type: z.literal('json_object') }),
      z.looseObject({
        type: z.literal('json_schema'),
        json_schema: z.looseObject({
          name: z.string().min(1),
          description: z.string().optional(),
          schema: z.record(z.string(), z.unknown()).optional(),
          strict: z.boolean().nullish(),
        }),
      }),
    ])
    .nullish(),
  tools: z
    .array(z.looseObject({ function: z.looseObject({ strict: z.boolean().nullish() }), cache_control: CacheControlSchema.optional() }))
    .optional(),
});

type TranslatedExtra = z.infer<typeof TranslatedFields>;

const EFFORT_SET: ReadonlySet<unknown> = new Set(EFFORTS);

// `TranslatedFields`' and the text parts' common cases, checked by hand, as `plainlyValid` checks
// the request (zod's walk costs far more when the CPU comes to it cold): each check must never
// accept what its schema refuses, and what it accepts is read from the body as the schema would
// have given it. zod runs only when a check says no, to name the bad field or to read the rest.
// The tests hold them to that over tables of valid and invalid bodies.
const plainToolExtra = (t: unknown): boolean => isObject(t) && isObject(t.function) && nullishOr(t.function.strict, isBoolean) && t.cache_control === undefined;

/** Whether `TranslatedFields` would accept the body and give its fields as they are: none set, or each of its plain shapes (no `response_format`, no cache marks on tools). */
export function plainTranslatedFields(b: Json): boolean {
  return (
    nullishOr(b.parallel_tool_calls, isBoolean) &&
    nullishOr(b.seed, Number.isSafeInteger) &&
    nullishOr(b.reasoning_effort, (v) => EFFORT_SET.has(v)) &&
    nullishOr(b.safety_identifier, isText) &&
    (b.response_format === undefined || b.response_format === null) &&
    absentOr(b.tools, (tools) => Array.isArray(tools) && tools.every(plainToolExtra))
  );
}

/** A text part without a cache mark, the one part most bodies have: the same part `TextContentPart` gives. */
export const isPlainTextPart = (p: unknown): p is { type: 'text'; text: string } => isObject(p) && p.type === 'text' && isText(p.text) && p.cache_control === undefined;

/** The content parts' schemas (exported for the tests of `isPlainTextPart`). */
export const TextContentPart = z.looseObject({ type: z.literal('text'), text: z.string(), cache_control: CacheControlSchema.optional() });
export const UserContentPart = z.discriminatedUnion('type', [
  TextContentPart,
  z.looseObject({
    type: z.literal('image_url'),
    image_url: z.looseObject({ url: z.string().min(1), detail: z.enum(['auto', 'low', 'high']).optional() }),
    cache_control: CacheControlSchema.optional(),
  }),
  z.looseObject({ type: z.literal('input_audio') }),
  z.looseObject({
    type: z.literal('file'),
    file: z.looseObject({ file_data: z.string().optional(), file_id: z.string().optional(), filename: z.string().optional() }),
    cache_control: CacheControlSchema.optional(),
  }),
]);
export const AssistantContentPart = z.discriminatedUnion('type', [TextContentPart, z.looseObject({ type: z.literal('refusal'), refusal: z.string() })]);

/** A 400 for a feature the gateway cannot translate (the pipeline adds which provider). */
export function unsupported(param: string, what: string): GatewayError {
  return untranslatable(param, what);
}

/** Validates with `schema`, naming the field at fault under `path` in the 400. */
function parseAt<T>(schema: z.ZodType<T>, value: unknown, path: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const sub = fieldPath(issue.path);
  const param = !path ? sub : !sub ? path : sub.startsWith('[') ? path + sub : `${path}.${sub}`;
  throw new GatewayError('invalid_request', `Invalid value for '${param}': ${issue.message}`, { param, code: 'invalid_value' });
}

function cacheControlOf(part: { cache_control?: { type: 'ephemeral'; ttl?: string | undefined } | undefined }): { cacheControl?: CacheControl } {
  const cc = part.cache_control;
  if (!cc) return {};
  return { cacheControl: { type: 'ephemeral', ...(cc.ttl ? { ttl: cc.ttl } : {}) } };
}

/** `data:<media type>;base64,<data>`, the one data-URL form OpenAI accepts for images and files. */
export function parseDataUrl(url: string): { mediaType: string; data: string } | undefined {
  const match = /^data:([^;,]+)((?:;[^;,]+)*);base64,(.*)$/s.exec(url);
  return match ? { mediaType: match[1]!, data: match[3]! } : undefined;
}

function textParts(content: string | readonly { text: string; cache_control?: unknown }[], path: string): TextPart[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  return content.map((raw, j) => {
    if (isPlainTextPart(raw)) return { type: 'text' as const, text: raw.text };
    const part = parseAt(TextContentPart, raw, `${path}[${j}]`);
    return { type: 'text' as const, text: part.text, ...cacheControlOf(part) };
  });
}

function userParts(content: unknown, path: string): UserPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return (content as unknown[]).map((raw, j): UserPart => {
    if (isPlainTextPart(raw)) return { type: 'text', text: raw.text };
    const at = `${path}[${j}]`;
    const part = parseAt(UserContentPart, raw, at);
    switch (part.type) {
      case 'text':
        return { type: 'text', text: part.text, ...cacheControlOf(part) };
      case 'image_url': {
        const { url, detail } = part.image_url;
        const data = url.startsWith('data:') ? parseDataUrl(url) : undefined;
        if (url.startsWith('data:') && !data) {
          throw new GatewayError('invalid_request', `Invalid value for '${at}.image_url.url': a data URL must be base64 (data:<type>;base64,…).`, {
            param: `${at}.image_url.url`,
            code: 'invalid_value',
          });
        }
        const source: ImagePart['source'] = data ? { kind: 'base64', ...data } : { kind: 'url', url };
        return { type: 'image', source, ...(detail ? { detail } : {}), ...cacheControlOf(part) };
      }
      case 'input_audio':
        throw unsupported(at, 'Audio input (input_audio)');
      case 'file': {
        const { file_data: fileData, file_id: fileId, filename } = part.file;
        if (fileId !== undefined) throw unsupported(`${at}.file.file_id`, 'A file uploaded to OpenAI (file_id)');
        const data = fileData === undefined ? undefined : parseDataUrl(fileData);
        if (!data) {
          throw new GatewayError('invalid_request', `Invalid value for '${at}.file.file_data': expected a base64 data URL (data:application/pdf;base64,…).`, {
            param: `${at}.file.file_data`,
            code: 'invalid_value',
          });
        }
        const doc: DocumentPart = { type: 'document', source: { kind: 'base64', ...data }, ...(filename ? { title: filename } : {}), ...cacheControlOf(part) };
        return doc;
      }
    }
  });
}

/** A tool message's content: its text, or its text and image parts (Zed sends a tool's image this way). */
function toolResultContent(content: unknown, path: string): ToolResultPart['content'] {
  if (typeof content === 'string') return content;
  return userParts(content, path).map((part, j) => {
    if (part.type === 'text' || part.type === 'image') return part;
    throw unsupported(`${path}[${j}]`, 'A file in a tool message (send it in a user message)');
  });
}

/** An assistant message's canonical parts: its non-empty texts and refusals, then its tool calls (error-fields.ts counts them to name a call). */
export function assistantParts(m: Record<string, unknown>, path: string): AssistantPart[] {
  if (m.audio != null) throw unsupported(`${path}.audio`, 'A reference to an earlier audio answer');
  if (m.function_call != null) throw unsupported(`${path}.function_call`, 'The deprecated `function_call` message field (use `tool_calls`)');
  const parts: AssistantPart[] = [];
  const content = m.content;
  if (typeof content === 'string') {
    if (content !== '') parts.push({ type: 'text', text: content });
  } else if (Array.isArray(content)) {
    content.forEach((raw, j) => {
      if (isPlainTextPart(raw)) {
        if (raw.text !== '') parts.push({ type: 'text', text: raw.text });
        return;
      }
      const part = parseAt(AssistantContentPart, raw, `${path}.content[${j}]`);
      const text = part.type === 'text' ? part.text : part.refusal;
      if (text !== '') parts.push({ type: 'text', text, ...(part.type === 'text' ? cacheControlOf(part) : {}) });
    });
  }
  const calls = (m.tool_calls ?? []) as { id: string; function: { name: string; arguments: string } }[];
  for (const call of calls) parts.push({ type: 'tool_call', id: call.id, name: call.function.name, arguments: call.function.arguments });
  return parts;
}

function toolChoiceOf(choice: unknown): ToolChoice | undefined {
  if (choice === undefined) return undefined;
  if (choice === 'auto' || choice === 'none' || choice === 'required') return { type: choice };
  return { type: 'tool', name: (choice as { function: { name: string } }).function.name };
}

function responseFormatOf(format: TranslatedExtra['response_format']): ResponseFormat | undefined {
  if (!format) return undefined;
  if (format.type !== 'json_schema') return { type: format.type };
  const { name, description, schema, strict } = format.json_schema;
  return {
    type: 'json_schema',
    name,
    // OpenAI lets `schema` be omitted (any JSON); the canonical form always carries one.
    schema: schema ?? {},
    ...(typeof strict === 'boolean' ? { strict } : {}),
    ...(description !== undefined ? { description } : {}),
  };
}

/**
 * Validates an OpenAI Chat Completions body and decodes it into the canonical request.
 * Throws a GatewayError 400 naming the field for anything invalid or untranslatable.
 *
 * @example
 * const req = decodeChatRequest({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] });
 * // req.messages → [{ role: 'user', parts: [{ type: 'text', text: 'Hi' }] }]
 */
export function decodeChatRequest(raw: Record<string, unknown>): ChatRequest {
  const body = parseChatRequest(raw);
  for (const { field, isSet, what } of REFUSED_FIELDS) if (isSet(raw[field])) throw unsupported(field, what);
  const extra = plainTranslatedFields(raw) ? (raw as TranslatedExtra) : parseAt(TranslatedFields, raw, '');

  const system: TextPart[] = [];
  const history = new HistoryBuilder();
  body.messages.forEach((m, i) => {
    const path = `messages[${i}]`;
    switch (m.role) {
      case 'system':
      case 'developer':
        system.push(...textParts(m.content, `${path}.content`));
        return;
      case 'function':
        throw unsupported(`${path}.role`, "The deprecated 'function' role (use 'tool' messages)");
      case 'tool':
        history.toolResult({ type: 'tool_result', toolCallId: m.tool_call_id, content: toolResultContent(m.content, `${path}.content`) });
        return;
      case 'user':
        history.user(userParts(m.content, `${path}.content`));
        return;
      case 'assistant':
        history.assistant(assistantParts(m, path));
        return;
    }
  });
  const messages = history.messages;

  const req: ChatRequest = { model: body.model, system, messages, stream: body.stream === true };
  if (body.tools?.length) req.tools = body.tools.map((t, k) => toolOf(t.function, extra.tools?.[k]));
  const toolChoice = toolChoiceOf(body.tool_choice);
  if (toolChoice) req.toolChoice = toolChoice;
  if (typeof extra.parallel_tool_calls === 'boolean') req.parallelToolCalls = extra.parallel_tool_calls;
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  if (maxTokens != null) req.maxTokens = maxTokens;
  if (body.temperature != null) req.temperature = body.temperature;
  if (body.top_p != null) req.topP = body.top_p;
  if (body.stop != null) req.stop = typeof body.stop === 'string' ? [body.stop] : body.stop;
  const responseFormat = responseFormatOf(extra.response_format);
  if (responseFormat) req.responseFormat = responseFormat;
  const reasoning = reasoningOf(extra.reasoning_effort);
  if (reasoning) req.reasoning = reasoning;
  if (extra.seed != null) req.seed = extra.seed;
  const user = body.user ?? extra.safety_identifier ?? undefined;
  if (user) req.user = user;
  return req;
}

function reasoningOf(effort: string | null | undefined): ReasoningOptions | undefined {
  if (effort == null || effort === 'none') return undefined;
  if (effort === 'xhigh') return { effort: 'high' };
  return { effort: effort as NonNullable<ReasoningOptions['effort']> };
}

function toolOf(
  fn: { name: string; description?: string | undefined; parameters?: Record<string, unknown> | undefined },
  extra: { function: { strict?: boolean | null | undefined }; cache_control?: { type: 'ephemeral'; ttl?: string | undefined } | undefined } | undefined,
): ToolDefinition {
  const tool: ToolDefinition = { name: fn.name, parameters: fn.parameters ?? { type: 'object', properties: {} } };
  if (fn.description !== undefined) tool.description = fn.description;
  if (typeof extra?.function.strict === 'boolean') tool.strict = extra.function.strict;
  return { ...tool, ...cacheControlOf(extra ?? {}) };
}
