/**
 * A fake Azure OpenAI resource for tests: a `node:http` server on 127.0.0.1 speaking Azure's
 * flavour of Chat Completions on both paths:
 * - `POST /openai/deployments/{deployment}/chat/completions?api-version=…` (404 without api-version),
 * - `POST /openai/v1/chat/completions` with the deployment as `model`,
 * and Embeddings and (legacy) Completions the same two ways (`…/{deployment}/embeddings?api-version=…`, `/openai/v1/completions`),
 * images and audio on the deployments path (`…/{deployment}/audio/transcriptions?api-version=…`),
 * and the Responses API on the one path Azure serves it, `POST /openai/v1/responses` (the
 * deployment as `model`; OpenAI's wire format, see `openai-responses-wire.ts`), with
 * conversations beside it as Azure documents them (`/openai/v1/conversations…`, OpenAI's routes
 * and answers: `fake-conversations.ts`), or, with `conversations: false`, answered with Azure's
 * 404 as a resource that does not serve them answers.
 * The key goes in `api-key` (the v1 path also takes it as a Bearer token); with `entra`, Entra ID
 * access tokens go in `Authorization: Bearer` on either path. Answers carry Azure's
 * habits: compact JSON with sorted keys, `prompt_filter_results` and per-choice
 * `content_filter_results`; streams open with a choice-less chunk (`id: ""`) holding only the
 * prompt filter results and, with asynchronous filtering, carry annotation chunks without a
 * `delta` (one after the finish chunk, with `finish_reason: null`). Errors use Azure's bodies.
 *
 * @example
 * const azure = await startFakeAzureOpenAI({ apiKey: 'azure-key' });
 * azure.reply({ kind: 'text', text: 'Hi', finishReason: 'content_filter' });
 * // … call `${azure.url}/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21` …
 * await azure.close();
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { FakeConversations } from './fake-conversations';
import { FakeServer, listening, type FakeUpstream, type HangReply, type Received } from './fake-server';
import { randomHex, type RecordedRequest } from './http';
import { newTextCompletionFrame, promptText, textCompletionBody, textCompletionEvents } from './openai-completions-wire';
import { MEDIA_ROUTES, mediaAnswer, type MediaRoute } from './openai-media-wire';
import { invalidResponsesRequest, newResponseFrame, responseBody, responseStreamEvents, storedInputItems, unknownConversation, unknownPreviousResponse } from './openai-responses-wire';
import { embeddingsObject, invalidEmbeddingsInput, newCompletionFrame, refusedByModel, newToolCallId, splitJsonTokens, splitWords, usageObject, type CompletionFrame, type ReplyUsage, type ToolCallSpec } from './openai-wire';

export type { RecordedRequest } from './http';

export type AzureReply =
  | { kind: 'text'; text: string; usage?: ReplyUsage; chunks?: string[]; finishReason?: 'stop' | 'length' | 'content_filter' }
  | { kind: 'tool_calls'; calls: ToolCallSpec[]; text?: string; usage?: ReplyUsage }
  /** The prompt trips the content filter: Azure's 400 with `code: content_filter`. */
  | { kind: 'prompt_filtered' }
  /** Azure's body for `status` unless one is given; a 429 comes with `retry-after` (seconds) and `retry-after-ms`. */
  | { kind: 'error'; status: number; body?: unknown; headers?: Record<string, string> }
  | HangReply
  /** Streams the first `afterChunks` events of a default text reply (speech: pieces of its audio), then destroys the socket. */
  | { kind: 'drop'; afterChunks: number }
  | { kind: 'raw'; status: number; headers: Record<string, string>; body: string | string[] };

export type AzureResponder = (req: RecordedRequest) => AzureReply | Promise<AzureReply>;

export interface FakeAzureOpenAIOptions {
  /** When set, any other key gets Azure's 401. */
  apiKey?: string;
  /**
   * Accept Microsoft Entra ID tokens (`Authorization: Bearer`, on both paths) that this token
   * endpoint issued and still honours (`test/fakes/entra.ts`). Without `apiKey` too, key auth is
   * disabled, as on a resource with `disableLocalAuth`: an `api-key` gets 403.
   */
  entra?: { accepts(token: string): boolean };
  /** The deployments path answers 404 without `api-version`, as Azure does. Default true. */
  apiVersionRequired?: boolean;
  /** Deployment → the model it serves; when absent every deployment exists and serves a model of its name. */
  deployments?: Record<string, string>;
  /** Send the annotation chunks of asynchronous content filtering. Default true. */
  asyncFilter?: boolean;
  chunkDelayMs?: number;
  /** Serve conversations on `/openai/v1/conversations…`. Default true; false answers them with Azure's 404, as a resource without them. */
  conversations?: boolean;
}

export interface FakeAzureOpenAI extends FakeUpstream<AzureReply> {
  /** The resource URL, e.g. `http://127.0.0.1:41234` (stands for https://NAME.openai.azure.com). */
  url: string;
  /** The conversations this resource made (none when it serves none). */
  readonly conversations: FakeConversations;
  /** Starts (or stops) serving conversations, as a resource does once Azure rolls them out to it. */
  serveConversations(on: boolean): void;
}

const SAFE = { filtered: false, severity: 'safe' };
const FILTER_RESULTS = { hate: SAFE, self_harm: SAFE, sexual: SAFE, violence: SAFE };
const PROMPT_FILTER_RESULTS = [{ prompt_index: 0, content_filter_results: { ...FILTER_RESULTS, jailbreak: { detected: false, filtered: false } } }];
const FILTERED = { ...FILTER_RESULTS, sexual: { filtered: true, severity: 'medium' } };

/** Azure's error bodies (`code` is often the status as a string). */
export const azureErrors = {
  accessDenied: () => ({
    error: {
      code: '401',
      message:
        'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
    },
  }),
  /** An Entra token that is missing its audience, expired or revoked. */
  tokenRefused: () => ({
    error: { code: '401', message: 'Unauthorized. Access token is missing, invalid, audience is incorrect (https://cognitiveservices.azure.com), or have expired.' },
  }),
  /** A key sent to a resource with `disableLocalAuth`. */
  keyAuthDisabled: () => ({ error: { code: 'AuthenticationTypeDisabled', message: 'Key based authentication is disabled for this resource.' } }),
  resourceNotFound: () => ({ error: { code: '404', message: 'Resource not found' } }),
  deploymentNotFound: () => ({
    error: {
      code: 'DeploymentNotFound',
      message: 'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.',
    },
  }),
  rateLimited: (apiVersion: string, seconds: number) => ({
    error: {
      code: '429',
      message: `Requests to the ChatCompletions_Create Operation under Azure OpenAI API version ${apiVersion} have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after ${seconds} seconds. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.`,
    },
  }),
  promptFiltered: () => ({
    error: {
      message:
        "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry. To learn more about our content filtering policies please read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766",
      type: null,
      param: 'prompt',
      code: 'content_filter',
      status: 400,
      innererror: { code: 'ResponsibleAIPolicyViolation', content_filter_result: { ...FILTERED, jailbreak: { filtered: false, detected: false } } },
    },
  }),
  serverError: () => ({ error: { code: '500', message: 'The server had an error while processing your request. Sorry about that!' } }),
};

/** The default reply: `Echo: <last user text>` (or `<prompt>`). */
export function defaultAzureReply(req: RecordedRequest): AzureReply {
  const messages = (req.body as { messages?: { role?: string; content?: unknown }[] } | undefined)?.messages ?? [];
  const last = [...messages].reverse().find((m) => m.role === 'user');
  const text = promptText(req.body) ?? (typeof last?.content === 'string' ? last.content : '');
  return { kind: 'text', text: `Echo: ${text}`, usage: { prompt: 10, completion: 3 } };
}

export async function startFakeAzureOpenAI(options: FakeAzureOpenAIOptions = {}): Promise<FakeAzureOpenAI> {
  return listening(new FakeAzureServer(options));
}

interface Exchange {
  res: ServerResponse;
  record: RecordedRequest;
  model: string;
  stream: boolean;
  includeUsage: boolean;
  apiVersion: string;
}

class FakeAzureServer extends FakeServer<AzureReply> implements FakeAzureOpenAI {
  readonly #options: FakeAzureOpenAIOptions;
  readonly conversations = new FakeConversations();

  constructor(options: FakeAzureOpenAIOptions) {
    super({ defaultReply: defaultAzureReply, chunkDelayMs: options.chunkDelayMs });
    this.#options = { ...options };
  }

  serveConversations(on: boolean): void {
    this.#options.conversations = on;
  }

  protected override async route({ record, res, raw }: Received): Promise<void> {
    const v1 = /^\/openai\/v1\/(chat\/completions|completions|embeddings|responses)$/.exec(record.path);
    const conversation = record.path === '/openai/v1/conversations' || record.path.startsWith('/openai/v1/conversations/');
    const bearer = /^Bearer (.+)$/i.exec(record.headers.authorization ?? '')?.[1];
    const { entra } = this.#options;
    if (entra && bearer !== undefined && record.headers['api-key'] === undefined) {
      // Entra ID tokens work on both paths; Azure checks the token's signature, audience and expiry.
      if (!entra.accepts(bearer)) return writeJson(res, 401, azureErrors.tokenRefused());
    } else if (entra && this.#options.apiKey === undefined) {
      return writeJson(res, 403, azureErrors.keyAuthDisabled());
    } else {
      const key = record.headers['api-key'] ?? (v1 || conversation ? bearer : undefined);
      if (this.#options.apiKey !== undefined && key !== this.#options.apiKey) return writeJson(res, 401, azureErrors.accessDenied());
    }
    if (conversation) return this.#conversation(record, res);

    const apiVersion = new URLSearchParams(record.search).get('api-version') ?? '';
    const deploymentPath = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|completions|embeddings|images\/generations|images\/edits|audio\/speech|audio\/transcriptions|audio\/translations)$/.exec(record.path);
    let deployment: string | undefined;
    let operation: string;
    if (record.method === 'POST' && deploymentPath) {
      if (!apiVersion && this.#options.apiVersionRequired !== false) return writeJson(res, 404, azureErrors.resourceNotFound());
      deployment = decodeURIComponent(deploymentPath[1]!);
      operation = deploymentPath[2]!;
    } else if (record.method === 'POST' && v1) {
      const model = (record.body as { model?: unknown } | undefined)?.model;
      if (typeof model !== 'string' || !model) {
        return writeJson(res, 400, { error: { code: 'BadRequest', message: "Missing required parameter: 'model'.", param: 'model', type: 'invalid_request_error' } });
      }
      deployment = model;
      operation = v1[1]!;
    } else {
      return writeJson(res, 404, azureErrors.resourceNotFound());
    }
    const model = this.#options.deployments ? this.#options.deployments[deployment] : deployment;
    if (model === undefined) return writeJson(res, 404, azureErrors.deploymentNotFound());
    const media = MEDIA_ROUTES[`POST /v1/${operation}` as keyof typeof MEDIA_ROUTES];
    if (media) return this.#media(media, record, res, raw, model);
    if (operation === 'embeddings') return this.#embeddings(record, res, model, apiVersion || 'v1');
    if (operation === 'completions') return this.#textCompletion(record, res, model);
    if (operation === 'responses') return this.#responses(record, res, model);

    const body = (record.body ?? {}) as { stream?: unknown; stream_options?: { include_usage?: unknown } | null };
    const refused = refusedByModel(model, body);
    if (refused) return writeJson(res, 400, refused);
    const exchange: Exchange = {
      res,
      record,
      model,
      stream: body.stream === true,
      includeUsage: body.stream === true && body.stream_options?.include_usage === true,
      apiVersion: apiVersion || 'v1',
    };
    await this.#send(exchange, await this.replyFor(record));
  }

  /**
   * Images and audio on the deployments path (the deployment's model stands for the body's, which
   * names none), answered as OpenAI answers them (`openai-media-wire.ts`); error, hang and raw replies act as on chat.
   */
  async #media(route: MediaRoute, record: RecordedRequest, res: ServerResponse, raw: Buffer, model: string): Promise<void> {
    const reply = await this.replyFor(record);
    if (reply.kind === 'error' || reply.kind === 'hang' || reply.kind === 'raw') return this.#send({ res, record, model, stream: false, includeUsage: false, apiVersion: 'media' }, reply);
    const answer = await mediaAnswer(route, record, raw, model);
    if ('events' in answer) {
      res.writeHead(200, { ...azureHeaders(model), 'content-type': 'text/event-stream; charset=utf-8' });
      return void res.end(answer.events.join(''));
    }
    if ('pieces' in answer) {
      // Speech audio as synthesised, `chunkDelayMs` apart; a `drop` breaks off after `afterChunks` pieces.
      await this.writeStream(res, { ...azureHeaders(model), 'content-type': answer.contentType }, reply.kind === 'drop' ? answer.pieces.slice(0, reply.afterChunks) : answer.pieces);
      return reply.kind === 'drop' ? this.dropConnection(res) : void res.end();
    }
    res.writeHead(answer.status, { ...azureHeaders(model), 'content-type': answer.contentType, 'content-length': Buffer.byteLength(answer.body) });
    res.end(answer.body);
  }

  /** Embeddings, compact like Azure's other answers; error, hang and raw replies act as on chat, any other answers normally. */
  async #embeddings(record: RecordedRequest, res: ServerResponse, model: string, apiVersion: string): Promise<void> {
    const body = (record.body ?? {}) as { input?: unknown };
    const invalid = invalidEmbeddingsInput(body.input);
    if (invalid) return writeJson(res, 400, invalid);
    const reply = await this.replyFor(record);
    if (reply.kind === 'error' || reply.kind === 'hang' || reply.kind === 'raw') return this.#send({ res, record, model, stream: false, includeUsage: false, apiVersion }, reply);
    return writeJson(res, 200, embeddingsObject({ ...(record.body as object), model, input: body.input }), azureHeaders(model) as Record<string, string>);
  }

  /**
   * (Legacy) Completions (gpt-35-turbo-instruct deployments): OpenAI's shape, the stream opened by
   * Azure's choice-less prompt-filter chunk; error replies act as on chat, any other echoes the prompt.
   */
  async #textCompletion(record: RecordedRequest, res: ServerResponse, model: string): Promise<void> {
    const body = (record.body ?? {}) as { stream?: unknown; stream_options?: { include_usage?: unknown } | null };
    const reply = await this.replyFor(record);
    if (reply.kind === 'error' || reply.kind === 'hang' || reply.kind === 'raw') return this.#send({ res, record, model, stream: false, includeUsage: false, apiVersion: 'v1' }, reply);
    const text = reply.kind === 'text' ? reply.text : `Echo: ${promptText(record.body) ?? ''}`;
    const usage = (reply.kind === 'text' ? reply.usage : undefined) ?? { prompt: 10, completion: splitWords(text).length };
    const frame = newTextCompletionFrame(model);
    if (body.stream !== true) return writeJson(res, 200, JSON.parse(textCompletionBody(frame, text, 'stop', usage)), azureHeaders(model) as Record<string, string>);
    const filterChunk = `data: ${JSON.stringify({ choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: PROMPT_FILTER_RESULTS })}\n\n`;
    const events = [filterChunk, ...textCompletionEvents(frame, splitWords(text), 'stop', usage, body.stream_options?.include_usage === true)];
    await this.writeStream(res, { ...azureHeaders(model), 'content-type': 'text/event-stream; charset=utf-8' }, events);
    res.end();
  }

  /** A conversation route, answered as OpenAI answers it (`FakeConversations`), or Azure's 404 where the resource serves none or the route is none. */
  #conversation(record: RecordedRequest, res: ServerResponse): void {
    const answer = this.#options.conversations === false ? undefined : this.conversations.answer(record.method, record.path.slice('/openai/v1'.length), record.body, record.search);
    if (!answer) return writeJson(res, 404, azureErrors.resourceNotFound());
    if (answer.status !== 200) return writeJson(res, answer.status, answer.error);
    res.writeHead(200, { ...azureHeaders(''), 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer.text) });
    res.end(answer.text);
  }

  override reset(): void {
    super.reset();
    this.conversations.clear();
  }

  /** The Responses API: text and function-call replies in OpenAI's format; error, hang and raw replies act as on chat. */
  async #responses(record: RecordedRequest, res: ServerResponse, model: string): Promise<void> {
    // This fake stores no responses: every previous_response_id is one it does not hold.
    const invalid = invalidResponsesRequest(record.body) ?? unknownPreviousResponse(record.body, () => false);
    if (invalid) return writeJson(res, 400, invalid);
    // A conversation this resource does not hold (none, when it serves none) is OpenAI's 404.
    const noConversation = unknownConversation(record.body, (id) => this.conversations.has(id));
    if (noConversation) return writeJson(res, 404, noConversation);
    const body = record.body as Record<string, unknown>;
    const exchange: Exchange = { res, record, model, stream: body.stream === true, includeUsage: false, apiVersion: 'v1' };
    const reply = await this.replyFor(record);
    if (reply.kind !== 'text' && reply.kind !== 'tool_calls') return this.#send(exchange, reply);
    const frame = newResponseFrame(model, body);
    const content =
      reply.kind === 'text'
        ? { text: reply.text, ...(reply.chunks ? { chunks: reply.chunks } : {}), finishReason: reply.finishReason === 'length' ? ('length' as const) : ('stop' as const), usage: reply.usage ?? { prompt: 10, completion: 3 } }
        : { ...(reply.text !== undefined ? { text: reply.text } : {}), calls: reply.calls, finishReason: 'tool_calls' as const, usage: reply.usage ?? { prompt: 10, completion: 8 } };
    const made = responseBody(frame, content);
    // A conversation keeps the call's input and its answer's output as its items.
    const conversation = typeof body.conversation === 'string' ? body.conversation : (body.conversation as { id?: string } | undefined)?.id;
    if (conversation !== undefined) this.conversations.get(conversation)?.items.push(...storedInputItems(body.input), ...(JSON.parse(made) as { output: Record<string, unknown>[] }).output);
    if (!exchange.stream) return writeJson(res, 200, JSON.parse(made));
    await this.writeStream(res, sseHeaders(exchange), responseStreamEvents(frame, content));
    res.end();
  }

  protected override answerFailure(res: ServerResponse, error: unknown): void {
    writeJson(res, 500, { error: { code: '500', message: `fake-azure failed: ${String(error)}` } });
  }

  async #send(exchange: Exchange, reply: AzureReply): Promise<void> {
    const { res } = exchange;
    switch (reply.kind) {
      case 'text':
        return this.#complete(exchange, { text: reply.text, chunks: reply.chunks, finishReason: reply.finishReason ?? 'stop', usage: reply.usage ?? { prompt: 10, completion: 3 } });
      case 'tool_calls':
        return this.#complete(exchange, { text: reply.text, calls: reply.calls, finishReason: 'tool_calls', usage: reply.usage ?? { prompt: 10, completion: 8 } });
      case 'prompt_filtered':
        return writeJson(res, 400, azureErrors.promptFiltered());
      case 'error': {
        const retry: Record<string, string> = reply.status === 429 ? { 'retry-after': '6', 'retry-after-ms': '6000' } : {};
        const body = reply.body ?? (reply.status === 429 ? azureErrors.rateLimited(exchange.apiVersion, 6) : reply.status === 404 ? azureErrors.resourceNotFound() : azureErrors.serverError());
        return writeJson(res, reply.status, body, { ...retry, ...reply.headers });
      }
      case 'hang':
        return;
      case 'drop': {
        const events = streamEvents(exchange, { text: 'Echo: dropped reply', finishReason: 'stop', usage: { prompt: 1, completion: 1 } }, false);
        await this.writeStream(res, sseHeaders(exchange), events.slice(0, reply.afterChunks));
        return this.dropConnection(res);
      }
      case 'raw':
        return this.sendRaw(res, reply);
    }
  }

  async #complete(exchange: Exchange, content: Content): Promise<void> {
    if (!exchange.stream) return writeJson(exchange.res, 200, completionBody(exchange, content));
    await this.writeStream(exchange.res, sseHeaders(exchange), streamEvents(exchange, content, this.#options.asyncFilter !== false));
    exchange.res.end();
  }
}

interface Content {
  text?: string | undefined;
  chunks?: string[] | undefined;
  calls?: ToolCallSpec[];
  finishReason: 'stop' | 'length' | 'content_filter' | 'tool_calls';
  usage: ReplyUsage;
}

function azureHeaders(model: string): OutgoingHttpHeaders {
  return {
    'apim-request-id': randomHex(32),
    'x-request-id': randomHex(32),
    'x-ms-region': 'East US',
    'x-ms-deployment-name': model,
    'x-ratelimit-remaining-requests': '99',
    'x-ratelimit-remaining-tokens': '99990',
    'x-content-type-options': 'nosniff',
    'strict-transport-security': 'max-age=31536000; includeSubDomains; preload',
  };
}

function sseHeaders(exchange: Exchange): OutgoingHttpHeaders {
  return { ...azureHeaders(exchange.model), 'content-type': 'text/event-stream; charset=utf-8' };
}

function writeJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...azureHeaders(''), 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function toolCalls(calls: ToolCallSpec[]): { id: string; name: string; arguments: string; pieces: string[] }[] {
  return calls.map((c) => ({ id: c.id ?? newToolCallId(), name: c.name, arguments: c.arguments, pieces: c.argumentChunks ?? splitJsonTokens(c.arguments) }));
}

function completionBody(exchange: Exchange, content: Content): Record<string, unknown> {
  const frame = newCompletionFrame(exchange.model);
  const message: Record<string, unknown> = { annotations: [], content: content.text ?? null, refusal: null, role: 'assistant' };
  if (content.calls?.length) message.tool_calls = toolCalls(content.calls).map((c) => ({ function: { arguments: c.arguments, name: c.name }, id: c.id, type: 'function' }));
  const filter = content.finishReason === 'content_filter' ? FILTERED : FILTER_RESULTS;
  return {
    choices: [{ content_filter_results: filter, finish_reason: content.finishReason, index: 0, logprobs: null, message }],
    created: frame.created,
    id: frame.id,
    model: frame.model,
    object: 'chat.completion',
    prompt_filter_results: PROMPT_FILTER_RESULTS,
    system_fingerprint: frame.systemFingerprint,
    usage: usageObject(content.usage),
  };
}

/** Every SSE event of one streamed answer, Azure-style, ending with `data: [DONE]`. */
function streamEvents(exchange: Exchange, content: Content, asyncFilter: boolean): string[] {
  const frame: CompletionFrame = newCompletionFrame(exchange.model);
  const events: string[] = [];
  const emit = (chunk: Record<string, unknown>): void => {
    events.push(`data: ${JSON.stringify(exchange.includeUsage ? { ...chunk, usage: chunk.usage ?? null } : chunk)}\n\n`);
  };
  const choice = (delta: Record<string, unknown>, finish: string | null = null, filter: object = FILTER_RESULTS): void => {
    emit({
      choices: [{ content_filter_results: filter, delta, finish_reason: finish, index: 0, logprobs: null }],
      created: frame.created,
      id: frame.id,
      model: frame.model,
      object: 'chat.completion.chunk',
      system_fingerprint: frame.systemFingerprint,
    });
  };
  const annotation = (offset: number): void => {
    emit({
      choices: [{ content_filter_offsets: { check_offset: offset, end_offset: offset, start_offset: 0 }, content_filter_results: FILTER_RESULTS, finish_reason: null, index: 0 }],
      created: 0,
      id: '',
      model: '',
      object: '',
    });
  };
  emit({ choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: PROMPT_FILTER_RESULTS });
  choice({ content: '', refusal: null, role: 'assistant' }, null, {});
  const pieces = content.chunks ?? splitWords(content.text ?? '');
  let offset = 0;
  pieces.forEach((piece, i) => {
    const last = i === pieces.length - 1;
    choice({ content: piece }, null, last && content.finishReason === 'content_filter' ? FILTERED : FILTER_RESULTS);
    offset += piece.length;
    if (asyncFilter && i % 2 === 1) annotation(offset);
  });
  toolCalls(content.calls ?? []).forEach((call, index) => {
    choice({ tool_calls: [{ function: { arguments: '', name: call.name }, id: call.id, index, type: 'function' }] }, null, {});
    for (const piece of call.pieces) choice({ tool_calls: [{ function: { arguments: piece }, index }] }, null, {});
  });
  choice({}, content.finishReason, {});
  if (asyncFilter) annotation(offset);
  if (exchange.includeUsage) {
    emit({ choices: [], created: frame.created, id: frame.id, model: frame.model, object: 'chat.completion.chunk', system_fingerprint: frame.systemFingerprint, usage: usageObject(content.usage) });
  }
  events.push('data: [DONE]\n\n');
  return events;
}
