/**
 * OpenAI Chat Completions' wire format, as pure builders: bodies, stream
 * chunks and error bodies, shaped and ordered like the real API's.
 *
 * Byte-level habits of the real API kept here on purpose (gateways parse
 * them, so tests should see them):
 * - a non-stream body is JSON indented by 2 spaces with a trailing newline;
 * - an error body is JSON indented by 4 spaces with a trailing newline;
 * - a stream chunk is compact JSON in `data: …\n\n`, and every chunk carries
 *   a random `obfuscation` string unless `stream_options.include_obfuscation`
 *   is false.
 */
import { STATUS_CODES } from 'node:http';
import { randomAlnum, randomHex } from './http';

export type FinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls';

/** Token counts for a reply; `completion` includes `reasoning`, as in the real API. */
export interface ReplyUsage {
  prompt: number;
  completion: number;
  cached?: number;
  reasoning?: number;
}

export interface ToolCallSpec {
  /** Defaults to a fresh `call_…` id. */
  id?: string;
  name: string;
  /** JSON text, as the model would write it. */
  arguments: string;
  /** How to split `arguments` in a stream; defaults to token-like pieces. */
  argumentChunks?: string[];
}

/** What one chat completion says, whichever way it is sent. */
export interface CompletionContent {
  text?: string;
  /** How to split `text` in a stream; defaults to one piece per word. */
  chunks?: string[];
  calls?: ToolCallSpec[];
  finishReason: FinishReason;
  usage: ReplyUsage;
}

/** What every chunk and body of one completion shares. */
export interface CompletionFrame {
  id: string;
  created: number;
  model: string;
  systemFingerprint: string;
}

export interface StreamOptions {
  includeUsage: boolean;
  obfuscate: boolean;
}

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | number | null };
}

const SSE_DONE = 'data: [DONE]\n\n';

export function newCompletionFrame(model: string): CompletionFrame {
  return {
    id: `chatcmpl-${randomAlnum(29)}`,
    created: Math.floor(Date.now() / 1000),
    model,
    systemFingerprint: `fp_${randomHex(10)}`,
  };
}

export function newToolCallId(): string {
  return `call_${randomAlnum(24)}`;
}

export function usageObject(usage: ReplyUsage): Record<string, unknown> {
  return {
    prompt_tokens: usage.prompt,
    completion_tokens: usage.completion,
    total_tokens: usage.prompt + usage.completion,
    prompt_tokens_details: { cached_tokens: usage.cached ?? 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: usage.reasoning ?? 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** The body of a non-stream `chat.completion`, as the bytes the real API sends. */
export function completionBody(frame: CompletionFrame, content: CompletionContent): string {
  const toolCalls = content.calls?.map((call) => ({
    id: call.id ?? newToolCallId(),
    type: 'function',
    function: { name: call.name, arguments: call.arguments },
  }));
  const message: Record<string, unknown> = { role: 'assistant', content: content.text ?? null };
  if (toolCalls && toolCalls.length > 0) message['tool_calls'] = toolCalls;
  message['refusal'] = null;
  message['annotations'] = [];
  const body = {
    id: frame.id,
    object: 'chat.completion',
    created: frame.created,
    model: frame.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: content.finishReason }],
    usage: usageObject(content.usage),
    service_tier: 'default',
    system_fingerprint: frame.systemFingerprint,
  };
  return `${JSON.stringify(body, null, 2)}\n`;
}

/** Splits text the way a tokenizer roughly would: one piece per word, keeping the leading space. */
export function splitWords(text: string): string[] {
  return text.match(/\s*\S+\s*$|\s*\S+/g) ?? (text === '' ? [] : [text]);
}

/** Splits JSON text into token-like pieces: `{"city":"Paris"}` → `{"`, `city`, `":"`, `Paris`, `"}`. */
export function splitJsonTokens(json: string): string[] {
  return json.match(/[A-Za-z0-9_]+|[^A-Za-z0-9_]+/g) ?? [];
}

function chunkFrame(
  frame: CompletionFrame,
  options: StreamOptions,
  choices: unknown[],
  usage: Record<string, unknown> | null,
): string {
  const chunk: Record<string, unknown> = {
    id: frame.id,
    object: 'chat.completion.chunk',
    created: frame.created,
    model: frame.model,
    service_tier: 'default',
    system_fingerprint: frame.systemFingerprint,
    choices,
  };
  if (options.includeUsage) chunk['usage'] = usage;
  if (options.obfuscate) chunk['obfuscation'] = randomAlnum(1 + Math.floor(Math.random() * 12));
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

function deltaChoice(delta: Record<string, unknown>, finishReason: FinishReason | null = null): unknown {
  return { index: 0, delta, logprobs: null, finish_reason: finishReason };
}

/**
 * Every SSE event of one streamed completion, in order, ending with `data: [DONE]`.
 *
 * A reply that opens with a tool call carries the role in that first tool
 * delta (`content: null`), as the real API does; a reply with text opens with
 * `{role, content: "", refusal: null}`.
 */
export function streamEvents(frame: CompletionFrame, content: CompletionContent, options: StreamOptions): string[] {
  const events: string[] = [];
  const push = (delta: Record<string, unknown>, finish: FinishReason | null = null): void => {
    events.push(chunkFrame(frame, options, [deltaChoice(delta, finish)], null));
  };
  const hasText = content.text !== undefined && content.text !== '';
  const calls = content.calls ?? [];
  if (hasText || calls.length === 0) {
    push({ role: 'assistant', content: '', refusal: null });
    for (const piece of content.chunks ?? splitWords(content.text ?? '')) push({ content: piece });
  }
  calls.forEach((call, index) => {
    const opening = { index, id: call.id ?? newToolCallId(), type: 'function', function: { name: call.name, arguments: '' } };
    if (events.length === 0) push({ role: 'assistant', content: null, tool_calls: [opening], refusal: null });
    else push({ tool_calls: [opening] });
    for (const piece of call.argumentChunks ?? splitJsonTokens(call.arguments)) {
      push({ tool_calls: [{ index, function: { arguments: piece } }] });
    }
  });
  push({}, content.finishReason);
  if (options.includeUsage) events.push(chunkFrame(frame, options, [], usageObject(content.usage)));
  events.push(SSE_DONE);
  return events;
}

function errorBody(message: string, type: string, param: string | null, code: string | number | null): OpenAIErrorBody {
  return { error: { message, type, param, code } };
}

/** Serialises an error body as the real API does (4-space indent, trailing newline). */
export function errorBodyText(body: unknown): string {
  return typeof body === 'string' ? body : `${JSON.stringify(body, null, 4)}\n`;
}

/** Hides an API key the way OpenAI's 401 message does: first 8 and last 4 characters. */
export function maskApiKey(key: string): string {
  if (key.length <= 12) return key;
  return `${key.slice(0, 8)}${'*'.repeat(key.length - 12)}${key.slice(-4)}`;
}

/** The real API's error bodies, by cause. */
export const openAIErrors = {
  missingApiKey: (): OpenAIErrorBody =>
    errorBody(
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.",
      'invalid_request_error',
      null,
      null,
    ),
  invalidApiKey: (key: string): OpenAIErrorBody =>
    errorBody(
      `Incorrect API key provided: ${maskApiKey(key)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
      'invalid_request_error',
      null,
      'invalid_api_key',
    ),
  invalidJson: (): OpenAIErrorBody =>
    errorBody(
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)",
      'invalid_request_error',
      null,
      null,
    ),
  missingModel: (): OpenAIErrorBody => errorBody('you must provide a model parameter', 'invalid_request_error', null, null),
  missingMessages: (): OpenAIErrorBody =>
    errorBody("Missing required parameter: 'messages'.", 'invalid_request_error', 'messages', 'missing_required_parameter'),
  emptyMessages: (): OpenAIErrorBody =>
    errorBody(
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      'invalid_request_error',
      'messages',
      'empty_array',
    ),
  unansweredToolCalls: (at: number, ids: string[]): OpenAIErrorBody =>
    errorBody(
      `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${ids.join(', ')}`,
      'invalid_request_error',
      `messages.[${at}].role`,
      null,
    ),
  imageOutsideUserMessage: (at: number, role: string): OpenAIErrorBody =>
    errorBody(
      `Invalid 'messages[${at}]'. Image URLs are only allowed for messages with role 'user', but this message with role '${role}' contains an image URL.`,
      'invalid_request_error',
      `messages.[${at}].content`,
      null,
    ),
  strayToolMessage: (at: number): OpenAIErrorBody =>
    errorBody("Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.", 'invalid_request_error', `messages.[${at}].role`, null),
  missingPrompt: (): OpenAIErrorBody => errorBody("Missing required parameter: 'prompt'.", 'invalid_request_error', 'prompt', 'missing_required_parameter'),
  streamOptionsWithoutStream: (): OpenAIErrorBody =>
    errorBody("The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'invalid_request_error', 'stream_options', null),
  contextLengthExceeded: (): OpenAIErrorBody =>
    errorBody(
      "This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens. Please reduce the length of the messages.",
      'invalid_request_error',
      'messages',
      'context_length_exceeded',
    ),
  unsupportedRegion: (): OpenAIErrorBody =>
    errorBody('Country, region, or territory not supported', 'request_forbidden', null, 'unsupported_country_region_territory'),
  modelNotFound: (model: string): OpenAIErrorBody =>
    errorBody(`The model \`${model}\` does not exist or you do not have access to it.`, 'invalid_request_error', null, 'model_not_found'),
  invalidUrl: (method: string, path: string): OpenAIErrorBody =>
    errorBody(`Invalid URL (${method} ${path})`, 'invalid_request_error', null, null),
  rateLimited: (model: string): OpenAIErrorBody =>
    errorBody(
      `Rate limit reached for ${model} in organization org-fake on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 1s. Visit https://platform.openai.com/account/rate-limits to learn more.`,
      'requests',
      null,
      'rate_limit_exceeded',
    ),
  insufficientQuota: (): OpenAIErrorBody =>
    errorBody(
      'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
      'insufficient_quota',
      null,
      'insufficient_quota',
    ),
  serverError: (): OpenAIErrorBody =>
    errorBody('The server had an error while processing your request. Sorry about that!', 'server_error', null, null),
  badGateway: (): OpenAIErrorBody => errorBody('Bad gateway.', 'cf_bad_gateway', null, 502),
  overloaded: (): OpenAIErrorBody =>
    errorBody('The engine is currently overloaded, please try again later.', 'server_error', null, null),
};

/** A parameter a reasoning model takes only at its default (`Only the default (1) value is supported`). */
const DEFAULT_ONLY: readonly (readonly [string, number])[] = [
  ['temperature', 1],
  ['top_p', 1],
  ['presence_penalty', 0],
  ['frequency_penalty', 0],
];

/**
 * What OpenAI (and Azure OpenAI, whose deployments of the same models answer alike) says to a
 * Chat Completions body a model refuses: a reasoning model (o-series, codex-mini, GPT-5 but its
 * chat model) refuses `max_tokens`, a sampling value other than the default and `logprobs` (o3,
 * o4-mini, codex-mini and GPT-5 also `stop`), except
 * that GPT-5.1 and later take sampling while they do not reason; GPT-4-era chat models refuse
 * `reasoning_effort`. The fake's own reading of OpenAI's documented behaviour, kept apart from the
 * gateway's table so that a test proves the mending rather than repeating it.
 */
export function refusedByModel(upstreamModel: string, body: Record<string, unknown>): OpenAIErrorBody | undefined {
  const model = baseModel(upstreamModel);
  if (!isReasoningModel(model)) {
    return /^(gpt-4|gpt-3\.?5|gpt-5-chat)/.test(model) && body.reasoning_effort != null ? unsupported('reasoning_effort') : undefined;
  }
  if (body.max_tokens != null) return unsupported('max_tokens', " Use 'max_completion_tokens' instead.");
  // o1 and o3-mini take stop sequences; o3, o4-mini, codex-mini and GPT-5 do not (crewAI #2738, dify #18971).
  if (body.stop != null && !/^(o1|o3-mini)/.test(model)) return unsupported('stop');
  if (samplesUnlessReasoning(model) && (body.reasoning_effort == null || body.reasoning_effort === 'none')) return undefined;
  for (const [param, only] of DEFAULT_ONLY) {
    const value = body[param];
    if (value != null && value !== only) {
      return errorBody(`Unsupported value: '${param}' does not support ${String(value)} with this model. Only the default (${only}) value is supported.`, 'invalid_request_error', param, 'unsupported_value');
    }
  }
  return body.logprobs === true ? unsupported('logprobs') : undefined;
}

/**
 * What OpenAI says to a Responses body a model refuses: a reasoning model refuses temperature
 * and top_p (the Responses API has no penalties), but GPT-5.1 and later while they do not reason;
 * a chat model refuses `reasoning.effort`, and `include: ["reasoning.encrypted_content"]`.
 */
export function responsesRefusedByModel(upstreamModel: string, body: Record<string, unknown>): OpenAIErrorBody | undefined {
  const model = baseModel(upstreamModel);
  const effort = (body.reasoning as { effort?: unknown } | null | undefined)?.effort;
  if (!isReasoningModel(model)) {
    if (!/^(gpt-4|gpt-3\.?5|gpt-5-chat)/.test(model)) return undefined;
    if (effort != null) return unsupported('reasoning.effort');
    // What Codex includes on every stateless turn (pydantic-ai #2865, #3326).
    const include = body.include;
    return Array.isArray(include) && include.includes('reasoning.encrypted_content') ? errorBody('Encrypted content is not supported with this model.', 'invalid_request_error', 'include', null) : undefined;
  }
  if (samplesUnlessReasoning(model) && (effort == null || effort === 'none')) return undefined;
  const refused = DEFAULT_ONLY.slice(0, 2).find(([param, only]) => body[param] != null && body[param] !== only);
  return refused ? unsupported(refused[0]) : undefined;
}

/** A fine-tune answers as its base model does (`ft:o4-mini-2025-04-16:org::id` is an o4-mini). */
const baseModel = (model: string) => model.replace(/^ft:/, '');
/** GPT-5.1 and later, and their dated snapshots (`gpt-5.1-2025-11-13`): sampling while they do not reason. */
const samplesUnlessReasoning = (model: string) => /^gpt-5\.\d+(-\d{4}-\d{2}-\d{2})?$/.test(model);
const isReasoningModel = (model: string) => /^(o\d(-|$)|codex-|gpt-5(?!-chat))/.test(model);
const unsupported = (param: string, hint = '') => errorBody(`Unsupported parameter: '${param}' is not supported with this model.${hint}`, 'invalid_request_error', param, 'unsupported_parameter');

/** The body the real API most often sends with `status`, for a request about `model`. */
export function defaultErrorBody(status: number, model: string, authorization: string | undefined): OpenAIErrorBody {
  switch (status) {
    case 400:
      return openAIErrors.contextLengthExceeded();
    case 401: {
      const key = /^Bearer (.+)$/i.exec(authorization ?? '')?.[1];
      return key ? openAIErrors.invalidApiKey(key) : openAIErrors.missingApiKey();
    }
    case 403:
      return openAIErrors.unsupportedRegion();
    case 404:
      return openAIErrors.modelNotFound(model);
    case 429:
      return openAIErrors.rateLimited(model);
    case 500:
      return openAIErrors.serverError();
    case 502:
      return openAIErrors.badGateway();
    case 503:
      return openAIErrors.overloaded();
    default:
      return errorBody(STATUS_CODES[status] ?? 'Error', status >= 500 ? 'server_error' : 'invalid_request_error', null, null);
  }
}

/** `GET /v1/models`, shaped like the real list. */
export function modelListBody(models: readonly string[]): string {
  return `${JSON.stringify({ object: 'list', data: models.map(modelObject) }, null, 2)}\n`;
}

export function modelObject(id: string): Record<string, unknown> {
  return { id, object: 'model', created: 1721172741, owned_by: 'system' };
}

/** One item an embeddings request asks to embed: a text or a token array. */
export type EmbeddingItem = string | number[];

/** The items of an Embeddings API `input`, one per vector the answer holds. */
export function embeddingItems(input: unknown): EmbeddingItem[] {
  if (typeof input === 'string') return [input];
  if (!Array.isArray(input) || input.length === 0) return [];
  if (typeof input[0] === 'number') return [input as number[]];
  return input as EmbeddingItem[];
}

/** Dimensions of the fake's vectors when the request names none (the real models have 1536 or 3072). */
export const DEFAULT_EMBEDDING_DIMENSIONS = 8;

/**
 * The fake's vector for one item: deterministic (FNV-1a of the item seeds xorshift), in [-1, 1),
 * and made of float32 values, so the JSON numbers and the base64 float32 bytes decode to the
 * very same numbers.
 */
export function embeddingVector(item: EmbeddingItem, dimensions = DEFAULT_EMBEDDING_DIMENSIONS): number[] {
  const key = typeof item === 'string' ? item : `tokens:${item.join(',')}`;
  let state = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) state = Math.imul(state ^ key.charCodeAt(i), 0x01000193) >>> 0;
  const vector: number[] = [];
  for (let i = 0; i < dimensions; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    vector.push(Math.fround((state / 2 ** 32) * 2 - 1));
  }
  return vector;
}

/** A vector as the API's `encoding_format: "base64"` sends it: little-endian float32 bytes. */
export function base64Vector(vector: readonly number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((v, i) => bytes.writeFloatLE(v, i * 4));
  return bytes.toString('base64');
}

/** Prompt tokens of an embeddings input: a text at ~4 characters per token, a token array by its length. */
export function embeddingTokens(items: readonly EmbeddingItem[]): number {
  return items.reduce((sum, item) => sum + (typeof item === 'string' ? Math.max(1, Math.ceil(item.length / 4)) : item.length), 0);
}

/** The object of an Embeddings API answer, in the real API's key order. */
export function embeddingsObject(request: { model: string; input: unknown; encoding_format?: unknown; dimensions?: unknown }): Record<string, unknown> {
  const items = embeddingItems(request.input);
  const dimensions = typeof request.dimensions === 'number' ? request.dimensions : DEFAULT_EMBEDDING_DIMENSIONS;
  const base64 = request.encoding_format === 'base64';
  const tokens = embeddingTokens(items);
  return {
    object: 'list',
    data: items.map((item, index) => {
      const vector = embeddingVector(item, dimensions);
      return { object: 'embedding', index, embedding: base64 ? base64Vector(vector) : vector };
    }),
    model: request.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

/** The real API's 400 for an embeddings `input` it cannot take, or undefined when it can. */
export function invalidEmbeddingsInput(input: unknown): OpenAIErrorBody | undefined {
  if (input === undefined) return errorBody("Missing required parameter: 'input'.", 'invalid_request_error', 'input', 'missing_required_parameter');
  const items = embeddingItems(input);
  const ok = items.length > 0 && items.every((i) => (typeof i === 'string' ? i !== '' : Array.isArray(i) && i.length > 0 && i.every((t) => Number.isInteger(t))));
  return ok ? undefined : errorBody("'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", 'invalid_request_error', null, null);
}
