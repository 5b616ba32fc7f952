/**
 * A fake Anthropic upstream for integration tests and the benchmark: a `node:http` server on
 * 127.0.0.1 that speaks the Messages API's real wire format, records every request, and fails
 * the ways the real API fails (error bodies with real statuses, 429 with retry-after, 529
 * overloaded, mid-stream `event: error`, hangs, dropped connections, raw bytes).
 *
 * Habits of the real API kept on purpose (gateways parse them; captured in
 * test/fixtures/claude-code): every SSE event has an `event:` line; `data:` JSON is padded
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
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { anthropicErrors, messageBody, modelInfo, sse, streamEvents, words, type Block, type ReplyUsage, type StopReason, type ToolUseSpec } from './anthropic-wire';
import { FakeQuota, type FakeQuotaOptions } from './fake-quota';
import { FakeServer, listening, type FakeServerOptions, type FakeUpstream, type HangAfterHeadersReply, type HangReply, type RawReply, type Received } from './fake-server';
import { randomAlnum, writePiece, type RecordedRequest } from './http';
import { isClaudeSignature } from './signatures';

export type { RecordedRequest } from './http';
export { anthropicErrors, streamEvents, type ReplyUsage, type StopReason, type ToolUseSpec } from './anthropic-wire';

/** What the fake answers to one `POST /v1/messages`. */
export type Reply =
  | { kind: 'text'; text: string; chunks?: string[]; usage?: ReplyUsage; stopReason?: Exclude<StopReason, 'tool_use'>; stopSequence?: string }
  /** `thinking`: a signed thinking block first, as Claude starts a tool-use turn with thinking on. */
  | { kind: 'tool_use'; calls: ToolUseSpec[]; text?: string; usage?: ReplyUsage; thinking?: { thinking: string; signature?: string } }
  | { kind: 'thinking'; thinking: string; signature?: string; text: string; usage?: ReplyUsage }
  /** An error answer; `body` defaults to the real one for `status`, a 429 gets `retry-after`. */
  | { kind: 'error'; status: number; body?: unknown; headers?: Record<string, string> }
  /** Stream the default reply's first `afterEvents` events, then `event: error` (overloaded by default). */
  | { kind: 'stream-error'; afterEvents: number; errorType?: string; message?: string }
  | HangReply
  | HangAfterHeadersReply
  /** Stream the default reply's first `afterEvents` events (half the JSON body when not streaming), then reset the socket. */
  | { kind: 'drop'; afterEvents: number }
  | RawReply;

export type Responder = (req: RecordedRequest) => Reply | Promise<Reply>;

export interface FakeAnthropicOptions extends FakeServerOptions {
  /** When set, requests must carry it as `x-api-key` (or `Authorization: Bearer`); others get the real 401. */
  apiKey?: string;
  /** Ids listed by `GET /v1/models`. */
  models?: string[];
  /**
   * The account's rate limits, spent by every POST (one quota for all models: the real API keeps one
   * per model class) and reported in `anthropic-ratelimit-*`; once spent, a 429 until the window
   * ends. Without it answers report none.
   */
  quota?: FakeQuotaOptions;
}

export interface FakeAnthropic extends FakeUpstream<Reply> {
  /** The base URL without `/v1`, e.g. `http://127.0.0.1:41234` (what the Anthropic SDK's baseURL takes). */
  url: string;
  /** The account's rate limits, when `quota` was given (a test sets what is left). */
  quota: FakeQuota | undefined;
}

export const DEFAULT_MODELS = ['claude-sonnet-4-6', 'claude-opus-4-6', 'claude-haiku-4-5-20251001'];

const FAKE_DEFAULTS = { chunkDelayMs: 0, recordRequests: true, models: DEFAULT_MODELS };

/** The reply when a test chose none: `Echo: <last user text>`. */
export function defaultReply(req: RecordedRequest): Reply {
  const text = `Echo: ${lastUserText(req.body)}`;
  return { kind: 'text', text, usage: { input: estimateTokens(req.rawBody), output: words(text).length } };
}

export async function startFakeAnthropic(options: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  return listening(new FakeAnthropicServer({ ...FAKE_DEFAULTS, ...options }));
}

type ResolvedOptions = Required<Omit<FakeAnthropicOptions, 'apiKey' | 'quota'>> & { apiKey?: string; quota?: FakeQuotaOptions };

interface Exchange {
  record: RecordedRequest;
  res: ServerResponse;
  model: string;
  stream: boolean;
}

class FakeAnthropicServer extends FakeServer<Reply> implements FakeAnthropic {
  readonly #options: ResolvedOptions;
  readonly quota: FakeQuota | undefined;
  /** The thinking each signature this fake made covers: Anthropic refuses a block whose text is not the one its signature was made for. */
  readonly #signed = new Map<string, string>();

  constructor(options: ResolvedOptions) {
    super({ defaultReply, chunkDelayMs: options.chunkDelayMs, recordRequests: options.recordRequests });
    this.#options = options;
    this.quota = options.quota ? new FakeQuota(options.quota) : undefined;
  }

  protected override async route({ record, res }: Received): Promise<void> {
    const key = record.headers['x-api-key'] ?? /^Bearer (.+)$/i.exec(record.headers.authorization ?? '')?.[1];
    if (this.#options.apiKey !== undefined && key !== this.#options.apiKey) return writeJson(res, 401, key ? anthropicErrors.invalidKey() : anthropicErrors.missingKey());
    if (!record.headers['anthropic-version']) return writeJson(res, 400, anthropicErrors.missingVersion());
    if (this.quota && record.method === 'POST' && record.path.replace(/\/+$/, '') === '/v1/messages' && !this.quota.take(estimateTokens(record.rawBody))) {
      const model = String((record.body as { model?: unknown } | undefined)?.model ?? 'claude-sonnet-4-6');
      return writeJson(res, 429, anthropicErrors.forStatus(429, model), { ...this.quota.headers('anthropic'), 'retry-after': String(this.quota.retryAfterSeconds()) });
    }
    // Every answer from here on reports the account's quota (set now, so each writer's own headers win).
    for (const [name, value] of Object.entries(this.quota?.headers('anthropic') ?? {})) res.setHeader(name, value);

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

  protected override answerFailure(res: ServerResponse, error: unknown): void {
    writeJson(res, 500, anthropicErrors.body('api_error', `fake-anthropic failed: ${error instanceof Error ? error.message : String(error)}`));
  }

  /** A signature for `thinking`, remembered with it (a test's own signature is checked by shape only). */
  #sign(thinking: string): string {
    const signature = `Sig${randomAlnum(40)}==`;
    this.#signed.set(signature, thinking);
    return signature;
  }

  async #messages(record: RecordedRequest, res: ServerResponse): Promise<void> {
    const invalid = invalidMessagesRequest(record.body, this.#signed);
    if (invalid) return writeJson(res, 400, anthropicErrors.invalid(invalid));
    const body = record.body as { model: string; stream?: boolean };
    const exchange: Exchange = { record, res, model: body.model, stream: body.stream === true };
    const reply = await this.replyFor(record);
    switch (reply.kind) {
      case 'text':
        return this.#answer(exchange, [{ type: 'text', text: reply.text, chunks: reply.chunks ?? words(reply.text) }], reply.stopReason ?? 'end_turn', reply.usage, reply.stopSequence);
      case 'tool_use': {
        const blocks: Block[] = reply.thinking ? [{ type: 'thinking', thinking: reply.thinking.thinking, signature: reply.thinking.signature ?? this.#sign(reply.thinking.thinking) }] : [];
        if (reply.text) blocks.push({ type: 'text', text: reply.text, chunks: words(reply.text) });
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
            { type: 'thinking', thinking: reply.thinking, signature: reply.signature ?? this.#sign(reply.thinking) },
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
        await this.writeStream(res, headers(SSE), events);
        return void res.end();
      }
      case 'hang':
        return;
      case 'hang-after-headers':
        return this.hangAfterHeaders(res, headers(SSE));
      case 'drop':
        return this.#drop(exchange, reply.afterEvents);
      case 'raw':
        return this.sendRaw(res, reply);
    }
  }

  #defaultEvents(exchange: Exchange): string[] {
    const reply = defaultReply(exchange.record) as Extract<Reply, { kind: 'text' }>;
    return streamEvents(exchange.model, [{ type: 'text', text: reply.text, chunks: words(reply.text) }], 'end_turn', reply.usage!);
  }

  async #answer(exchange: Exchange, blocks: Block[], stopReason: StopReason, usage: ReplyUsage | undefined, stopSequence?: string): Promise<void> {
    const u = usage ?? { input: estimateTokens(exchange.record.rawBody), output: 5 * blocks.length };
    if (!exchange.stream) return writeJson(exchange.res, 200, messageBody(exchange.model, blocks, stopReason, u, stopSequence));
    await this.writeStream(exchange.res, headers(SSE), streamEvents(exchange.model, blocks, stopReason, u, stopSequence));
    exchange.res.end();
  }

  async #drop(exchange: Exchange, afterEvents: number): Promise<void> {
    const { res } = exchange;
    if (exchange.stream) await this.writeStream(res, headers(SSE), this.#defaultEvents(exchange).slice(0, afterEvents));
    else {
      const reply = defaultReply(exchange.record) as Extract<Reply, { kind: 'text' }>;
      const body = JSON.stringify(messageBody(exchange.model, [{ type: 'text', text: reply.text, chunks: [] }], 'end_turn', reply.usage!));
      res.writeHead(200, { ...headers('application/json'), 'content-length': Buffer.byteLength(body) });
      if (afterEvents > 0) await writePiece(res, body.slice(0, Math.floor(body.length / 2)));
    }
    await this.dropConnection(res);
  }
}

/** The real API's 400s for mistakes a translating gateway makes. */
function invalidMessagesRequest(body: unknown, signed: ReadonlyMap<string, string>): string | undefined {
  if (typeof body !== 'object' || body === null) return 'There was an issue with the format of your request: invalid JSON';
  const b = body as { model?: unknown; max_tokens?: unknown; messages?: unknown; tools?: unknown };
  if (typeof b.model !== 'string') return 'model: Field required';
  if (typeof b.max_tokens !== 'number') return 'max_tokens: Field required';
  if (!Array.isArray(b.messages)) return 'messages: Field required';
  const sampling = thinkingSamplingProblem(body as ThinkingOptions);
  if (sampling) return sampling;
  let toolBlocks = false;
  for (const [i, m] of (b.messages as { content?: unknown }[]).entries()) {
    if (!Array.isArray(m.content)) continue;
    for (const [j, block] of (m.content as Record<string, unknown>[]).entries()) {
      if (block.type === 'text' && String(block.text ?? '').trim() === '') return `messages.${i}.content.${j}.text: text content blocks must contain non-whitespace text`;
      // Anthropic verifies every signature it gets back; one it did not make (another family's) is refused.
      if (block.type === 'thinking' && !isClaudeSignature(String(block.signature ?? ''))) return `messages.${i}.content.${j}: Invalid \`signature\` in \`thinking\` block`;
      // And checks it against the text: a thinking block changed on its way back (a redaction) is refused too.
      const covers = block.type === 'thinking' ? signed.get(String(block.signature)) : undefined;
      if (covers !== undefined && covers !== block.thinking) return `messages.${i}.content.${j}: Invalid \`signature\` in \`thinking\` block`;
      if (block.type === 'redacted_thinking' && !isClaudeSignature(String(block.data ?? ''))) return `messages.${i}.content.${j}: Invalid \`data\` in \`redacted_thinking\` block`;
      const id = block.type === 'tool_use' ? block.id : block.type === 'tool_result' ? block.tool_use_id : undefined;
      if (id !== undefined) {
        toolBlocks = true;
        if (!/^[a-zA-Z0-9_-]+$/.test(String(id))) return `messages.${i}.content.${j}: String should match pattern '^[a-zA-Z0-9_-]+$'`;
      }
    }
  }
  if (toolBlocks && !(Array.isArray(b.tools) && b.tools.length > 0)) return 'Requests which include `tool_use` or `tool_result` blocks must define tools.';
  const breakpoints = cacheBreakpointCount(b as { system?: unknown; tools?: unknown; messages: unknown[] });
  if (breakpoints > MAX_CACHE_BREAKPOINTS) return `A maximum of ${MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found ${breakpoints}.`;
  const unpaired = toolPairingProblem(b.messages as { role?: unknown; content?: unknown }[]);
  if (unpaired) return unpaired;
  const prefill = prefillProblem(b.messages as { role?: unknown; content?: unknown }[]);
  if (prefill) return prefill;
  return thinkingFirstProblem(b as { thinking?: { type?: unknown }; messages: { role?: unknown; content?: unknown }[] });
}

type ThinkingOptions = { thinking?: { type?: unknown }; temperature?: unknown; top_k?: unknown; tool_choice?: { type?: unknown } };

const CONSIDERATIONS = 'Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#important-considerations-when-using-extended-thinking';

/**
 * "Thinking isn't compatible with temperature or top_k modifications as well as forced tool use"
 * (https://docs.claude.com/en/docs/build-with-claude/extended-thinking), in the real API's words as
 * clients quote them (MartialBE/one-hub#529, quarkiverse/quarkus-langchain4j#1812, mastra-ai/mastra#7507).
 * top_p is left alone: the models since Claude 4 take it from 0.95 to 1 while thinking.
 */
function thinkingSamplingProblem(b: ThinkingOptions): string | undefined {
  if (b.thinking?.type !== 'enabled') return undefined;
  if (b.temperature !== undefined && b.temperature !== 1) return `\`temperature\` may only be set to 1 when thinking is enabled. ${CONSIDERATIONS}`;
  if (b.top_k !== undefined) return `\`top_k\` must be unset when thinking is enabled. ${CONSIDERATIONS}`;
  if (b.tool_choice?.type === 'any' || b.tool_choice?.type === 'tool') return 'Thinking may not be enabled when tool_choice forces tool use.';
  return undefined;
}

/** "You can define up to 4 cache breakpoints" (https://docs.claude.com/en/docs/build-with-claude/prompt-caching). */
const MAX_CACHE_BREAKPOINTS = 4;

/** The blocks marked with `cache_control` over tools, system and messages (a tool_result's content blocks too), as Anthropic counts them against its limit. */
function cacheBreakpointCount(b: { system?: unknown; tools?: unknown; messages: unknown[] }): number {
  const blocks = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
  const content = b.messages.flatMap((m) => blocks((m as { content?: unknown }).content));
  const nested = content.flatMap((x) => ((x as { type?: unknown } | null)?.type === 'tool_result' ? blocks((x as { content?: unknown }).content) : []));
  const all = [...blocks(b.tools), ...blocks(b.system), ...content, ...nested];
  return all.filter((x) => typeof x === 'object' && x !== null && (x as { cache_control?: unknown }).cache_control != null).length;
}

/**
 * Anthropic's pairing rule, in its own words: an assistant turn's tool_use ids are answered by
 * tool_result blocks in the very next message (when there is one), and a tool_result answers a
 * tool_use of the message just before it.
 */
function toolPairingProblem(messages: { role?: unknown; content?: unknown }[]): string | undefined {
  const blocks = (m: { content?: unknown } | undefined) => (Array.isArray(m?.content) ? (m.content as { type?: unknown; id?: unknown; tool_use_id?: unknown }[]) : []);
  for (const [i, m] of messages.entries()) {
    const asked = new Set(m.role === 'assistant' ? blocks(m).flatMap((x) => (x.type === 'tool_use' ? [x.id] : [])) : []);
    const previous = messages[i - 1];
    const askedBefore = new Set(previous?.role === 'assistant' ? blocks(previous).flatMap((x) => (x.type === 'tool_use' ? [x.id] : [])) : []);
    for (const [j, x] of blocks(m).entries()) {
      if (x.type === 'tool_result' && !askedBefore.has(x.tool_use_id)) {
        return `messages.${i}.content.${j}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(x.tool_use_id)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
      }
    }
    const next = messages[i + 1];
    if (asked.size === 0 || !next) continue;
    const answered = new Set(blocks(next).flatMap((x) => (x.type === 'tool_result' ? [x.tool_use_id] : [])));
    const missing = [...asked].filter((id) => !answered.has(id));
    if (missing.length > 0) {
      return `messages.${i}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.map(String).join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
    }
  }
  return undefined;
}

/**
 * A prefill (a final assistant message) may not end in whitespace: the real API's words
 * ("final assistant content cannot end with trailing whitespace"), a rule its prefill docs state
 * (https://docs.claude.com/en/docs/build-with-claude/prompt-engineering/prefill-claudes-response).
 */
function prefillProblem(messages: { role?: unknown; content?: unknown }[]): string | undefined {
  const last = messages.at(-1);
  if (last?.role !== 'assistant') return undefined;
  const blocks = typeof last.content === 'string' ? [{ type: 'text', text: last.content }] : Array.isArray(last.content) ? (last.content as { type?: unknown; text?: unknown }[]) : [];
  const final = blocks.at(-1);
  if (final?.type === 'text' && /\s$/.test(String(final.text ?? ''))) return 'messages: final assistant content cannot end with trailing whitespace';
  return undefined;
}

/**
 * With thinking on, a final assistant message must start with its thinking (Anthropic's own words):
 * the assistant turn of a tool loop, and a prefill, which the extended thinking docs say cannot be
 * sent with thinking on ("You cannot pre-fill responses when thinking is enabled",
 * https://docs.claude.com/en/docs/build-with-claude/extended-thinking).
 */
function thinkingFirstProblem(b: { thinking?: { type?: unknown }; messages: { role?: unknown; content?: unknown }[] }): string | undefined {
  if (b.thinking?.type !== 'enabled') return undefined;
  const final = b.messages.at(-1);
  const finalFirst = Array.isArray(final?.content) ? (final.content as { type?: unknown }[])[0]?.type : 'text';
  if (final?.role === 'assistant' && finalFirst !== 'thinking' && finalFirst !== 'redacted_thinking') {
    return (
      `messages.${b.messages.length - 1}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${String(finalFirst)}\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block. ` +
      'We recommend you include thinking blocks from previous turns. To avoid this requirement, disable `thinking`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking'
    );
  }
  const at = b.messages.length - 2;
  const [turn, last] = [b.messages[at], b.messages[at + 1]];
  const blocks = (m: typeof turn) => (Array.isArray(m?.content) ? (m.content as { type?: unknown }[]) : []);
  if (turn?.role !== 'assistant' || last?.role !== 'user' || !blocks(turn).some((x) => x.type === 'tool_use') || !blocks(last).some((x) => x.type === 'tool_result')) return undefined;
  const first = blocks(turn)[0]?.type;
  if (first === 'thinking' || first === 'redacted_thinking') return undefined;
  return (
    `messages.${at}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${String(first)}\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block ` +
    '(preceeding the lastmost set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable `thinking`. ' +
    'Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking'
  );
}

const SSE = 'text/event-stream; charset=utf-8';

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
