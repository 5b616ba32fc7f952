/**
 * A fake Gemini API (generativelanguage.googleapis.com, v1beta) for integration tests: a
 * `node:http` server on 127.0.0.1 that answers `models/{model}:generateContent` and
 * `:streamGenerateContent` (SSE with `alt=sse`, one JSON array without) in Google's real shapes
 * (and `:countTokens`, a quarter of the body's bytes; `:batchEmbedContents`, deterministic vectors),
 * records every request, checks the mistakes a translating gateway makes (with Google's real 400
 * messages), and fails on demand (Google error bodies, a 429 whose delay is only in the body,
 * hangs, dropped connections, raw bytes).
 *
 * Byte habits kept on purpose: JSON bodies are indented by 2 spaces; an SSE event is
 * `data: <json with ": " after keys>\r\n\r\n`, with no `[DONE]`; every event repeats
 * `modelVersion` and `responseId`, and `usageMetadata` is a running total.
 *
 * @example
 * const gemini = await startFakeGemini({ apiKey: 'AIza-test' });
 * gemini.reply({ kind: 'function_calls', calls: [{ name: 'weather', args: { city: 'Oslo' }, thoughtSignature: 'c2ln' }] });
 * // … send through the gateway to gemini.url …
 * expect(gemini.requests[0]?.headers['x-goog-api-key']).toBe('AIza-test');
 * await gemini.close();
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { FakeServer, listening, type FakeServerOptions, type FakeUpstream, type HangReply, type RawReply, type Received } from './fake-server';
import { randomAlnum, writePiece, type RecordedRequest } from './http';
import { embeddingVector, splitWords } from './openai-wire';
import { isGeminiSignature } from './signatures';

export type { RecordedRequest } from './http';

/** Token counts of a reply; each defaults to an estimate. */
export interface GeminiReplyUsage {
  prompt?: number;
  candidates?: number;
  thoughts?: number;
  cached?: number;
}

export interface FunctionCallSpec {
  name: string;
  args?: Record<string, unknown>;
  /** Gemini 3 sends one on the first call of a step; it must come back with the call. */
  thoughtSignature?: string;
  /** Gemini's own call id (newer models send one); absent by default, as usual. */
  id?: string;
}

export type GeminiReply =
  | {
      kind: 'text';
      text: string;
      /** How to split `text` across stream events; one word per event by default. */
      chunks?: string[];
      /** A thought summary sent first, as `thought: true` parts. */
      thoughts?: string;
      /** Gemini's signature on the thought part. */
      thoughtSignature?: string;
      finishReason?: string;
      usage?: GeminiReplyUsage;
    }
  /** `thoughts`: a thought summary first, with `thoughtSignature` on it when set (as Gemini signs a thinking step). */
  | { kind: 'function_calls'; calls: FunctionCallSpec[]; text?: string; usage?: GeminiReplyUsage; thoughts?: string; thoughtSignature?: string }
  /** A prompt blocked before any candidate: `promptFeedback.blockReason` and no candidates. */
  | { kind: 'blocked'; reason?: string }
  | {
      kind: 'error';
      status: number;
      /** Defaults to Google's body for the status; a string is sent as is. */
      body?: unknown;
      headers?: Record<string, string>;
      /** The RetryInfo delay of a 429 (default `"17s"`). */
      retryDelay?: string;
    }
  | HangReply
  /** Send the stream's first `afterEvents` events (or half a JSON body), then destroy the socket. */
  | { kind: 'drop'; afterEvents: number }
  | RawReply;

export type GeminiResponder = (req: RecordedRequest) => GeminiReply | Promise<GeminiReply>;

export interface FakeGeminiOptions extends FakeServerOptions {
  /** When set, another key gets 400 API_KEY_INVALID and none gets 403 PERMISSION_DENIED. */
  apiKey?: string;
}

export interface FakeGemini extends FakeUpstream<GeminiReply> {
  /** The origin, e.g. `http://127.0.0.1:41234` (paths start with `/v1beta/`). */
  url: string;
}

interface Exchange {
  record: RecordedRequest;
  res: ServerResponse;
  model: string;
  mode: 'json' | 'sse' | 'array';
}

/** Google's error bodies for the statuses the fake sends on its own. */
export const googleErrors = {
  body: (code: number, status: string, message: string, details?: unknown[]) => ({ error: { code, message, status, ...(details ? { details } : {}) } }),
  invalidKey: () =>
    googleErrors.body(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
      { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } },
      { '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message: 'API key not valid. Please pass a valid API key.' },
    ]),
  missingKey: () =>
    googleErrors.body(403, 'PERMISSION_DENIED', "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API."),
  quota: (retryDelay: string) =>
    googleErrors.body(429, 'RESOURCE_EXHAUSTED', 'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.', [
      { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests', quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier', quotaValue: '10' }] },
      { '@type': 'type.googleapis.com/google.rpc.Help', links: [{ description: 'Learn more about Gemini API quotas', url: 'https://ai.google.dev/gemini-api/docs/rate-limits' }] },
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay },
    ]),
  invalid: (message: string) => googleErrors.body(400, 'INVALID_ARGUMENT', message),
  modelNotFound: (model: string) =>
    googleErrors.body(404, 'NOT_FOUND', `models/${model} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.`),
  byStatus: (status: number, model: string, retryDelay = '17s') => {
    if (status === 429) return googleErrors.quota(retryDelay);
    if (status === 404) return googleErrors.modelNotFound(model);
    if (status === 403) return googleErrors.missingKey();
    if (status === 503) return googleErrors.body(503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.');
    if (status === 504) return googleErrors.body(504, 'DEADLINE_EXCEEDED', 'The request timed out. Please try again.');
    if (status >= 500) return googleErrors.body(500, 'INTERNAL', 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting');
    return googleErrors.invalid('Request contains an invalid argument.');
  },
};

/** Default reply: `Echo: <last user text>`. */
export function defaultGeminiReply(req: RecordedRequest): GeminiReply {
  const contents = (req.body as { contents?: { role?: string; parts?: { text?: string }[] }[] } | undefined)?.contents ?? [];
  const last = [...contents].reverse().find((c) => c.role === undefined || c.role === 'user');
  const text = (last?.parts ?? []).map((p) => p.text ?? '').filter((t) => t !== '').join(' ');
  return { kind: 'text', text: `Echo: ${text}` };
}

/** Starts a fake Gemini API on 127.0.0.1 (port chosen by the OS). */
export async function startFakeGemini(options: FakeGeminiOptions = {}): Promise<FakeGemini> {
  return listening(new FakeGeminiServer(options));
}

class FakeGeminiServer extends FakeServer<GeminiReply> implements FakeGemini {
  readonly #options: FakeGeminiOptions;

  constructor(options: FakeGeminiOptions) {
    super({ defaultReply: defaultGeminiReply, chunkDelayMs: options.chunkDelayMs, recordRequests: options.recordRequests });
    this.#options = options;
  }

  protected override async route({ record, res }: Received): Promise<void> {
    const route = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent|countTokens|batchEmbedContents)$/.exec(record.path);
    if (record.method !== 'POST' || !route) return notFoundPage(res, record.path);

    const query = new URLSearchParams(record.search);
    const key = (record.headers['x-goog-api-key'] as string | undefined) ?? query.get('key') ?? undefined;
    if (this.#options.apiKey !== undefined && key !== this.#options.apiKey) {
      return key ? writeJson(res, 400, googleErrors.invalidKey()) : writeJson(res, 403, googleErrors.missingKey());
    }
    const model = decodeURIComponent(route[1] as string);
    // The real count is the tokenizer's; a quarter of the body's bytes is what this fake bills a prompt at.
    if (route[2] === 'countTokens') return writeJson(res, 200, { totalTokens: Math.max(1, Math.ceil(record.rawBody.length / 4)) });
    if (route[2] === 'batchEmbedContents') return this.#embed({ record, res, model, mode: 'json' });
    const mode = route[2] === 'generateContent' ? 'json' : query.get('alt') === 'sse' ? 'sse' : 'array';
    const invalid = invalidRequest(record.body) ?? signatureProblem(record.body, model);
    if (invalid) return writeJson(res, 400, googleErrors.invalid(invalid));
    await this.#send({ record, res, model, mode }, await this.replyFor(record));
  }

  protected override answerFailure(res: ServerResponse, error: unknown): void {
    writeJson(res, 500, googleErrors.body(500, 'INTERNAL', `fake-gemini failed: ${error instanceof Error ? error.message : String(error)}`));
  }

  /** `batchEmbedContents`: Google's checks, then a test's error reply or the vectors. */
  async #embed(exchange: Exchange): Promise<void> {
    const { record, res, model } = exchange;
    const invalid = invalidEmbedRequest(model, record.body);
    if (invalid) return writeJson(res, 400, googleErrors.invalid(invalid));
    const reply = await this.replyFor(record);
    if (reply.kind === 'text') return writeJson(res, 200, batchEmbeddings(model, record.body as EmbedBatch));
    return this.#send(exchange, reply);
  }

  async #send(exchange: Exchange, reply: GeminiReply): Promise<void> {
    const { res, model } = exchange;
    switch (reply.kind) {
      case 'text':
      case 'function_calls':
      case 'blocked':
        return this.#sendAnswer(exchange, responseEvents(exchange, reply));
      case 'error': {
        const body = reply.body ?? googleErrors.byStatus(reply.status, model, reply.retryDelay);
        return writeJson(res, reply.status, body, reply.headers);
      }
      case 'hang':
        return;
      case 'drop':
        return this.#sendDropped(exchange, reply.afterEvents);
      case 'raw':
        return this.sendRaw(res, reply);
    }
  }

  async #sendAnswer(exchange: Exchange, events: object[]): Promise<void> {
    const { res, mode } = exchange;
    if (mode === 'json') return writeJson(res, 200, mergeEvents(events));
    const headers = googleHeaders(mode === 'sse' ? 'text/event-stream' : 'application/json; charset=UTF-8', mode === 'sse' ? { 'content-disposition': 'attachment' } : {});
    await this.writeStream(res, headers, streamPieces(mode, events));
    res.end();
  }

  async #sendDropped(exchange: Exchange, afterEvents: number): Promise<void> {
    const { res, mode } = exchange;
    const events = responseEvents(exchange, defaultGeminiReply(exchange.record) as Extract<GeminiReply, { kind: 'text' }>);
    res.writeHead(200, googleHeaders(mode === 'sse' ? 'text/event-stream' : 'application/json; charset=UTF-8'));
    res.flushHeaders();
    if (mode === 'json') {
      const body = pretty(mergeEvents(events));
      if (afterEvents > 0) await writePiece(res, body.slice(0, Math.floor(body.length / 2)));
    } else {
      for (const piece of streamPieces(mode, events).slice(0, Math.max(0, afterEvents))) await writePiece(res, piece);
    }
    await this.dropConnection(res);
  }
}

/** The stream events of an answer; a non-stream answer is the same events merged. */
function responseEvents(exchange: Exchange, reply: Extract<GeminiReply, { kind: 'text' | 'function_calls' | 'blocked' }>): object[] {
  const frame = { modelVersion: exchange.model, responseId: randomAlnum(22) };
  const prompt = Math.max(1, Math.ceil(exchange.record.rawBody.length / 4));
  if (reply.kind === 'blocked') {
    return [{ promptFeedback: { blockReason: reply.reason ?? 'PROHIBITED_CONTENT' }, usageMetadata: { promptTokenCount: prompt, totalTokenCount: prompt }, ...frame }];
  }
  const steps: object[][] = [];
  if (reply.thoughts) steps.push([{ text: reply.thoughts, thought: true, ...(reply.thoughtSignature ? { thoughtSignature: reply.thoughtSignature } : {}) }]);
  const pieces = reply.kind === 'text' ? (reply.chunks ?? splitWords(reply.text)) : reply.text ? [reply.text] : [];
  for (const text of pieces) steps.push([{ text }]);
  if (reply.kind === 'function_calls') {
    steps.push(reply.calls.map((c) => ({ functionCall: { ...(c.id ? { id: c.id } : {}), name: c.name, args: c.args ?? {} }, ...(c.thoughtSignature ? { thoughtSignature: c.thoughtSignature } : {}) })));
  }
  if (steps.length === 0) steps.push([{ text: '' }]);
  const usage = reply.usage ?? {};
  const totals = {
    prompt: usage.prompt ?? prompt,
    candidates: usage.candidates ?? (reply.kind === 'text' ? pieces.length : 8 * reply.calls.length),
    thoughts: usage.thoughts ?? (reply.kind === 'text' && reply.thoughts ? splitWords(reply.thoughts).length : 0),
  };
  const finishReason = reply.kind === 'text' ? (reply.finishReason ?? 'STOP') : 'STOP';
  return steps.map((parts, i) => {
    const last = i === steps.length - 1;
    // Running totals: candidates grow with the events, thoughts are all counted once thinking is done.
    const candidates = Math.round((totals.candidates * (i + 1)) / steps.length);
    const usageMetadata = {
      promptTokenCount: totals.prompt,
      ...(candidates > 0 ? { candidatesTokenCount: candidates } : {}),
      totalTokenCount: totals.prompt + candidates + totals.thoughts,
      ...(usage.cached ? { cachedContentTokenCount: usage.cached } : {}),
      promptTokensDetails: [{ modality: 'TEXT', tokenCount: totals.prompt }],
      ...(totals.thoughts ? { thoughtsTokenCount: totals.thoughts } : {}),
    };
    return { candidates: [{ content: { parts, role: 'model' }, ...(last ? { finishReason } : {}), index: 0 }], usageMetadata, ...frame };
  });
}

/** The whole answer: every event's parts in one candidate (adjacent text joined), the last event's usage. */
function mergeEvents(events: object[]): object {
  type Event = { candidates?: { content: { parts: Record<string, unknown>[] }; finishReason?: string }[] } & Record<string, unknown>;
  const all = events as Event[];
  const last = all.at(-1) as Event;
  if (!last.candidates) return last;
  const parts: Record<string, unknown>[] = [];
  for (const part of all.flatMap((e) => e.candidates?.[0]?.content.parts ?? [])) {
    const prev = parts.at(-1);
    if (typeof part.text === 'string' && typeof prev?.text === 'string' && !!prev.thought === !!part.thought) prev.text += part.text;
    else parts.push({ ...part });
  }
  return { ...last, candidates: [{ content: { parts, role: 'model' }, finishReason: last.candidates[0]?.finishReason, index: 0 }] };
}

type EmbedBatch = { requests: { model?: unknown; content?: { parts?: { text?: unknown }[] }; outputDimensionality?: unknown }[] };

/** Google's limit of requests in one `batchEmbedContents` call. */
export const GEMINI_EMBED_LIMIT = 100;

/** Each model's vector size when none is asked for. */
const EMBED_DIMENSIONS: Record<string, number> = { 'text-embedding-004': 768, 'gemini-embedding-001': 3072 };

/** The vector the fake gives `text` on `model`: deterministic, `dimensions` long (the model's own size by default). */
export function geminiEmbedding(model: string, text: string, dimensions?: number): number[] {
  return embeddingVector(`gemini:${model}|${text}`, dimensions ?? EMBED_DIMENSIONS[model] ?? 768);
}

/** The real API's 400s for a `batchEmbedContents` body, or undefined when it is good. */
function invalidEmbedRequest(model: string, body: unknown): string | undefined {
  const requests = (body as Partial<EmbedBatch> | null)?.requests;
  if (!Array.isArray(requests) || requests.length === 0) return '* BatchEmbedContentsRequest.requests: requests is not specified\n';
  if (requests.length > GEMINI_EMBED_LIMIT) return `* BatchEmbedContentsRequest.requests: at most ${GEMINI_EMBED_LIMIT} requests can be in one batch\n`;
  for (const [i, request] of requests.entries()) {
    if (request.model !== `models/${model}`) return `Model names should be the same in the batch request and the individual requests. Found models/${model} and ${String(request.model)} at requests[${i}].`;
    const parts = request.content?.parts;
    if (!Array.isArray(parts) || parts.length === 0 || parts.some((p) => typeof p.text !== 'string' || p.text === '')) return `* BatchEmbedContentsRequest.requests[${i}].content.parts: contents.parts must not be empty.\n`;
    if (request.outputDimensionality !== undefined && !(Number.isInteger(request.outputDimensionality) && (request.outputDimensionality as number) > 0)) {
      return `* BatchEmbedContentsRequest.requests[${i}].output_dimensionality: must be positive.\n`;
    }
  }
  return undefined;
}

/** The answer: one `{values}` per request, in order. Google's embedding answers carry no token count. */
function batchEmbeddings(model: string, body: EmbedBatch): object {
  return { embeddings: body.requests.map((r) => ({ values: geminiEmbedding(model, r.content!.parts!.map((p) => p.text as string).join(''), r.outputDimensionality as number | undefined) })) };
}

/** The real API's 400s for mistakes a translating gateway makes. */
function invalidRequest(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'Invalid JSON payload received. Unexpected token.';
  const { contents, tools } = body as { contents?: unknown; tools?: { functionDeclarations?: { parameters?: unknown }[] }[] };
  if (!Array.isArray(contents) || contents.length === 0) return '* GenerateContentRequest.contents: contents is not specified\n';
  for (const [i, content] of (contents as { role?: string; parts?: Record<string, unknown>[] }[]).entries()) {
    if (content.role !== undefined && content.role !== 'user' && content.role !== 'model') return 'Please use a valid role: user, model.';
    if (!Array.isArray(content.parts) || content.parts.length === 0) return `* GenerateContentRequest.contents[${i}].parts: contents.parts must not be empty.\n`;
    for (const [j, part] of content.parts.entries()) {
      if (part.text === '' && !part.thoughtSignature) return 'Unable to submit request because it has an empty text parameter. Add a value to the parameter and try again.';
      if (!['text', 'inlineData', 'fileData', 'functionCall', 'functionResponse'].some((k) => k in part)) {
        return `* GenerateContentRequest.contents[${i}].parts[${j}].data: required oneof field 'data' must have one initialized field\n`;
      }
    }
  }
  for (const [t, tool] of (tools ?? []).entries()) {
    for (const [f, declaration] of (tool.functionDeclarations ?? []).entries()) {
      const problem = schemaProblem(declaration.parameters, `tools[${t}].function_declarations[${f}].parameters`);
      if (problem) return problem;
    }
  }
  return undefined;
}

/**
 * Gemini's 400s for thought signatures: one it did not make (another family's, or a blob the
 * gateway wrote) is refused; Gemini 3 also wants one on the first function call of each model
 * step (Google's stand-in will do), as its docs say.
 */
function signatureProblem(body: unknown, model: string): string | undefined {
  const contents = (body as { contents: { role?: string; parts: Record<string, unknown>[] }[] }).contents;
  const gemini3 = /gemini-([3-9]|\d{2,})/.test(model);
  for (const [i, content] of contents.entries()) {
    for (const part of content.parts) {
      if (typeof part.thoughtSignature === 'string' && !isGeminiSignature(part.thoughtSignature)) return 'Unable to submit request because Thought signature is not valid.';
    }
    const firstCall = content.parts.find((p) => p.functionCall !== undefined);
    if (gemini3 && content.role === 'model' && firstCall && typeof firstCall.thoughtSignature !== 'string') {
      const name = (firstCall.functionCall as { name?: unknown }).name;
      return `Unable to submit request because function call \`${String(name)}\` in the ${i + 1}. content block is missing a \`thought_signature\`. Learn more: https://docs.cloud.google.com/vertex-ai/generative-ai/docs/thought-signatures`;
    }
  }
  return undefined;
}

const SCHEMA_KEYS = new Set(['type', 'format', 'description', 'nullable', 'enum', 'properties', 'required', 'items', 'anyOf', 'minItems', 'maxItems', 'minLength', 'maxLength', 'minProperties', 'maxProperties', 'minimum', 'maximum', 'pattern', 'title', 'propertyOrdering', 'example', 'default']);

function schemaProblem(schema: unknown, path: string): string | undefined {
  if (schema === undefined) return undefined;
  const node = schema as Record<string, unknown>;
  const unknown = Object.keys(node).find((k) => !SCHEMA_KEYS.has(k));
  if (unknown) return `Invalid JSON payload received. Unknown name "${unknown}" at '${path}': Cannot find field.`;
  const type = typeof node.type === 'string' ? node.type.toUpperCase() : undefined;
  const properties = node.properties as Record<string, unknown> | undefined;
  if (properties && type !== 'OBJECT') return `* GenerateContentRequest.${path}.properties: only allowed for OBJECT type\n`;
  if (type === 'OBJECT' && path.endsWith('parameters') && Object.keys(properties ?? {}).length === 0) return `* GenerateContentRequest.${path}.properties: should be non-empty for OBJECT type\n`;
  for (const [name, sub] of Object.entries(properties ?? {})) {
    const problem = schemaProblem(sub, `${path}.properties[${name}].value`);
    if (problem) return problem;
  }
  return node.items === undefined ? undefined : schemaProblem(node.items, `${path}.items`);
}

/** Google's compact stream JSON: `": "` after each key, no other spaces. */
export function googleCompactJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(googleCompactJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${JSON.stringify(k)}: ${googleCompactJson(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The bytes of a streamed answer: SSE events with `alt=sse`, else one JSON array written an element at a time. */
function streamPieces(mode: 'sse' | 'array', events: object[]): string[] {
  return mode === 'sse' ? events.map((e) => `data: ${googleCompactJson(e)}\r\n\r\n`) : arrayPieces(events);
}

/** `streamGenerateContent` without `alt=sse`: one JSON array, written one element at a time. */
function arrayPieces(events: object[]): string[] {
  return events.map((e, i) => `${i === 0 ? '[' : '\n,\r\n'}${pretty(e)}${i === events.length - 1 ? ']' : ''}`);
}

function pretty(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

function googleHeaders(contentType: string, extra: OutgoingHttpHeaders = {}): OutgoingHttpHeaders {
  return {
    'content-type': contentType,
    vary: 'Origin, X-Origin, Referer',
    server: 'scaffolding on HTTPServer2',
    'x-xss-protection': '0',
    'x-frame-options': 'SAMEORIGIN',
    'x-content-type-options': 'nosniff',
    'server-timing': `gfet4t7; dur=${Math.floor(Math.random() * 900) + 100}`,
    'alt-svc': 'h3=":443"; ma=2592000,h3-29=":443"; ma=2592000',
    ...extra,
  };
}

function writeJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : `${pretty(body)}\n`;
  res.writeHead(status, { ...googleHeaders('application/json; charset=UTF-8'), 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Google's front end answers unknown paths with an HTML page. */
function notFoundPage(res: ServerResponse, path: string): void {
  const html = `<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <title>Error 404 (Not Found)!!1</title>\n  <p><b>404.</b> <ins>That’s an error.</ins>\n  <p>The requested URL <code>${path}</code> was not found on this server.  <ins>That’s all we know.</ins>\n`;
  res.writeHead(404, { 'content-type': 'text/html; charset=UTF-8', 'content-length': Buffer.byteLength(html) });
  res.end(html);
}
