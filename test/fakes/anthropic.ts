/**
 * A fake Anthropic upstream for integration tests and the benchmark: a `node:http` server on
 * 127.0.0.1 that speaks the Messages API's real wire format, records every request, and fails
 * the ways the real API fails (error bodies with real statuses, 429 with retry-after, 529
 * overloaded, mid-stream `event: error`, hangs, dropped connections, raw bytes).
 *
 * Habits of the real API kept on purpose (gateways parse them; captured in
 * /work/shared/fixtures/claude-code): every SSE event has an `event:` line; `data:` JSON is padded
 * with trailing spaces; `ping` follows the first `content_block_start`; tool input opens with an
 * empty `partial_json`; `message_delta` carries the cumulative `output_tokens`.
 *
 * @example
 * const upstream = await startFakeAnthropic({ apiKey: 'sk-ant-upstream' });
 * upstream.reply({ kind: 'text', text: 'Hello there' });
 * // … point the gateway at upstream.url …
 * expect(upstream.requests[0]?.headers['x-api-key']).toBe('sk-ant-upstream');
 * await upstream.close();
 */
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { closeServer, isGone, listenOnLoopback, randomAlnum, readBody, recordRequest, sleep, writePiece, type RecordedRequest } from './http';

export type { RecordedRequest } from './http';

export interface ReplyUsage {
  /** Uncached input tokens (Anthropic's `input_tokens`). */
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
}

export interface ToolUseSpec {
  id?: string;
  name: string;
  input: Record<string, unknown>;
  /** How to split the input JSON in a stream (after the opening `""`); defaults to small pieces. */
  inputChunks?: string[];
}

export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'pause_turn' | 'refusal';

/** What the fake answers to one `POST /v1/messages`. */
export type Reply =
  | { kind: 'text'; text: string; chunks?: string[]; usage?: ReplyUsage; stopReason?: Exclude<StopReason, 'tool_use'>; stopSequence?: string }
  | { kind: 'tool_use'; calls: ToolUseSpec[]; text?: string; usage?: ReplyUsage }
  | { kind: 'thinking'; thinking: string; signature?: string; text: string; usage?: ReplyUsage }
  /** An error answer; `body` defaults to the real one for `status`, a 429 gets `retry-after`. */
  | { kind: 'error'; status: number; body?: unknown; headers?: Record<string, string> }
  /** Stream the default reply's first `afterEvents` events, then `event: error` (overloaded by default). */
  | { kind: 'stream-error'; afterEvents: number; errorType?: string; message?: string }
  | { kind: 'hang' }
  | { kind: 'hang-after-headers' }
  /** Stream the default reply's first `afterEvents` events (half the JSON body when not streaming), then reset the socket. */
  | { kind: 'drop'; afterEvents: number }
  | { kind: 'raw'; status: number; headers: Record<string, string>; body: string | string[]; delayMs?: number };

export type Responder = (req: RecordedRequest) => Reply | Promise<Reply>;

export interface FakeAnthropicOptions {
  /** When set, requests must carry it as `x-api-key` (or `Authorization: Bearer`); others get the real 401. */
  apiKey?: string;
  /** Pause between stream writes. */
  chunkDelayMs?: number;
  recordRequests?: boolean;
  /** Ids listed by `GET /v1/models`. */
  models?: string[];
}

export interface FakeAnthropic {
  /** The base URL without `/v1`, e.g. `http://127.0.0.1:41234` (what the Anthropic SDK's baseURL takes). */
  url: string;
  requests: RecordedRequest[];
  reply(responder: Responder | Reply): void;
  reset(): void;
  close(): Promise<void>;
}

export const DEFAULT_MODELS = ['claude-sonnet-4-6', 'claude-opus-4-6', 'claude-haiku-4-5-20251001'];

/** The Messages API's error bodies, as the real API words them. */
export const anthropicErrors = {
  body: (type: string, message: string) => ({ type: 'error', error: { type, message }, request_id: `req_${randomAlnum(24)}` }),
  missingKey: () => anthropicErrors.body('authentication_error', 'x-api-key header is required'),
  invalidKey: () => anthropicErrors.body('authentication_error', 'invalid x-api-key'),
  missingVersion: () => anthropicErrors.body('invalid_request_error', 'anthropic-version: header is required'),
  invalid: (message: string) => anthropicErrors.body('invalid_request_error', message),
  notFound: (what: string) => anthropicErrors.body('not_found_error', what),
  forStatus(status: number, model: string) {
    switch (status) {
      case 400:
        return anthropicErrors.invalid('prompt is too long: 210000 tokens > 200000 maximum');
      case 401:
        return anthropicErrors.invalidKey();
      case 403:
        return anthropicErrors.body('permission_error', 'Your API key does not have permission to use the specified resource.');
      case 404:
        return anthropicErrors.notFound(`model: ${model}`);
      case 413:
        return anthropicErrors.body('request_too_large', 'Request exceeds the maximum allowed number of bytes.');
      case 429:
        return anthropicErrors.body('rate_limit_error', 'This request would exceed the rate limit for your organization of 50 requests per minute.');
      case 529:
      case 503:
        return anthropicErrors.body('overloaded_error', 'Overloaded');
      default:
        return anthropicErrors.body('api_error', 'Internal server error');
    }
  },
};

const FAKE_DEFAULTS = { chunkDelayMs: 0, recordRequests: true, models: DEFAULT_MODELS };

/** The reply when a test chose none: `Echo: <last user text>`. */
export function defaultReply(req: RecordedRequest): Reply {
  const text = `Echo: ${lastUserText(req.body)}`;
  return { kind: 'text', text, usage: { input: estimateTokens(req.rawBody), output: words(text).length } };
}

export async function startFakeAnthropic(options: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  const fake = new FakeAnthropicServer({ ...FAKE_DEFAULTS, ...options });
  await fake.listen();
  return fake;
}

type ResolvedOptions = Required<Omit<FakeAnthropicOptions, 'apiKey'>> & { apiKey?: string };

interface Exchange {
  record: RecordedRequest;
  res: ServerResponse;
  model: string;
  stream: boolean;
}

type Block = { type: 'text'; text: string; chunks: string[] } | { type: 'thinking'; thinking: string; signature: string } | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown>; chunks: string[] };

class FakeAnthropicServer implements FakeAnthropic {
  url = '';
  requests: RecordedRequest[] = [];
  readonly #options: ResolvedOptions;
  readonly #server: Server;
  readonly #closing = new AbortController();
  #responder: Responder = defaultReply;

  constructor(options: ResolvedOptions) {
    this.#options = options;
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => this.#failed(res, error));
    });
  }

  async listen(): Promise<void> {
    this.url = await listenOnLoopback(this.#server);
  }

  reply(responder: Responder | Reply): void {
    this.#responder = typeof responder === 'function' ? responder : () => responder;
  }

  reset(): void {
    this.requests = [];
    this.#responder = defaultReply;
  }

  async close(): Promise<void> {
    this.#closing.abort();
    await closeServer(this.#server);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const record = recordRequest(req, await readBody(req), Date.now());
    if (this.#options.recordRequests) this.requests.push(record);
    const key = record.headers['x-api-key'] ?? /^Bearer (.+)$/i.exec(record.headers.authorization ?? '')?.[1];
    if (this.#options.apiKey !== undefined && key !== this.#options.apiKey) return writeJson(res, 401, key ? anthropicErrors.invalidKey() : anthropicErrors.missingKey());
    if (!record.headers['anthropic-version']) return writeJson(res, 400, anthropicErrors.missingVersion());

    const route = `${record.method} ${record.path.replace(/\/+$/, '')}`;
    if (route === 'POST /v1/messages') return this.#messages(record, res);
    if (route === 'POST /v1/messages/count_tokens') return writeJson(res, 200, { input_tokens: estimateTokens(record.rawBody) });
    if (route === 'GET /v1/models') {
      const data = this.#options.models.map(modelInfo);
      return writeJson(res, 200, { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
    }
    const id = /^GET \/v1\/models\/(.+)$/.exec(route)?.[1];
    if (id !== undefined && this.#options.models.includes(decodeURIComponent(id))) return writeJson(res, 200, modelInfo(decodeURIComponent(id)));
    return writeJson(res, 404, anthropicErrors.notFound('Not found'));
  }

  async #messages(record: RecordedRequest, res: ServerResponse): Promise<void> {
    const invalid = invalidMessagesRequest(record.body);
    if (invalid) return writeJson(res, 400, anthropicErrors.invalid(invalid));
    const body = record.body as { model: string; stream?: boolean };
    const exchange: Exchange = { record, res, model: body.model, stream: body.stream === true };
    const reply = await this.#responder(record);
    switch (reply.kind) {
      case 'text':
        return this.#answer(exchange, [{ type: 'text', text: reply.text, chunks: reply.chunks ?? words(reply.text) }], reply.stopReason ?? 'end_turn', reply.usage, reply.stopSequence);
      case 'tool_use': {
        const blocks: Block[] = reply.text ? [{ type: 'text', text: reply.text, chunks: words(reply.text) }] : [];
        for (const c of reply.calls) {
          const json = JSON.stringify(c.input);
          blocks.push({ type: 'tool_use', id: c.id ?? `toolu_01${randomAlnum(22)}`, name: c.name, input: c.input, chunks: c.inputChunks ?? (json.match(/.{1,7}/gs) ?? []) });
        }
        return this.#answer(exchange, blocks, 'tool_use', reply.usage);
      }
      case 'thinking':
        return this.#answer(
          exchange,
          [
            { type: 'thinking', thinking: reply.thinking, signature: reply.signature ?? `Sig${randomAlnum(40)}==` },
            { type: 'text', text: reply.text, chunks: words(reply.text) },
          ],
          'end_turn',
          reply.usage,
        );
      case 'error': {
        const retry: Record<string, string> = reply.status === 429 ? { 'retry-after': '1' } : {};
        return writeJson(res, reply.status, reply.body ?? anthropicErrors.forStatus(reply.status, exchange.model), { ...retry, ...reply.headers });
      }
      case 'stream-error': {
        const events = this.#defaultEvents(exchange).slice(0, reply.afterEvents);
        events.push(sse('error', { type: 'error', error: { type: reply.errorType ?? 'overloaded_error', message: reply.message ?? 'Overloaded' } }));
        await this.#writeStream(exchange, events);
        return void res.end();
      }
      case 'hang':
        return;
      case 'hang-after-headers':
        res.writeHead(200, headers('text/event-stream; charset=utf-8'));
        return void res.flushHeaders();
      case 'drop':
        return this.#drop(exchange, reply.afterEvents);
      case 'raw':
        res.writeHead(reply.status, reply.headers);
        res.flushHeaders();
        for (const piece of typeof reply.body === 'string' ? [reply.body] : reply.body) {
          await sleep(reply.delayMs ?? 0, this.#closing.signal);
          if (isGone(res)) return;
          await writePiece(res, piece);
        }
        return void res.end();
    }
  }

  #defaultEvents(exchange: Exchange): string[] {
    const reply = defaultReply(exchange.record) as Extract<Reply, { kind: 'text' }>;
    return streamEvents(exchange.model, [{ type: 'text', text: reply.text, chunks: words(reply.text) }], 'end_turn', reply.usage!);
  }

  async #answer(exchange: Exchange, blocks: Block[], stopReason: StopReason, usage: ReplyUsage | undefined, stopSequence?: string): Promise<void> {
    const u = usage ?? { input: estimateTokens(exchange.record.rawBody), output: 5 * blocks.length };
    if (!exchange.stream) return writeJson(exchange.res, 200, messageBody(exchange.model, blocks, stopReason, u, stopSequence));
    await this.#writeStream(exchange, streamEvents(exchange.model, blocks, stopReason, u, stopSequence));
    exchange.res.end();
  }

  async #drop(exchange: Exchange, afterEvents: number): Promise<void> {
    const { res } = exchange;
    if (exchange.stream) await this.#writeStream(exchange, this.#defaultEvents(exchange).slice(0, afterEvents));
    else {
      const reply = defaultReply(exchange.record) as Extract<Reply, { kind: 'text' }>;
      const body = JSON.stringify(messageBody(exchange.model, [{ type: 'text', text: reply.text, chunks: [] }], 'end_turn', reply.usage!));
      res.writeHead(200, { ...headers('application/json'), 'content-length': Buffer.byteLength(body) });
      if (afterEvents > 0) await writePiece(res, body.slice(0, Math.floor(body.length / 2)));
    }
    await sleep(10, this.#closing.signal);
    res.destroy();
  }

  async #writeStream(exchange: Exchange, events: string[]): Promise<void> {
    const { res } = exchange;
    res.writeHead(200, headers('text/event-stream; charset=utf-8'));
    res.flushHeaders();
    for (const [i, event] of events.entries()) {
      if (i > 0) await sleep(this.#options.chunkDelayMs, this.#closing.signal);
      if (isGone(res)) return;
      await writePiece(res, event);
    }
  }

  #failed(res: ServerResponse, error: unknown): void {
    if (res.headersSent) return void res.destroy();
    writeJson(res, 500, anthropicErrors.body('api_error', `fake-anthropic failed: ${error instanceof Error ? error.message : String(error)}`));
  }
}

/** The real API's 400s for mistakes a translating gateway makes. */
function invalidMessagesRequest(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return 'There was an issue with the format of your request: invalid JSON';
  const b = body as { model?: unknown; max_tokens?: unknown; messages?: unknown; tools?: unknown };
  if (typeof b.model !== 'string') return 'model: Field required';
  if (typeof b.max_tokens !== 'number') return 'max_tokens: Field required';
  if (!Array.isArray(b.messages)) return 'messages: Field required';
  let toolBlocks = false;
  for (const [i, m] of (b.messages as { content?: unknown }[]).entries()) {
    if (!Array.isArray(m.content)) continue;
    for (const [j, block] of (m.content as Record<string, unknown>[]).entries()) {
      if (block.type === 'text' && String(block.text ?? '').trim() === '') return `messages.${i}.content.${j}.text: text content blocks must contain non-whitespace text`;
      const id = block.type === 'tool_use' ? block.id : block.type === 'tool_result' ? block.tool_use_id : undefined;
      if (id !== undefined) {
        toolBlocks = true;
        if (!/^[a-zA-Z0-9_-]+$/.test(String(id))) return `messages.${i}.content.${j}: String should match pattern '^[a-zA-Z0-9_-]+$'`;
      }
    }
  }
  if (toolBlocks && !(Array.isArray(b.tools) && b.tools.length > 0)) return 'Requests which include `tool_use` or `tool_result` blocks must define tools.';
  return undefined;
}

function usageObject(u: ReplyUsage): Record<string, unknown> {
  return { input_tokens: u.input, cache_creation_input_tokens: u.cacheWrite ?? 0, cache_read_input_tokens: u.cacheRead ?? 0, output_tokens: u.output, service_tier: 'standard' };
}

function wholeBlock(block: Block): Record<string, unknown> {
  if (block.type === 'text') return { type: 'text', text: block.text };
  if (block.type === 'thinking') return { type: 'thinking', thinking: block.thinking, signature: block.signature };
  return { type: 'tool_use', id: block.id, name: block.name, input: block.input };
}

function messageBody(model: string, blocks: Block[], stopReason: StopReason, u: ReplyUsage, stopSequence?: string): Record<string, unknown> {
  return { id: `msg_01${randomAlnum(22)}`, type: 'message', role: 'assistant', model, content: blocks.map(wholeBlock), stop_reason: stopReason, stop_sequence: stopSequence ?? null, usage: usageObject(u) };
}

/** One event as the real API frames it, JSON padded with a few spaces. */
function sse(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}${' '.repeat(Math.floor(Math.random() * 12))}\n\n`;
}

/** The whole event sequence of one streamed message. */
export function streamEvents(model: string, blocks: Block[], stopReason: StopReason, u: ReplyUsage, stopSequence?: string): string[] {
  const start = { id: `msg_01${randomAlnum(22)}`, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usageObject(u), output_tokens: 1 } };
  const out = [sse('message_start', { type: 'message_start', message: start })];
  blocks.forEach((block, index) => {
    const delta = (d: Record<string, unknown>) => sse('content_block_delta', { type: 'content_block_delta', index, delta: d });
    if (block.type === 'text') {
      out.push(sse('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } }));
      if (index === 0) out.push('event: ping\ndata: {"type": "ping"}\n\n');
      for (const text of block.chunks) out.push(delta({ type: 'text_delta', text }));
    } else if (block.type === 'thinking') {
      out.push(sse('content_block_start', { type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } }));
      if (index === 0) out.push('event: ping\ndata: {"type": "ping"}\n\n');
      for (const thinking of words(block.thinking)) out.push(delta({ type: 'thinking_delta', thinking }));
      out.push(delta({ type: 'signature_delta', signature: block.signature }));
    } else {
      out.push(sse('content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } }));
      if (index === 0) out.push('event: ping\ndata: {"type": "ping"}\n\n');
      for (const partial_json of ['', ...block.chunks]) out.push(delta({ type: 'input_json_delta', partial_json }));
    }
    out.push(sse('content_block_stop', { type: 'content_block_stop', index }));
  });
  out.push(sse('message_delta', { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: stopSequence ?? null }, usage: { output_tokens: u.output } }));
  out.push(sse('message_stop', { type: 'message_stop' }));
  return out;
}

function modelInfo(id: string): { type: 'model'; id: string; display_name: string; created_at: string } {
  return { type: 'model', id, display_name: id.replace(/-\d{8}$/, '').replace(/-/g, ' '), created_at: '2025-09-29T00:00:00Z' };
}

function headers(contentType: string): OutgoingHttpHeaders {
  return {
    'content-type': contentType,
    'request-id': `req_${randomAlnum(24)}`,
    'anthropic-organization-id': '00000000-0000-4000-8000-000000000000',
    via: '1.1 google',
    'cf-cache-status': 'DYNAMIC',
  };
}

function writeJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { ...headers('application/json'), 'content-length': Buffer.byteLength(text), ...(status === 529 ? { 'x-should-retry': 'true' } : {}), ...extra });
  res.end(text);
}

function words(text: string): string[] {
  return text.match(/\s*\S+\s*$|\s*\S+/g) ?? (text === '' ? [] : [text]);
}

function lastUserText(body: unknown): string {
  const messages = (body as { messages?: { role?: string; content?: unknown }[] } | undefined)?.messages;
  const last = Array.isArray(messages) ? [...messages].reverse().find((m) => m.role === 'user') : undefined;
  if (typeof last?.content === 'string') return last.content;
  if (!Array.isArray(last?.content)) return '';
  return (last.content as { type?: string; text?: string }[]).filter((b) => b.type === 'text').map((b) => b.text ?? '').join(' ');
}

/** ~3.5 characters per token of the JSON body: good enough for a fake's usage numbers. */
function estimateTokens(raw: string): number {
  return Math.max(1, Math.ceil(raw.length / 3.5));
}
