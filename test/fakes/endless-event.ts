/**
 * A misbehaving upstream of every dialect at once: it starts an answer as the provider would
 * (a few real events of its wire format, so the gateway has something to count), then opens one
 * more event and never ends it, writing `totalBytes` of it in small pieces, as a buggy or hostile
 * `openai-compatible` server (a vLLM, a proxy) might. Bedrock's streams get a frame whose prelude
 * announces `frameBytes` and then only a trickle of it. A whole (not streamed) answer is one JSON
 * body that never closes.
 *
 * The dialect is the request's path, as each provider's is: `…/chat/completions`, `…/messages`,
 * `…/responses`, Gemini's `:streamGenerateContent` (`alt=sse` or the JSON array) and
 * `:generateContent`, Bedrock's `/converse-stream`, `/invoke-with-response-stream`, `/converse`
 * and `/invoke`. Each answer's `written` says how much of the endless event left the fake before
 * the gateway hung up (the kernel's socket buffers included), so a test can tell that the gateway
 * stopped reading near its bound rather than after all of it.
 *
 * @example
 * const upstream = await startEndlessEventUpstream({ totalBytes: 100 * 1024 * 1024 });
 * // …the gateway streams from upstream.url…
 * expect(upstream.answers[0]!.written).toBeLessThan(16 * 1024 * 1024);
 */
import type { ServerResponse } from 'node:http';
import { FakeServer, listening, type Received } from './fake-server';
import { sleep, writePiece } from './http';
import { chunkFrame, eventFrame } from './bedrock-wire';

export interface EndlessEventOptions {
  /** How much of the endless event to write at most (default 100 MiB). */
  totalBytes?: number;
  /** What a Bedrock frame's prelude announces (default 4 MiB: under the event-stream format's own 16 MiB cap). */
  frameBytes?: number;
}

/** One answer as it went: its dialect, how much of the endless part was written, whether the peer hung up first. */
export interface EndlessAnswer {
  dialect: Dialect;
  written: number;
  hungUp: boolean;
}

type Dialect = 'openai' | 'anthropic' | 'responses' | 'gemini-sse' | 'gemini-array' | 'bedrock-converse' | 'bedrock-invoke' | 'whole';

const PIECE = 16 * 1024;
const HELLO = 'Hello there, this is the start of a long answer. ';

type Reply = { kind: 'endless' };

export class FakeEndlessEvent extends FakeServer<Reply> {
  readonly answers: EndlessAnswer[] = [];
  readonly #totalBytes: number;
  readonly #frameBytes: number;

  constructor(options: EndlessEventOptions = {}) {
    super({ defaultReply: () => ({ kind: 'endless' }) });
    this.#totalBytes = options.totalBytes ?? 100 * 1024 * 1024;
    this.#frameBytes = options.frameBytes ?? 4 * 1024 * 1024;
  }

  override reset(): void {
    super.reset();
    this.answers.length = 0;
  }

  protected override async route({ res, record }: Received): Promise<void> {
    const streamed = (record.body as { stream?: unknown } | undefined)?.stream === true;
    const dialect = dialectOf(record.path, record.search, streamed);
    const answer: EndlessAnswer = { dialect, written: 0, hungUp: false };
    this.answers.push(answer);
    res.on('close', () => (answer.hungUp ||= !res.writableFinished));
    if (dialect === 'bedrock-converse' || dialect === 'bedrock-invoke') return this.#bedrock(res, dialect, answer);
    const { contentType, opening, endless } = START[dialect];
    res.writeHead(200, { 'content-type': contentType });
    res.flushHeaders();
    await writePiece(res, opening);
    await writePiece(res, endless);
    const filler = Buffer.alloc(PIECE, 'a');
    while (answer.written < this.#totalBytes && !gone(res)) {
      await writeOne(res, filler);
      answer.written += PIECE;
    }
    if (!gone(res)) res.end();
  }

  /** Real frames, then a prelude announcing `frameBytes` and a trickle of its bytes: a reader that trusts the length waits for all of them. */
  async #bedrock(res: ServerResponse, dialect: 'bedrock-converse' | 'bedrock-invoke', answer: EndlessAnswer): Promise<void> {
    res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream' });
    res.flushHeaders();
    const frames =
      dialect === 'bedrock-converse'
        ? [eventFrame('messageStart', { role: 'assistant' }), eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: HELLO } })]
        : [
            chunkFrame({ type: 'message_start', message: { id: 'msg_endless', type: 'message', role: 'assistant', model: 'claude', content: [], stop_reason: null, usage: { input_tokens: 12, output_tokens: 1 } } }),
            chunkFrame({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
            chunkFrame({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: HELLO } }),
          ];
    for (const frame of frames) await writePiece(res, frame);
    const prelude = Buffer.alloc(12);
    prelude.writeUInt32BE(this.#frameBytes, 0);
    prelude.writeUInt32BE(0, 4);
    await writePiece(res, prelude);
    // A trickle, so that the gateway's refusal (at the prelude) is seen long before the frame could have been read.
    const drop = Buffer.alloc(1024, 'a');
    for (let i = 0; i < 200 && answer.written < this.#frameBytes && !gone(res); i++) {
      await writePiece(res, drop);
      answer.written += drop.length;
      await sleep(10);
    }
    if (!gone(res)) res.end();
  }

  protected override answerFailure(res: ServerResponse, error: unknown): void {
    res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: String(error) } }));
  }
}

export async function startEndlessEventUpstream(options: EndlessEventOptions = {}): Promise<FakeEndlessEvent> {
  return listening(new FakeEndlessEvent(options));
}

/** `writePiece` without its pair of listeners a write: thousands of writes would pile up `close` listeners. */
function writeOne(res: ServerResponse, piece: Uint8Array): Promise<void> | void {
  if (res.write(piece)) return;
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

const gone = (res: ServerResponse) => res.destroyed || res.socket === null || res.socket.destroyed;

function dialectOf(route: string, query: string, streamed: boolean): Dialect {
  if (route.endsWith('/converse-stream')) return 'bedrock-converse';
  if (route.endsWith('/invoke-with-response-stream')) return 'bedrock-invoke';
  if (route.includes(':streamGenerateContent')) return query.includes('alt=sse') ? 'gemini-sse' : 'gemini-array';
  if (!streamed) return 'whole';
  if (route.endsWith('/messages')) return 'anthropic';
  if (route.endsWith('/responses')) return 'responses';
  return 'openai';
}

const openAIChunk = (delta: Record<string, unknown>) => JSON.stringify({ id: 'chatcmpl-endless', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'endless', choices: [{ index: 0, delta, finish_reason: null }] });
const geminiEvent = (text: string, space?: number) => JSON.stringify({ candidates: [{ content: { parts: [{ text }], role: 'model' }, index: 0 }], usageMetadata: { promptTokenCount: 12, candidatesTokenCount: 10, totalTokenCount: 22 }, modelVersion: 'gemini-2.5-flash' }, null, space);

/** Each dialect's opening (whole events) and the start of the event that never ends (an open JSON string). */
const START: Record<Exclude<Dialect, 'bedrock-converse' | 'bedrock-invoke'>, { contentType: string; opening: string; endless: string }> = {
  openai: {
    contentType: 'text/event-stream',
    opening: `data: ${openAIChunk({ role: 'assistant', content: '' })}\n\ndata: ${openAIChunk({ content: HELLO })}\n\n`,
    endless: 'data: {"id":"chatcmpl-endless","object":"chat.completion.chunk","created":1700000000,"model":"endless","choices":[{"index":0,"delta":{"content":"',
  },
  anthropic: {
    contentType: 'text/event-stream',
    opening: [
      `event: message_start\ndata: ${JSON.stringify({ type: 'message_start', message: { id: 'msg_endless', type: 'message', role: 'assistant', model: 'claude', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 12, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } } })}\n\n`,
      `event: content_block_start\ndata: ${JSON.stringify({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } })}\n\n`,
      `event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: HELLO } })}\n\n`,
    ].join(''),
    endless: 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"',
  },
  responses: {
    contentType: 'text/event-stream',
    opening: [
      `event: response.created\ndata: ${JSON.stringify({ type: 'response.created', sequence_number: 0, response: { id: 'resp_endless', object: 'response', status: 'in_progress', output: [] } })}\n\n`,
      `event: response.output_text.delta\ndata: ${JSON.stringify({ type: 'response.output_text.delta', sequence_number: 1, item_id: 'msg_1', output_index: 0, content_index: 0, delta: HELLO })}\n\n`,
    ].join(''),
    endless: 'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":2,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"',
  },
  'gemini-sse': {
    contentType: 'text/event-stream',
    opening: `data: ${geminiEvent(HELLO)}\r\n\r\n`,
    endless: 'data: {"candidates":[{"content":{"parts":[{"text":"',
  },
  'gemini-array': {
    contentType: 'application/json; charset=UTF-8',
    // Pretty-printed, as Google writes it.
    opening: `[${geminiEvent(HELLO, 2)}`,
    endless: '\n,\r\n{\n  "candidates": [\n    {\n      "content": {\n        "parts": [\n          {\n            "text": "',
  },
  whole: {
    contentType: 'application/json',
    opening: '{"id":"endless","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant",',
    endless: '"content":"',
  },
};
