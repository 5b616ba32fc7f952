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
import type { ServerResponse } from 'node:http';
import { FakeServer, listening, type FakeServerOptions, type FakeUpstream, type HangReply, type RawReply, type Received } from './fake-server';
import { googleErrors, googleHeaders, invalidRequest, mergeEvents, pretty, responseEvents, signatureProblem, streamPieces, writeJson, type AnswerReply } from './gemini-wire';
import { writePiece, type RecordedRequest } from './http';
import { embeddingVector } from './openai-wire';

export type { RecordedRequest } from './http';
export { googleCompactJson, googleErrors, type FunctionCallSpec, type GeminiReplyUsage } from './gemini-wire';

export type GeminiReply =
  | AnswerReply
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
  /**
   * Send the stream's first `afterEvents` events, then Google's `{"error": {code, message,
   * status}}` as one more SSE event or array element (then `]`), as Google ends a stream that
   * fails after the 200. A request that does not stream gets it as the error answer.
   */
  | { kind: 'stream-error'; afterEvents: number; error: { code: number; message: string; status: string } }
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

/** Default reply: `Echo: <last user text>`. */
export function defaultGeminiReply(req: RecordedRequest): GeminiReply {
  const contents = (req.body as { contents?: { role?: string; parts?: { text?: string }[] }[] } | undefined)?.contents ?? [];
  const last = [...contents].reverse().find((c) => c.role === undefined || c.role === 'user');
  const text = (last?.parts ?? []).map((p) => p.text ?? '').filter((t) => t !== '').join(' ');
  return { kind: 'text', text: `Echo: ${text}` };
}

/**
 * Gemini 3 Pro thinks at LOW or HIGH only, Gemini 3.1 Pro at LOW, MEDIUM or HIGH; MINIMAL and MEDIUM are Gemini 3 Flash's (the thinking
 * levels table, https://ai.google.dev/gemini-api/docs/thinking). The message is this fake's words.
 */
function thinkingLevelProblem(body: unknown, model: string): string | undefined {
  const level = (body as { generationConfig?: { thinkingConfig?: { thinkingLevel?: unknown } } } | undefined)?.generationConfig?.thinkingConfig?.thinkingLevel;
  const taken = /^gemini-3-pro/.test(model) ? ['LOW', 'HIGH'] : /^gemini-3\.1-pro/.test(model) ? ['LOW', 'MEDIUM', 'HIGH'] : undefined;
  if (typeof level !== 'string' || !taken) return undefined;
  return taken.includes(level.toUpperCase()) ? undefined : `Thinking level ${level} is not supported for model ${model}.`;
}

/**
 * Function declarations together with a JSON answer (`responseMimeType: application/json`) are
 * taken by Gemini 3 and later only ("Structured outputs with tools",
 * https://ai.google.dev/gemini-api/docs/structured-output#structured_outputs_with_tools); earlier
 * models answer this 400, in Google's words.
 */
function jsonWithFunctionsProblem(body: unknown, model: string): string | undefined {
  const b = body as { tools?: { functionDeclarations?: unknown[] }[]; generationConfig?: { responseMimeType?: unknown } } | undefined;
  const declares = b?.tools?.some((t) => (t.functionDeclarations?.length ?? 0) > 0) ?? false;
  if (!declares || b?.generationConfig?.responseMimeType !== 'application/json') return undefined;
  const major = Number(/^gemini-(\d+)/.exec(model)?.[1] ?? 0);
  return major >= 3 ? undefined : "Function calling with a response mime type: 'application/json' is unsupported";
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
    const invalid = invalidRequest(record.body) ?? signatureProblem(record.body, model) ?? thinkingLevelProblem(record.body, model) ?? jsonWithFunctionsProblem(record.body, model);
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
      case 'stream-error':
        return this.#sendStreamError(exchange, reply.afterEvents, reply.error);
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

  async #sendStreamError(exchange: Exchange, afterEvents: number, error: { code: number; message: string; status: string }): Promise<void> {
    const { res, mode } = exchange;
    if (mode === 'json') return writeJson(res, error.code, { error });
    const events = responseEvents(exchange, defaultGeminiReply(exchange.record) as Extract<GeminiReply, { kind: 'text' }>).slice(0, Math.max(0, afterEvents));
    const pieces = streamPieces(mode, [...events, { error }]);
    await this.writeStream(res, googleHeaders(mode === 'sse' ? 'text/event-stream' : 'application/json; charset=UTF-8'), pieces);
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

/** Google's front end answers unknown paths with an HTML page. */
function notFoundPage(res: ServerResponse, path: string): void {
  const html = `<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <title>Error 404 (Not Found)!!1</title>\n  <p><b>404.</b> <ins>That’s an error.</ins>\n  <p>The requested URL <code>${path}</code> was not found on this server.  <ins>That’s all we know.</ins>\n`;
  res.writeHead(404, { 'content-type': 'text/html; charset=UTF-8', 'content-length': Buffer.byteLength(html) });
  res.end(html);
}
