/**
 * A fake Vertex AI (https://{region}-aiplatform.googleapis.com) on 127.0.0.1 for Claude and
 * Gemini, as publisher models: `POST /v1/projects/{project}/locations/{region}/publishers/
 * anthropic/models/{model}:rawPredict` (`:streamRawPredict`, and `count-tokens:rawPredict`), and
 * `…/publishers/google/models/{model}:generateContent` (`:streamGenerateContent`, SSE with `alt=sse` and the JSON array without,
 * `:countTokens`, and `:predict` of the text-embedding models, with the fake Gemini's vectors). It checks what Vertex checks: a Bearer token the fake Google OAuth issued and
 * that has not expired (401 UNAUTHENTICATED), a service account granted on the project (403
 * PERMISSION_DENIED, as a missing roles/aiplatform.user is), and for Claude the body Vertex takes
 * (no `model`, `anthropic_version: vertex-2023-10-16`). Answers are the publishers' own bytes,
 * written by the fake Anthropic's and the fake Gemini's wire modules; errors are Vertex's Google
 * bodies (quota 429 RESOURCE_EXHAUSTED) or, from Claude itself, Anthropic's (529 overloaded).
 *
 * @example
 * const vertex = await startFakeVertex({ oauth: google, grants: { 'my-project': [sa.clientEmail] } });
 * // … a vertex provider with baseUrl: vertex.url …
 * expect(vertex.requests[0]?.publisher).toBe('anthropic');
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { defaultReply as defaultClaudeReply } from './anthropic';
import { anthropicErrors, messageBody, streamEvents, words, type Block, type ReplyUsage, type ToolUseSpec } from './anthropic-wire';
import { FakeServer, listening, type FakeServerOptions, type FakeUpstream, type HangReply, type RawReply, type Received } from './fake-server';
import { defaultGeminiReply, geminiEmbedding } from './gemini';
import { googleErrors, googleHeaders, invalidRequest, mergeEvents, responseEvents, signatureProblem, streamPieces, writeJson as writeGoogleJson, type AnswerReply, type FunctionCallSpec } from './gemini-wire';
import type { FakeGoogleOAuth } from './google-oauth';
import { randomAlnum, type RecordedRequest } from './http';

export type VertexReply =
  /** Text, in the model's publisher's shape (a Claude message, or Gemini candidates). */
  | { kind: 'text'; text: string; usage?: ReplyUsage }
  | { kind: 'tool_use'; calls: ToolUseSpec[] }
  | { kind: 'function_calls'; calls: FunctionCallSpec[] }
  /**
   * An error answer; `body` defaults to Vertex's for `status` (429: the quota body, with a
   * RetryInfo of `retryDelay` when given; 404: a publisher model the region or project does not
   * have; 529: Claude's own overloaded body).
   */
  | { kind: 'error'; status: number; body?: unknown; retryDelay?: string }
  /**
   * Gemini: a 200 stream (SSE with `alt=sse`, the JSON array without) of the default answer's
   * first `afterEvents` chunks, then Google's `{"error": {code, message, status}}` in the same
   * framing, and the end, as Vertex fails a stream it has begun.
   */
  | { kind: 'stream-error'; afterEvents: number; error: { code: number; message: string; status: string; details?: unknown[] } }
  | HangReply
  | RawReply;

/** One request as the fake Vertex read its path. */
export interface VertexRecordedRequest extends RecordedRequest {
  publisher: string;
  project: string;
  region: string;
  model: string;
  method: string;
  /** The service account whose token came, when it was good. */
  serviceAccount?: string;
}

export interface FakeVertexOptions extends FakeServerOptions {
  /** Issues the tokens this fake takes. */
  oauth: FakeGoogleOAuth;
  /** The service accounts with roles/aiplatform.user on each project. */
  grants: Record<string, string[]>;
}

export interface FakeVertex extends FakeUpstream<VertexReply, VertexRecordedRequest> {
  /** The origin, e.g. `http://127.0.0.1:41234` (a provider's `baseUrl`). */
  url: string;
}

/**
 * The anthropic-beta flags Claude on Vertex takes; it answers any other with a 400 naming it
 * ("Unexpected value(s) `claude-code-20250219` … for the `anthropic-beta` header"), as Claude
 * Code's users behind proxies report (anthropics/claude-code#21625, #12429).
 */
const VERTEX_BETAS = new Set([
  'computer-use-2024-10-22',
  'computer-use-2025-01-24',
  'computer-use-2025-11-24',
  'context-1m-2025-08-07',
  'context-management-2025-06-27',
  'interleaved-thinking-2025-05-14',
  'tool-search-tool-2025-10-19',
  'web-search-2025-03-05',
]);
const betasOf = (header: string | string[] | undefined) =>
  (Array.isArray(header) ? header : header ? [header] : [])
    .flatMap((h) => h.split(','))
    .map((b) => b.trim())
    .filter((b) => b !== '');

/** The tokens a text-embedding `predict` call may carry, all its texts together. */
const EMBED_TOKENS_PER_CALL = 20_000;
/**
 * The fake's count of a text's tokens, as the models' vocabulary comes out: about four ASCII
 * characters a token, but a token or so for each character of other scripts (CJK, mostly).
 */
function embeddingTokens(text: string): number {
  let ascii = 0;
  let other = 0;
  for (const ch of text) ch.charCodeAt(0) < 0x80 ? ascii++ : other++;
  return Math.max(1, Math.ceil(ascii / 4) + other);
}

const ROUTE = /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/([^/]+)\/models\/([^/:]+):([A-Za-z]+)$/;
const SSE = 'text/event-stream; charset=utf-8';

/** The default reply: `Echo: <last user text>`, as the Anthropic and Gemini fakes answer. */
export function defaultVertexReply(req: VertexRecordedRequest): VertexReply {
  const text = req.publisher === 'anthropic' ? (defaultClaudeReply(req) as { text: string }).text : (defaultGeminiReply(req) as { text: string }).text;
  return { kind: 'text', text };
}

export async function startFakeVertex(options: FakeVertexOptions): Promise<FakeVertex> {
  return listening(new FakeVertexServer(options));
}

class FakeVertexServer extends FakeServer<VertexReply, VertexRecordedRequest> implements FakeVertex {
  readonly #options: FakeVertexOptions;

  constructor(options: FakeVertexOptions) {
    super({ defaultReply: defaultVertexReply, chunkDelayMs: options.chunkDelayMs, recordRequests: options.recordRequests });
    this.#options = options;
  }

  protected override recordOf(base: RecordedRequest): VertexRecordedRequest {
    const route = ROUTE.exec(base.path);
    const [, project = '', region = '', publisher = '', model = '', method = ''] = route ?? [];
    return { ...base, project: decodeURIComponent(project), region: decodeURIComponent(region), publisher, model: decodeURIComponent(model), method };
  }

  protected override async route({ req, res, record }: Received<VertexRecordedRequest>): Promise<void> {
    if (req.method !== 'POST' || !record.method) return writeGoogleJson(res, 404, googleErrors.body(404, 'NOT_FOUND', `The requested URL ${record.path} was not found on this server.`));
    const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    const holder = token ? this.#options.oauth.holder(token) : undefined;
    if (!holder) {
      return writeGoogleJson(
        res,
        401,
        googleErrors.body(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.'),
      );
    }
    record.serviceAccount = holder;
    const resource = `//aiplatform.googleapis.com/projects/${record.project}/locations/${record.region}/publishers/${record.publisher}/models/${record.model}`;
    if (!(this.#options.grants[record.project] ?? []).includes(holder)) {
      return writeGoogleJson(res, 403, googleErrors.body(403, 'PERMISSION_DENIED', `Permission 'aiplatform.endpoints.predict' denied on resource '${resource}' (or it may not exist).`));
    }
    if (record.publisher === 'anthropic') return this.#claude(record, res);
    if (record.publisher === 'google') return this.#gemini(record, res);
    return writeGoogleJson(res, 404, googleErrors.body(404, 'NOT_FOUND', `Publisher Model \`projects/${record.project}/locations/${record.region}/publishers/${record.publisher}/models/${record.model}\` not found.`));
  }

  protected override answerFailure(res: ServerResponse, error: unknown): void {
    writeGoogleJson(res, 500, googleErrors.body(500, 'INTERNAL', `fake-vertex failed: ${error instanceof Error ? error.message : String(error)}`));
  }

  async #claude(record: VertexRecordedRequest, res: ServerResponse): Promise<void> {
    const body = record.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object') return writeClaudeJson(res, 400, anthropicErrors.invalid('There was an issue with the format of your request: invalid JSON'));
    if (body.anthropic_version !== 'vertex-2023-10-16') return writeClaudeJson(res, 400, anthropicErrors.invalid("anthropic_version: Input should be 'vertex-2023-10-16'"));
    const unknownBetas = betasOf(record.headers['anthropic-beta']).filter((b) => !VERTEX_BETAS.has(b));
    if (unknownBetas.length > 0) {
      const named = unknownBetas.map((b) => `\`${b}\``).join(', ');
      return writeClaudeJson(res, 400, anthropicErrors.invalid(`Unexpected value(s) ${named} for the \`anthropic-beta\` header. Please consult our documentation at docs.anthropic.com or try again without the header.`));
    }
    if (record.model === 'count-tokens' && record.method === 'rawPredict') {
      if (typeof body.model !== 'string') return writeClaudeJson(res, 400, anthropicErrors.invalid('model: Field required'));
      return writeClaudeJson(res, 200, { input_tokens: Math.max(1, Math.ceil(record.rawBody.length / 3.5)) });
    }
    if (record.method !== 'rawPredict' && record.method !== 'streamRawPredict') return writeGoogleJson(res, 400, googleErrors.invalid(`Method ${record.method} is not supported for publisher model anthropic.`));
    if ('model' in body) return writeClaudeJson(res, 400, anthropicErrors.invalid('model: Extra inputs are not permitted'));
    if (typeof body.max_tokens !== 'number' || !Array.isArray(body.messages)) return writeClaudeJson(res, 400, anthropicErrors.invalid(typeof body.max_tokens !== 'number' ? 'max_tokens: Field required' : 'messages: Field required'));
    const stream = record.method === 'streamRawPredict';
    const reply = await this.replyFor(record);
    const u: ReplyUsage = { input: Math.max(1, Math.ceil(record.rawBody.length / 3.5)), output: 5 };
    let blocks: Block[];
    switch (reply.kind) {
      case 'text':
        blocks = [{ type: 'text', text: reply.text, chunks: words(reply.text) }];
        if (reply.usage) Object.assign(u, reply.usage);
        break;
      case 'tool_use':
        blocks = reply.calls.map((c) => ({ type: 'tool_use', id: c.id ?? `toolu_vrtx_01${randomAlnum(22)}`, name: c.name, input: c.input, chunks: c.inputChunks ?? (JSON.stringify(c.input).match(/.{1,7}/gs) ?? []) }));
        break;
      case 'error':
        return this.#error(res, record, reply);
      case 'hang':
        return;
      case 'raw':
        return this.sendRaw(res, reply);
      default:
        return writeGoogleJson(res, 500, googleErrors.body(500, 'INTERNAL', `a ${reply.kind} reply is Gemini's, not Claude's`));
    }
    const stopReason = reply.kind === 'tool_use' ? 'tool_use' : 'end_turn';
    if (!stream) return writeClaudeJson(res, 200, messageBody(record.model, blocks, stopReason, u));
    await this.writeStream(res, vertexHeaders(SSE), streamEvents(record.model, blocks, stopReason, u));
    res.end();
  }

  async #gemini(record: VertexRecordedRequest, res: ServerResponse): Promise<void> {
    if (record.method === 'predict') return this.#embed(record, res);
    if (record.method === 'countTokens') return writeGoogleJson(res, 200, { totalTokens: Math.max(1, Math.ceil(record.rawBody.length / 4)), totalBillableCharacters: record.rawBody.length });
    if (record.method !== 'generateContent' && record.method !== 'streamGenerateContent') return writeGoogleJson(res, 400, googleErrors.invalid(`Method ${record.method} is not supported.`));
    const sse = new URLSearchParams(record.search).get('alt') === 'sse';
    const invalid = invalidRequest(record.body) ?? signatureProblem(record.body, record.model);
    if (invalid) return writeGoogleJson(res, 400, googleErrors.invalid(invalid));
    const reply = await this.replyFor(record);
    let answer: AnswerReply;
    switch (reply.kind) {
      case 'text':
        answer = { kind: 'text', text: reply.text };
        break;
      case 'stream-error':
        return this.#geminiStreamError(record, res, sse, reply);
      case 'function_calls':
        answer = { kind: 'function_calls', calls: reply.calls };
        break;
      case 'error':
        return this.#error(res, record, reply);
      case 'hang':
        return;
      case 'raw':
        return this.sendRaw(res, reply);
      default:
        return writeGoogleJson(res, 500, googleErrors.body(500, 'INTERNAL', `a ${reply.kind} reply is Claude's, not Gemini's`));
    }
    const events = responseEvents({ record, model: record.model }, answer);
    if (record.method === 'generateContent') return writeGoogleJson(res, 200, { ...mergeEvents(events), createTime: new Date().toISOString() });
    // Without alt=sse, Vertex streams the JSON array, as the Gemini API does.
    const headers = sse ? googleHeaders('text/event-stream', { 'content-disposition': 'attachment' }) : googleHeaders('application/json; charset=UTF-8');
    await this.writeStream(res, headers, streamPieces(sse ? 'sse' : 'array', events));
    res.end();
  }

  /** A Gemini stream that fails after `afterEvents` chunks (a call that is no stream gets the error as its status). */
  async #geminiStreamError(record: VertexRecordedRequest, res: ServerResponse, sse: boolean, reply: Extract<VertexReply, { kind: 'stream-error' }>): Promise<void> {
    if (record.method === 'generateContent') return writeGoogleJson(res, reply.error.code, { error: reply.error });
    const answer = (defaultGeminiReply(record) as { text: string }).text;
    const events = responseEvents({ record, model: record.model }, { kind: 'text', text: answer }).slice(0, Math.max(0, reply.afterEvents));
    const headers = sse ? googleHeaders('text/event-stream', { 'content-disposition': 'attachment' }) : googleHeaders('application/json; charset=UTF-8');
    await this.writeStream(res, headers, streamPieces(sse ? 'sse' : 'array', [...events, { error: reply.error }]));
    res.end();
  }

  /** `predict` of a text-embedding model: Vertex's limits, then a test's error or raw reply or the vectors (and each text's tokens). */
  async #embed(record: VertexRecordedRequest, res: ServerResponse): Promise<void> {
    const body = record.body as { instances?: { content?: unknown }[]; parameters?: { outputDimensionality?: unknown; autoTruncate?: unknown } } | undefined;
    const instances = body?.instances;
    if (!Array.isArray(instances) || instances.length === 0) return writeGoogleJson(res, 400, googleErrors.invalid('instances must not be empty.'));
    const most = record.model.startsWith('gemini-embedding') ? 1 : 250;
    if (instances.length > most) return writeGoogleJson(res, 400, googleErrors.invalid(`Unable to submit request because the model supports up to ${most} instances per call, but ${instances.length} were given.`));
    if (instances.some((i) => typeof i.content !== 'string' || i.content === '')) return writeGoogleJson(res, 400, googleErrors.invalid('The text content is empty.'));
    const counted = instances.reduce((n, i) => n + embeddingTokens(i.content as string), 0);
    if (counted > EMBED_TOKENS_PER_CALL) {
      return writeGoogleJson(res, 400, googleErrors.invalid(`Unable to submit request because the input token count is ${counted} but the model supports up to ${EMBED_TOKENS_PER_CALL}. Reduce the input token count and try again.`));
    }
    const reply = await this.replyFor(record);
    if (reply.kind === 'error') return this.#error(res, record, reply);
    if (reply.kind === 'raw') return this.sendRaw(res, reply);
    const dimensions = typeof body?.parameters?.outputDimensionality === 'number' ? body.parameters.outputDimensionality : undefined;
    const predictions = instances.map((i) => ({
      embeddings: { statistics: { truncated: false, token_count: embeddingTokens(i.content as string) }, values: geminiEmbedding(record.model, i.content as string, dimensions) },
    }));
    return writeGoogleJson(res, 200, { predictions, metadata: { billableCharacterCount: instances.reduce((n, i) => n + (i.content as string).length, 0) } });
  }

  #error(res: ServerResponse, record: VertexRecordedRequest, reply: Extract<VertexReply, { kind: 'error' }>): void {
    if (reply.body !== undefined) return isClaudeError(reply.body) ? writeClaudeJson(res, reply.status, reply.body) : writeGoogleJson(res, reply.status, reply.body);
    if (reply.status === 529) return writeClaudeJson(res, 529, anthropicErrors.forStatus(529, record.model));
    if (reply.status === 429) {
      const base = record.publisher === 'anthropic' ? `anthropic-${record.model.replace(/@.*$/, '')}` : record.model;
      const details = reply.retryDelay ? [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: reply.retryDelay }] : undefined;
      return writeGoogleJson(
        res,
        429,
        googleErrors.body(
          429,
          'RESOURCE_EXHAUSTED',
          `Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model with base model: ${base}. Please submit a quota increase request. https://cloud.google.com/vertex-ai/docs/generative-ai/quotas-genai.`,
          details,
        ),
      );
    }
    if (reply.status === 404) {
      // A model not offered in the region, or not enabled in the project's Model Garden.
      const name = `projects/${record.project}/locations/${record.region}/publishers/${record.publisher}/models/${record.model}`;
      return writeGoogleJson(res, 404, googleErrors.body(404, 'NOT_FOUND', `Publisher Model \`${name}\` was not found or your project does not have access to it. Please ensure you are using a valid model version. For more information, see: https://cloud.google.com/vertex-ai/generative-ai/docs/learn/model-versions`));
    }
    return writeGoogleJson(res, reply.status, googleErrors.byStatus(reply.status, record.model));
  }
}

function vertexHeaders(contentType: string): OutgoingHttpHeaders {
  return { 'content-type': contentType, vary: 'Origin, X-Origin, Referer', server: 'scaffolding on HTTPServer2', 'x-content-type-options': 'nosniff' };
}

/** Claude's own JSON (answers, and the errors Anthropic's model returns through Vertex). */
function writeClaudeJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...vertexHeaders('application/json'), 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const isClaudeError = (body: unknown) => typeof body === 'object' && body !== null && (body as { type?: unknown }).type === 'error';
