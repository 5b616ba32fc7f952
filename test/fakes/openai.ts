/**
 * A fake OpenAI upstream for integration tests and the benchmark: a
 * `node:http` server on 127.0.0.1 that speaks the real wire formats of Chat Completions, (legacy)
 * Completions, the Responses API, the Embeddings API, images, audio and moderations, and the rerank
 * API of OpenAI-compatible servers (see `openai-wire.ts`, `rerank-wire.ts`,
 * `openai-completions-wire.ts`, `openai-responses-wire.ts`, `openai-media-wire.ts`), records every request, and can be told to
 * fail in the ways real upstreams fail (errors, hangs, dropped streams, raw bytes).
 *
 * @example
 * const upstream = await startFakeOpenAI({ apiKey: 'sk-upstream' });
 * upstream.reply(() => ({ kind: 'text', text: 'Hello there', usage: { prompt: 12, completion: 2 } }));
 * // … point the gateway at upstream.url, send a request through it …
 * expect(upstream.requests[0]?.headers.authorization).toBe('Bearer sk-upstream');
 * await upstream.close();
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { FakeConversations } from './fake-conversations';
import { FakeQuota, type FakeQuotaOptions } from './fake-quota';
import { FakeServer, listening, type FakeServerOptions, type FakeUpstream, type HangAfterHeadersReply, type HangReply, type RawReply, type Received } from './fake-server';
import { randomHex, writePiece, type RecordedRequest } from './http';
import { newTextCompletionFrame, promptText, textCompletionBody, textCompletionEvents } from './openai-completions-wire';
import {
  completionBody,
  defaultErrorBody,
  embeddingsObject,
  errorBodyText,
  invalidEmbeddingsInput,
  modelListBody,
  modelObject,
  newCompletionFrame,
  openAIErrors,
  refusedByModel,
  splitWords,
  streamEvents,
  type CompletionContent,
  type FinishReason,
  type OpenAIErrorBody,
  type ReplyUsage,
  type ToolCallSpec,
} from './openai-wire';
import { MEDIA_ROUTES, mediaAnswer, type MediaRoute } from './openai-media-wire';
import { invalidRerankBody, rerankAnswer, type RerankDialect } from './rerank-wire';
import {
  cannotCancelSynchronous,
  deletedResponseBody,
  inputItemsBody,
  invalidResponsesRequest,
  newResponseFrame,
  responseBody,
  responseStreamEvents,
  storedInputItems,
  storedResponseEvents,
  unknownPreviousResponse,
  unknownReasoningItem,
  unknownStoredResponse,
  unknownConversation,
  type ResponseContent,
  type StoredResponse,
} from './openai-responses-wire';

export type { RecordedRequest } from './http';
export { base64Vector, embeddingTokens, embeddingVector, openAIErrors, type OpenAIErrorBody, type ReplyUsage, type ToolCallSpec } from './openai-wire';

/** What the fake answers to one chat completion request. */
export type Reply =
  | {
      kind: 'text';
      text: string;
      usage?: ReplyUsage;
      finishReason?: Exclude<FinishReason, 'tool_calls'>;
      /** How to split `text` in a stream (one content delta each); defaults to one per word. */
      chunks?: string[];
      /** How a chat stream's lines end (SSE allows all three); defaults to `lf`. */
      lineEnds?: 'lf' | 'cr' | 'crlf';
    }
  /** `reasoning`: on the Responses API, a reasoning item with this summary first (its encrypted content when the request includes it). */
  | { kind: 'tool_calls'; calls: ToolCallSpec[]; text?: string; usage?: ReplyUsage; reasoning?: string }
  | {
      kind: 'error';
      status: number;
      /** Defaults to the real API's body for `status`; a string is sent as is. */
      body?: unknown;
      /** Added to (and overriding) the defaults; a 429 defaults to `retry-after: 1`. */
      headers?: Record<string, string>;
    }
  | HangReply
  | HangAfterHeadersReply
  /**
   * Stream the default reply's first `afterChunks` events, then destroy the socket.
   * A non-stream request gets the headers and, if `afterChunks > 0`, half its body first;
   * speech audio, its first `afterChunks` pieces.
   */
  | { kind: 'drop'; afterChunks: number }
  /**
   * Stream the default reply's first `afterChunks` events, then `data: {"error": error}` and end
   * without `[DONE]`, as vLLM, OpenRouter and Azure's content filter fail after the 200 (on the
   * Responses API, `response.failed` with the error). A request that does not stream gets the
   * error as a 500 body. `oneWrite`: every event in one write, as a server that fails at once
   * sends its opening events and the failure together (else one write each).
   */
  | { kind: 'stream-error'; afterChunks: number; error: Record<string, unknown> | string; oneWrite?: boolean }
  /** Responses API only: stream the default reply's first `afterEvents` output events, then `response.failed`. */
  | { kind: 'stream-failure'; afterEvents: number }
  | RawReply;

export type Responder = (req: RecordedRequest) => Reply | Promise<Reply>;

export interface FakeOpenAIOptions extends FakeServerOptions {
  /** When set, any other key gets the real 401 (`invalid_api_key`, or the missing-key body). */
  apiKey?: string;
  /** Ids listed by `GET /v1/models`. */
  models?: string[];
  /** Whose answer `POST /v1/rerank` gives: Jina's and vLLM's (`usage`, documents; the default) or Cohere v2's (`meta.billed_units`). */
  rerank?: RerankDialect;
  /**
   * The account's rate limits, spent by every POST (one quota for all models: the real API keeps
   * one per model) and reported in `x-ratelimit-*`; once spent, a 429 until the window ends. Without
   * it every answer reports the same nearly full quota.
   */
  quota?: FakeQuotaOptions;
}

export interface FakeOpenAI extends FakeUpstream<Reply> {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:41234/v1`. */
  url: string;
  /** The account's rate limits, when `quota` was given (a test sets what is left). */
  quota: FakeQuota | undefined;
  /** Speech requests whose connection the other side closed before their audio's last piece was written, oldest first. */
  unfinished: RecordedRequest[];
  /**
   * The responses this account made with `store` not false, by id, as the real API keeps them
   * per organisation: a `previous_response_id` among them is continued (a text reply then ends
   * with ` (turn N)`, N the chain's length, so a test sees the chain was found here), any other
   * gets the real 400 `previous_response_not_found`. `GET`/`DELETE /v1/responses/{id}`,
   * `GET …/input_items` and `POST …/cancel` answer for them as the real API does (an id not
   * among them: its 404). `reset()` forgets them.
   */
  readonly stored: ReadonlyMap<string, StoredResponse>;
  /**
   * The conversations this account made (`POST /v1/conversations`), by id, with how many Responses
   * calls built on them: a call naming another gets the real 404 `Conversation with id '…' not found.`
   */
  readonly conversations: ReadonlyMap<string, { calls: number }>;
}

export const DEFAULT_MODELS = ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1', 'gpt-4.1-mini', 'o4-mini'];

const FAKE_DEFAULTS = { chunkDelayMs: 0, recordRequests: true, models: DEFAULT_MODELS } as const;

/** The reply when a test has not chosen one: `Echo: <last user text>` (or `<prompt>`), with plausible usage. */
export function defaultReply(req: RecordedRequest): Reply {
  const text = `Echo: ${promptText(req.body) ?? lastUserText(req.body)}`;
  return { kind: 'text', text, usage: { prompt: estimateTokens(req.rawBody), completion: splitWords(text).length } };
}

/**
 * Starts a fake OpenAI upstream on 127.0.0.1 (port chosen by the OS).
 *
 * @example
 * const upstream = await startFakeOpenAI({ chunkDelayMs: 5 });
 * upstream.reply((req) => (upstream.requests.length === 1 ? { kind: 'error', status: 429 } : defaultReply(req)));
 */
export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  return listening(new FakeOpenAIServer({ ...FAKE_DEFAULTS, ...options }));
}

interface ResolvedOptions {
  rerank?: RerankDialect;
  quota?: FakeQuotaOptions;
  chunkDelayMs: number;
  apiKey?: string;
  recordRequests: boolean;
  models: readonly string[];
}

/** Per-request facts the writers need. */
interface Exchange {
  record: RecordedRequest;
  res: ServerResponse;
  model: string;
  stream: boolean;
  includeUsage: boolean;
  obfuscate: boolean;
  /** Which API's answer shape a text reply takes: Chat Completions' or (legacy) Completions'. */
  api: 'chat' | 'completions';
}

class FakeOpenAIServer extends FakeServer<Reply> implements FakeOpenAI {
  readonly #options: ResolvedOptions;
  readonly quota: FakeQuota | undefined;
  unfinished: RecordedRequest[] = [];
  readonly #stored = new Map<string, StoredResponse>();

  get stored(): ReadonlyMap<string, StoredResponse> {
    return this.#stored;
  }

  readonly #conversations = new Map<string, { calls: number }>();
  /** Each conversation's object and items, beside its count of calls (kept apart: tests compare that count whole). */
  readonly #conversationState = new FakeConversations();

  get conversations(): ReadonlyMap<string, { calls: number }> {
    return this.#conversations;
  }

  constructor(options: ResolvedOptions) {
    super({ defaultReply, chunkDelayMs: options.chunkDelayMs, recordRequests: options.recordRequests, urlPath: '/v1' });
    this.#options = options;
    this.quota = options.quota ? new FakeQuota(options.quota) : undefined;
  }

  protected override async route({ record, res, raw }: Received): Promise<void> {
    const { receivedAt } = record;
    const rejection = this.#authRejection(record);
    if (rejection) return writeError(res, 401, rejection, {}, receivedAt);
    if (this.quota && record.method === 'POST' && !this.quota.take(estimateTokens(record.rawBody))) {
      const model = String((record.body as { model?: unknown } | undefined)?.model ?? 'gpt-4o-mini');
      return writeError(res, 429, openAIErrors.rateLimited(model), { ...this.quota.headers('openai'), 'retry-after': String(this.quota.retryAfterSeconds()) }, receivedAt);
    }
    // Every answer from here on reports the account's quota (set now, so each writer's own headers win).
    for (const [name, value] of Object.entries(this.quota?.headers('openai') ?? NEARLY_FULL)) res.setHeader(name, value);

    const route = `${record.method} ${record.path.replace(/\/+$/, '')}`;
    if (route === 'POST /v1/chat/completions') return this.#chatCompletion(record, res);
    if (route === 'POST /v1/completions') return this.#textCompletion(record, res);
    if (route === 'POST /v1/embeddings') return this.#embeddings(record, res);
    if (route === 'POST /v1/rerank') return this.#rerank(record, res);
    if (route === 'POST /v1/responses') return this.#responses(record, res);
    if (route === 'POST /v1/conversations' || route.includes(' /v1/conversations/')) {
      // A reply the test chose that is an answer of its own (an error, a hang, a drop) stands for the account failing, as on the other APIs.
      if (await this.#ownAnswer(record, res, 'conversation', await this.replyFor(record))) return;
    }
    if (route === 'POST /v1/conversations' || route.includes(' /v1/conversations/')) return this.#conversation(record, res);
    const stored = /^(GET|DELETE|POST) \/v1\/responses\/([^/]+)(?:\/(input_items|cancel))?$/.exec(route);
    if (stored) return this.#storedResponse(stored[1]!, decodeURIComponent(stored[2]!), stored[3], record, res);
    const media = MEDIA_ROUTES[route as keyof typeof MEDIA_ROUTES];
    if (media) return this.#media(media, record, res, raw);
    if (route === 'GET /v1/models') return writeJson(res, 200, modelListBody(this.#options.models), receivedAt);
    const modelId = /^GET \/v1\/models\/(.+)$/.exec(route)?.[1];
    if (modelId !== undefined) {
      const id = decodeURIComponent(modelId);
      if (!this.#options.models.includes(id)) return writeError(res, 404, openAIErrors.modelNotFound(id), {}, receivedAt);
      return writeJson(res, 200, `${JSON.stringify(modelObject(id), null, 2)}\n`, receivedAt);
    }
    return writeError(res, 404, openAIErrors.invalidUrl(record.method, record.path), {}, receivedAt);
  }

  /** A bug in a responder or in the fake: answer 500 with the cause so the test shows it. */
  protected override answerFailure(res: ServerResponse, error: unknown): void {
    const message = `fake-openai failed: ${error instanceof Error ? error.message : String(error)}`;
    writeError(res, 500, { error: { message, type: 'server_error', param: null, code: null } }, {}, Date.now());
  }

  #authRejection(record: RecordedRequest): OpenAIErrorBody | undefined {
    const expected = this.#options.apiKey;
    if (expected === undefined) return undefined;
    const key = /^Bearer (.*)$/i.exec(record.headers.authorization ?? '')?.[1]?.trim();
    if (!key) return openAIErrors.missingApiKey();
    return key === expected ? undefined : openAIErrors.invalidApiKey(key);
  }

  async #chatCompletion(record: RecordedRequest, res: ServerResponse): Promise<void> {
    const invalid = invalidChatRequest(record);
    if (invalid) return writeError(res, 400, invalid, {}, record.receivedAt);
    const body = record.body as ChatBody;
    const exchange: Exchange = {
      record,
      res,
      model: body.model,
      stream: body.stream === true,
      includeUsage: body.stream === true && body.stream_options?.include_usage === true,
      obfuscate: body.stream_options?.include_obfuscation !== false,
      api: 'chat',
    };
    const reply = await this.replyFor(record);
    await this.#send(exchange, reply);
  }

  /** (Legacy) Completions: text replies in its shape; error, hang, drop and raw replies act as on chat. */
  async #textCompletion(record: RecordedRequest, res: ServerResponse): Promise<void> {
    const body = record.body as { model?: unknown; prompt?: unknown; stream?: unknown; stream_options?: { include_usage?: unknown } | null } | undefined;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return writeError(res, 400, openAIErrors.invalidJson(), {}, record.receivedAt);
    if (typeof body.model !== 'string' || body.model === '') return writeError(res, 400, openAIErrors.missingModel(), {}, record.receivedAt);
    if (body.prompt === undefined) return writeError(res, 400, openAIErrors.missingPrompt(), {}, record.receivedAt);
    if (body.stream_options != null && body.stream !== true) return writeError(res, 400, openAIErrors.streamOptionsWithoutStream(), {}, record.receivedAt);
    const stream = body.stream === true;
    const exchange: Exchange = { record, res, model: body.model, stream, includeUsage: stream && body.stream_options?.include_usage === true, obfuscate: false, api: 'completions' };
    await this.#send(exchange, await this.replyFor(record));
  }

  /**
   * The Embeddings API: the fake's deterministic vectors (`embeddingVector`), as JSON numbers or
   * base64 float32 as asked. Replies that are answers of their own (error, hang, raw, drop) act
   * as on chat; any other reply means "answer normally".
   */
  async #embeddings(record: RecordedRequest, res: ServerResponse): Promise<void> {
    const body = record.body as { model?: unknown; input?: unknown } | undefined;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return writeError(res, 400, openAIErrors.invalidJson(), {}, record.receivedAt);
    if (typeof body.model !== 'string' || body.model === '') return writeError(res, 400, openAIErrors.missingModel(), {}, record.receivedAt);
    const invalid = invalidEmbeddingsInput(body.input);
    if (invalid) return writeError(res, 400, invalid, {}, record.receivedAt);
    if (await this.#ownAnswer(record, res, body.model, await this.replyFor(record))) return;
    return writeJson(res, 200, `${JSON.stringify(embeddingsObject(body as { model: string; input: unknown }), null, 2)}\n`, record.receivedAt);
  }

  /**
   * Rerank as vLLM, Jina and Cohere v2 serve it (`rerank-wire.ts`): scores best first, cut to
   * `top_n`. Replies that are answers of their own (error, hang, raw, drop) act as on chat; any
   * other reply means "answer normally".
   */
  async #rerank(record: RecordedRequest, res: ServerResponse): Promise<void> {
    const invalid = invalidRerankBody(record.body);
    if (invalid) return writeError(res, 400, { error: { message: invalid, type: 'invalid_request_error', param: null, code: null } }, {}, record.receivedAt);
    const body = record.body as Record<string, unknown>;
    if (await this.#ownAnswer(record, res, body.model as string, await this.replyFor(record))) return;
    return writeJson(res, 200, JSON.stringify(rerankAnswer(this.#options.rerank ?? 'jina', body)), record.receivedAt);
  }

  /** Sends a reply that is an answer of its own (error, hang, raw, drop) to a request of an API without text replies; false for any other reply. */
  async #ownAnswer(record: RecordedRequest, res: ServerResponse, model: string, reply: Reply): Promise<boolean> {
    switch (reply.kind) {
      case 'error':
      case 'hang':
      case 'hang-after-headers':
      case 'raw':
        await this.#send({ record, res, model, stream: false, includeUsage: false, obfuscate: false, api: 'chat' }, reply);
        return true;
      case 'drop':
        res.writeHead(200, responseHeaders('application/json', record.receivedAt));
        res.flushHeaders();
        await this.dropConnection(res);
        return true;
      default:
        return false;
    }
  }

  /**
   * Images, audio and moderations (`openai-media-wire.ts`): replies that are answers of their own
   * (error, hang, raw, drop) act as on chat; any other reply means "answer as OpenAI would".
   * Speech audio is cut where the reply says (`audioCutOf`), after its own headers.
   */
  async #media(route: MediaRoute, record: RecordedRequest, res: ServerResponse, raw: Buffer): Promise<void> {
    const reply = await this.replyFor(record);
    const answer = await mediaAnswer(route, record, raw);
    const audioCut = 'pieces' in answer ? audioCutOf(reply) : undefined;
    if (audioCut === undefined && (await this.#ownAnswer(record, res, String((record.body as { model?: unknown } | undefined)?.model ?? ''), reply))) return;
    if ('events' in answer) {
      await this.writeStream(res, sseHeaders(record), answer.events);
      return void res.end();
    }
    if ('pieces' in answer) {
      const closed = this.#watchUnfinished(record, res);
      await this.writeStream(res, responseHeaders(answer.contentType, record.receivedAt), audioCut === undefined ? answer.pieces : answer.pieces.slice(0, audioCut.pieces));
      if (audioCut === undefined) return void res.end();
      // Left open, the connection is the gateway's to close (it is then `unfinished`): the socket stays until it gives up or close() ends it.
      if (audioCut.then === 'silence') return;
      closed.byFake = true;
      return this.dropConnection(res);
    }
    res.writeHead(answer.status, { ...responseHeaders(answer.contentType, record.receivedAt), 'content-length': Buffer.byteLength(answer.body) });
    res.end(answer.body);
  }

  /** Records `record` in `unfinished` if its connection closes before the answer's end, unless the fake closed it (`byFake`). */
  #watchUnfinished(record: RecordedRequest, res: ServerResponse): { byFake: boolean } {
    const closed = { byFake: false };
    res.once('close', () => {
      if (!res.writableFinished && !closed.byFake) this.unfinished.push(record);
    });
    return closed;
  }

  override reset(): void {
    super.reset();
    this.unfinished = [];
    this.#stored.clear();
    this.#conversations.clear();
    this.#conversationState.clear();
  }

  /**
   * A conversation route (`POST /v1/conversations`, and those under `/v1/conversations/{id}`),
   * answered as the real API answers it (`FakeConversations`), beside the count of Responses calls
   * made in each conversation; a route the API does not have gets its 404 for an unknown URL.
   */
  #conversation(record: RecordedRequest, res: ServerResponse): void {
    const { receivedAt } = record;
    const answer = this.#conversationState.answer(record.method, record.path.slice('/v1'.length), record.body, record.search);
    if (!answer) return writeError(res, 404, openAIErrors.invalidUrl(record.method, record.path), {}, receivedAt);
    if (answer.status !== 200) return writeError(res, answer.status, answer.error, {}, receivedAt);
    // Made, or deleted: the count of calls follows the conversation.
    const known = new Set(this.#conversationState.ids);
    for (const id of known) if (!this.#conversations.has(id)) this.#conversations.set(id, { calls: 0 });
    for (const id of this.#conversations.keys()) if (!known.has(id)) this.#conversations.delete(id);
    return writeJson(res, 200, answer.text, receivedAt);
  }

  /**
   * A stored response of this account: retrieved whole, deleted, its input items listed, or
   * cancelled (only background responses can be, and this fake makes none), each answered as the
   * real API answers; an id it does not hold gets the real 404.
   */
  #storedResponse(method: string, id: string, sub: string | undefined, record: RecordedRequest, res: ServerResponse): void | Promise<void> {
    const { receivedAt } = record;
    const found = this.#stored.get(id);
    const operation = `${method} ${sub ?? ''}`;
    const known = ['GET ', 'DELETE ', 'GET input_items', 'POST cancel'];
    if (!known.includes(operation)) return writeError(res, 404, { error: { message: `Invalid URL (${method} ${record.path})`, type: 'invalid_request_error', param: null, code: null } }, {}, receivedAt);
    if (!found) return writeError(res, 404, unknownStoredResponse(id), {}, receivedAt);
    const query = new URLSearchParams(record.search);
    if (operation === 'GET ' && query.get('stream') === 'true') {
      const after = query.get('starting_after');
      return this.writeStream(res, sseHeaders(record), storedResponseEvents(found.response, after === null ? undefined : Number(after))).then(() => void res.end());
    }
    if (operation === 'GET ') return writeJson(res, 200, found.response, receivedAt);
    if (operation === 'DELETE ') {
      this.#stored.delete(id);
      return writeJson(res, 200, `${JSON.stringify(deletedResponseBody(id), null, 2)}\n`, receivedAt);
    }
    if (operation === 'GET input_items') return writeJson(res, 200, `${JSON.stringify(inputItemsBody(found.inputItems, new URLSearchParams(record.search).get('order')), null, 2)}\n`, receivedAt);
    return writeError(res, 400, cannotCancelSynchronous(), {}, receivedAt);
  }

  /**
   * The Responses API: the reply's text or function calls as a `response` object or its event
   * stream. Replies that are answers of their own (error, hang, raw, drop) act as on chat.
   */
  async #responses(record: RecordedRequest, res: ServerResponse): Promise<void> {
    const invalid = invalidResponsesRequest(record.body);
    if (invalid) return writeError(res, 400, invalid, {}, record.receivedAt);
    const unknown = unknownReasoningItem(record.body);
    if (unknown) return writeError(res, 404, unknown, {}, record.receivedAt);
    const notHeld = unknownPreviousResponse(record.body, (id) => this.#stored.has(id));
    if (notHeld) return writeError(res, 400, notHeld, {}, record.receivedAt);
    const noConversation = unknownConversation(record.body, (id) => this.#conversations.has(id));
    if (noConversation) return writeError(res, 404, noConversation, {}, record.receivedAt);
    const conversation = (record.body as { conversation?: unknown }).conversation;
    const conversationId = typeof conversation === 'string' ? conversation : (conversation as { id?: string } | undefined)?.id;
    if (conversationId !== undefined) this.#conversations.get(conversationId)!.calls++;
    const body = record.body as Record<string, unknown> & { model: string };
    const exchange: Exchange = { record, res, model: body.model, stream: body.stream === true, includeUsage: false, obfuscate: true, api: 'chat' };
    const frame = newResponseFrame(body.model, body);
    const previous = typeof body.previous_response_id === 'string' ? this.#stored.get(body.previous_response_id) : undefined;
    const turn = (previous?.turn ?? 0) + 1;
    const reply = await this.replyFor(record);
    const send = async (content: ResponseContent, failAfter?: number, error?: { code: string | null; message: string }, oneWrite = false): Promise<void> => {
      // Kept from the moment it is made, as the real API stores a response while it is generated.
      if (previous && content.text !== undefined) content = { ...content, text: `${content.text} (turn ${turn})`, ...(content.chunks ? { chunks: [...content.chunks, ` (turn ${turn})`] } : {}) };
      // One body for the answer, the stored response and the conversation's items: its items' ids are the same in each, as at OpenAI.
      const made = responseBody(frame, content);
      if (body.store !== false) this.#stored.set(frame.id, { turn, response: made, inputItems: storedInputItems(body.input) });
      // A conversation keeps the call's input and its answer's output as its items.
      const kept = conversationId === undefined ? undefined : this.#conversationState.get(conversationId);
      kept?.items.push(...storedInputItems(body.input), ...(JSON.parse(made) as { output: Record<string, unknown>[] }).output);
      if (!exchange.stream) return writeJson(res, 200, made, record.receivedAt);
      const events = responseStreamEvents(frame, content, failAfter === undefined ? {} : { failAfter, ...(error ? { error } : {}) });
      await this.writeStream(res, sseHeaders(record), oneWrite ? [events.join('')] : events);
      res.end();
    };
    switch (reply.kind) {
      case 'text':
        return send({ text: reply.text, ...(reply.chunks ? { chunks: reply.chunks } : {}), finishReason: reply.finishReason === 'length' ? 'length' : 'stop', usage: reply.usage ?? estimateUsage(record, splitWords(reply.text).length) });
      case 'tool_calls': {
        const reasoning = reply.reasoning === undefined ? {} : { reasoning: { summary: reply.reasoning, encrypted: Array.isArray(body.include) && body.include.includes('reasoning.encrypted_content') } };
        return send({ ...(reply.text !== undefined ? { text: reply.text } : {}), ...reasoning, calls: reply.calls, finishReason: 'tool_calls', usage: reply.usage ?? estimateUsage(record, 8 * reply.calls.length) });
      }
      case 'stream-failure': {
        const fallback = defaultReply(record) as Extract<Reply, { kind: 'text' }>;
        return send({ text: fallback.text, finishReason: 'stop', usage: fallback.usage ?? estimateUsage(record, 1) }, reply.afterEvents);
      }
      case 'stream-error': {
        // On the Responses API: `response.failed` carrying the reply's error.
        const fallback = defaultReply(record) as Extract<Reply, { kind: 'text' }>;
        const said = typeof reply.error === 'string' ? { code: null, message: reply.error } : { code: typeof reply.error.code === 'string' ? reply.error.code : null, message: String(reply.error.message ?? '') };
        return send({ text: fallback.text, finishReason: 'stop', usage: fallback.usage ?? estimateUsage(record, 1) }, reply.afterChunks, said, reply.oneWrite);
      }
      case 'drop': {
        const fallback = defaultReply(record) as Extract<Reply, { kind: 'text' }>;
        const content: ResponseContent = { text: fallback.text, finishReason: 'stop', usage: fallback.usage ?? estimateUsage(record, 1) };
        if (exchange.stream) await this.writeStream(res, sseHeaders(record), responseStreamEvents(frame, content).slice(0, Math.max(0, reply.afterChunks)));
        else {
          res.writeHead(200, responseHeaders('application/json', record.receivedAt));
          res.flushHeaders();
        }
        return this.dropConnection(res);
      }
      default:
        return this.#send(exchange, reply);
    }
  }

  async #send(exchange: Exchange, reply: Reply): Promise<void> {
    const { res, record } = exchange;
    switch (reply.kind) {
      case 'text':
        return this.#sendCompletion(exchange, {
          text: reply.text,
          chunks: reply.chunks,
          finishReason: reply.finishReason ?? 'stop',
          usage: reply.usage ?? estimateUsage(record, reply.chunks?.length ?? splitWords(reply.text).length),
        }, reply.lineEnds);
      case 'tool_calls':
        return this.#sendCompletion(exchange, {
          text: reply.text,
          calls: reply.calls,
          finishReason: 'tool_calls',
          usage: reply.usage ?? estimateUsage(record, 8 * reply.calls.length),
        });
      case 'error': {
        const body = reply.body ?? defaultErrorBody(reply.status, exchange.model, record.headers.authorization);
        const retry: Record<string, string> = reply.status === 429 ? { 'retry-after': '1' } : {};
        return writeError(res, reply.status, body, { ...retry, ...reply.headers }, record.receivedAt);
      }
      case 'hang':
        return; // The socket stays open until the client gives up or close() ends it.
      case 'hang-after-headers':
        return this.hangAfterHeaders(res, sseHeaders(record));
      case 'drop':
        return this.#sendDropped(exchange, reply.afterChunks);
      case 'raw':
        return this.sendRaw(res, reply);
      case 'stream-failure':
        throw new Error('stream-failure is a Responses API reply');
      case 'stream-error': {
        if (!exchange.stream) return writeError(res, 500, { error: reply.error }, {}, record.receivedAt);
        const fallback = defaultReply(record) as Extract<Reply, { kind: 'text' }>;
        const content: CompletionContent = { text: fallback.text, finishReason: 'stop', usage: fallback.usage ?? estimateUsage(record, 1) };
        const events = streamOf(exchange, content).slice(0, Math.max(0, reply.afterChunks));
        const pieces = [...events, `data: ${JSON.stringify({ error: reply.error })}\n\n`];
        await this.writeStream(res, sseHeaders(record), reply.oneWrite ? [pieces.join('')] : pieces);
        return void res.end();
      }
    }
  }

  async #sendCompletion(exchange: Exchange, content: CompletionContent, lineEnds: 'lf' | 'cr' | 'crlf' = 'lf'): Promise<void> {
    if (!exchange.stream) return writeJson(exchange.res, 200, wholeBody(exchange, content), exchange.record.receivedAt);
    const events = streamOf(exchange, content);
    const lineEnd = { lf: '\n', cr: '\r', crlf: '\r\n' }[lineEnds];
    await this.writeStream(exchange.res, sseHeaders(exchange.record), lineEnd === '\n' ? events : events.map((event) => event.replaceAll('\n', lineEnd)));
    exchange.res.end();
  }

  async #sendDropped(exchange: Exchange, afterChunks: number): Promise<void> {
    const { res, record } = exchange;
    const fallback = defaultReply(record) as Extract<Reply, { kind: 'text' }>;
    const content: CompletionContent = { text: fallback.text, finishReason: 'stop', usage: fallback.usage ?? estimateUsage(record, 1) };
    if (exchange.stream) {
      await this.writeStream(res, sseHeaders(record), streamOf(exchange, content).slice(0, Math.max(0, afterChunks)));
    } else {
      const body = wholeBody(exchange, content);
      res.writeHead(200, { ...responseHeaders('application/json', record.receivedAt), 'content-length': Buffer.byteLength(body) });
      res.flushHeaders();
      if (afterChunks > 0) await writePiece(res, body.slice(0, Math.floor(body.length / 2)));
    }
    await this.dropConnection(res);
  }
}

/** The whole answer's body in the shape of the API the request spoke. */
function wholeBody(exchange: Exchange, content: CompletionContent): string {
  if (exchange.api === 'chat') return completionBody(newCompletionFrame(exchange.model), content);
  return textCompletionBody(newTextCompletionFrame(exchange.model), content.text ?? '', content.finishReason, content.usage);
}

/** The streamed answer's events in the shape of the API the request spoke. */
function streamOf(exchange: Exchange, content: CompletionContent): string[] {
  if (exchange.api === 'chat') return streamEvents(newCompletionFrame(exchange.model), content, exchange);
  const text = content.text ?? '';
  return textCompletionEvents(newTextCompletionFrame(exchange.model), content.chunks ?? splitWords(text), content.finishReason, content.usage, exchange.includeUsage);
}

interface ChatBody {
  model: string;
  messages: unknown[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean; include_obfuscation?: boolean } | null;
}

/** The real API's 400 for the mistakes a gateway could make when it rewrites a request. */
function invalidChatRequest(record: RecordedRequest): OpenAIErrorBody | undefined {
  const body = record.body as Partial<ChatBody> | undefined;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return openAIErrors.invalidJson();
  if (typeof body.model !== 'string' || body.model === '') return openAIErrors.missingModel();
  if (body.messages === undefined) return openAIErrors.missingMessages();
  if (Array.isArray(body.messages) && body.messages.length === 0) return openAIErrors.emptyMessages();
  if (body.stream_options != null && body.stream !== true) return openAIErrors.streamOptionsWithoutStream();
  if (Array.isArray(body.messages)) {
    const unpaired = toolPairingProblem(body.messages);
    if (unpaired) return unpaired;
    const image = imageOutsideUserMessage(body.messages);
    if (image) return image;
  }
  return refusedByModel(body.model, body as Record<string, unknown>);
}

/**
 * The real API's rule for tool messages: an assistant message's tool calls are answered by the
 * `tool` messages right after it, one per call id, before any other message; a `tool` message
 * anywhere else is refused.
 */
function toolPairingProblem(messages: unknown[]): OpenAIErrorBody | undefined {
  type ChatMessage = { role?: unknown; tool_calls?: { id?: unknown }[]; tool_call_id?: unknown };
  let open: { at: number; ids: Set<unknown> } | undefined;
  for (const [i, raw] of messages.entries()) {
    const m = (raw ?? {}) as ChatMessage;
    if (m.role === 'tool') {
      if (!open?.ids.delete(m.tool_call_id)) return openAIErrors.strayToolMessage(i);
      continue;
    }
    if (open && open.ids.size > 0) return openAIErrors.unansweredToolCalls(i, [...open.ids].map(String));
    open = m.role === 'assistant' && Array.isArray(m.tool_calls) && m.tool_calls.length > 0 ? { at: i, ids: new Set(m.tool_calls.map((c) => c.id)) } : undefined;
  }
  if (open && open.ids.size > 0) return openAIErrors.unansweredToolCalls(messages.length, [...open.ids].map(String));
  return undefined;
}

/**
 * The real API's rule for images: only a `user` message may hold an `image_url` part. The API
 * reference (https://platform.openai.com/docs/api-reference/chat/create, `messages`) gives the
 * system, assistant and tool messages text parts only (and refusals for the assistant); the
 * message is the one OpenAI answers (quoted in OpenHands/OpenHands#7700, openai/openai-node#1030).
 */
function imageOutsideUserMessage(messages: unknown[]): OpenAIErrorBody | undefined {
  for (const [i, raw] of messages.entries()) {
    const m = (raw ?? {}) as { role?: unknown; content?: unknown };
    if (m.role === 'user' || !Array.isArray(m.content)) continue;
    if (m.content.some((part) => (part as { type?: unknown } | null)?.type === 'image_url')) return openAIErrors.imageOutsideUserMessage(i, String(m.role));
  }
  return undefined;
}

/** Headers the real API sends on every answer (the ones gateways tend to forward or strip). */
/**
 * Where a reply cuts speech audio short: a `drop` breaks the connection off after `afterChunks`
 * of its pieces (0: after the audio's headers); `hang-after-headers` sends the audio's headers,
 * then falls silent. Undefined for whole audio.
 */
function audioCutOf(reply: Reply): { pieces: number; then: 'drop' | 'silence' } | undefined {
  if (reply.kind === 'drop') return { pieces: reply.afterChunks, then: 'drop' };
  if (reply.kind === 'hang-after-headers') return { pieces: 0, then: 'silence' };
  return undefined;
}

function responseHeaders(contentType: string, receivedAt: number): OutgoingHttpHeaders {
  return {
    'content-type': contentType,
    'access-control-expose-headers': 'X-Request-ID',
    'openai-organization': 'fake-org',
    'openai-processing-ms': String(Date.now() - receivedAt),
    'openai-version': '2020-10-01',
    'x-request-id': `req_${randomHex(32)}`,
  };
}

/** The rate-limit headers of a fake without a `quota`: a large account barely used. */
const NEARLY_FULL = {
  'x-ratelimit-limit-requests': '30000',
  'x-ratelimit-limit-tokens': '150000000',
  'x-ratelimit-remaining-requests': '29999',
  'x-ratelimit-remaining-tokens': '149999990',
  'x-ratelimit-reset-requests': '2ms',
  'x-ratelimit-reset-tokens': '0s',
} as const;

function sseHeaders(record: RecordedRequest): OutgoingHttpHeaders {
  return responseHeaders('text/event-stream; charset=utf-8', record.receivedAt);
}

function writeJson(res: ServerResponse, status: number, body: string, receivedAt: number): void {
  res.writeHead(status, { ...responseHeaders('application/json', receivedAt), 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function writeError(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>, receivedAt: number): void {
  const text = errorBodyText(body);
  res.writeHead(status, {
    ...responseHeaders('application/json; charset=utf-8', receivedAt),
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** The last user message's text: of Chat Completions `messages`, or of a Responses `input` (a string or items). */
function lastUserText(body: unknown): string {
  const b = body as { messages?: unknown; input?: unknown } | undefined;
  if (typeof b?.input === 'string') return b.input;
  const messages = b?.messages ?? b?.input;
  if (!Array.isArray(messages)) return '';
  const last = [...messages].reverse().find((m): m is { role: string; content: unknown } => (m as { role?: unknown })?.role === 'user');
  if (typeof last?.content === 'string') return last.content;
  if (!Array.isArray(last?.content)) return '';
  return last.content
    .map((part: unknown) => (['text', 'input_text'].includes((part as { type?: unknown }).type as string) ? String((part as { text?: unknown }).text ?? '') : ''))
    .filter((text: string) => text !== '')
    .join(' ');
}

/** Roughly 4 characters per token, like OpenAI's rule of thumb, plus the chat framing. */
function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4)) + 7;
}

function estimateUsage(record: RecordedRequest, completion: number): ReplyUsage {
  return { prompt: estimateTokens(record.rawBody), completion: Math.max(1, completion) };
}

