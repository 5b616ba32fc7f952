import Anthropic from '@anthropic-ai/sdk';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import type { FakeBedrock, Reply } from '../fakes/bedrock';
import { anthropicStreamEvents, chunkFrame, type AnswerContent } from '../fakes/bedrock-wire';
import type { FakePool } from './fake-pool';
import { BEDROCK_CLAUDE, startBedrockPool } from './provider-pools';

/**
 * Claude's InvokeModelWithResponseStream read once a frame (the chunk's base64 read without
 * parsing its payload, the event parsed once for both the proof that it is whole and the meter),
 * with the official Anthropic client through the gateway: the answer and its metered usage as
 * before, and an event that is no JSON still ends the stream as a broken one, none of it relayed.
 */
let pool: FakePool<FakeBedrock, Reply>;
let anthropic: Anthropic;

beforeAll(async () => {
  pool = await startBedrockPool('bedrock-claude-stream');
  anthropic = new Anthropic({ apiKey: pool.key, baseURL: pool.gw.url, maxRetries: 0 });
});
afterAll(() => pool.close());
beforeEach(() => pool.reset());

const message = { model: BEDROCK_CLAUDE, max_tokens: 64, messages: [{ role: 'user' as const, content: 'Say hi.' }] };
const EVENT_STREAM = { 'content-type': 'application/vnd.amazon.eventstream' };
const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** A `chunk` frame whose payload is `payload` as it stands (JSON or not). */
const rawChunkFrame = (payload: string) =>
  codec.encode({
    headers: { ':event-type': { type: 'string', value: 'chunk' }, ':content-type': { type: 'string', value: 'application/json' }, ':message-type': { type: 'string', value: 'event' } },
    body: fromUtf8(payload),
  });
const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

const ANSWER: AnswerContent = { text: 'Žluťoučký kůň 🐴 "řekl"', chunks: ['Žluťoučký ', 'kůň 🐴 ', '"řekl"'], calls: [], stopReason: 'end_turn', usage: { input: 17, output: 9 } };

describe("Claude's stream on Bedrock (Anthropic client)", () => {
  it('relays the answer as sent, unicode and quotes included, and meters its usage', async () => {
    // Prepare: one frame a write, each with Bedrock's padding.
    const first = pool.firstCallGets({ kind: 'raw', status: 200, headers: EVENT_STREAM, body: anthropicStreamEvents(ANSWER, 'claude-sonnet-4-5').map(chunkFrame) });

    // Act
    const stream = anthropic.messages.stream(message);
    const final = await stream.finalMessage();
    const { response } = await stream.withResponse();

    // Assess
    expect(final.content).toEqual([{ type: 'text', text: ANSWER.text }]);
    expect(final.stop_reason).toBe('end_turn');
    expect(await pool.recordOf(response.headers.get('x-request-id'))).toMatchObject({ account: first.first(), status: 200, outcome: 'ok', inputTokens: 17, outputTokens: 9 });
  });

  it('relays events whose JSON spans lines whole to the client, and meters them', async () => {
    // Prepare: every event written across lines (JSON whitespace may hold line ends; SSE ends a data line at each).
    const body = anthropicStreamEvents(ANSWER, 'claude-sonnet-4-5').map((event) => rawChunkFrame(`{"bytes":"${base64(JSON.stringify(event, null, 2).replaceAll('\n', '\r\n'))}"}`));
    pool.firstCallGets({ kind: 'raw', status: 200, headers: EVENT_STREAM, body });

    // Act
    const stream = anthropic.messages.stream(message);
    const final = await stream.finalMessage();
    const { response } = await stream.withResponse();

    // Assess
    expect(final.content).toEqual([{ type: 'text', text: ANSWER.text }]);
    expect(final.stop_reason).toBe('end_turn');
    expect(await pool.recordOf(response.headers.get('x-request-id'))).toMatchObject({ status: 200, outcome: 'ok', inputTokens: 17, outputTokens: 9 });
  });

  it.each([
    ['LF', 'error\n'],
    ['CR', 'content_block_delta\r'],
    ['CRLF', 'message_delta\r\nevent: message_stop'],
  ])('skips a chunk whose type holds %s: the client reads the answer Claude sent, the record its usage', async (_what, type) => {
    // Prepare: after the first delta, a chunk of that type, with what would mislead the client (text, usage, an error naming the organisation).
    const events = anthropicStreamEvents(ANSWER, 'claude-sonnet-4-5');
    const stray = { type, index: 0, delta: { type: 'text_delta', text: ' injected' }, usage: { output_tokens: 999 }, error: { type: 'authentication_error', message: 'organization d3f27ff7-9afe-4ee2-9645-76ecfc73c2b7' } };
    pool.firstCallGets({ kind: 'raw', status: 200, headers: EVENT_STREAM, body: [...events.slice(0, 3), stray, ...events.slice(3)].map(chunkFrame) });

    // Act
    const { data: stream, response } = await anthropic.messages.create({ ...message, stream: true }).withResponse();
    const types: string[] = [];
    let text = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    }

    // Assess
    expect(types).toEqual(events.map((e) => e.type));
    expect(text).toBe(ANSWER.text);
    expect(await pool.recordOf(response.headers.get('x-request-id'))).toMatchObject({ status: 200, outcome: 'ok', inputTokens: 17, outputTokens: 9 });
  });

  it.each([
    ['an event cut after its type', `{"bytes":"${base64('{"type":"content_block_delta","index":0,"delta":{"type":"text_')}","p":"abcdef"}`],
    ['a payload cut in its padding', `{"bytes":"${base64('{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"lost"}}')}","p":`],
  ])('ends the stream as broken on %s, relaying none of it', async (_what, payload) => {
    // Prepare: the answer's opening, the broken chunk, then what would have followed.
    const events = anthropicStreamEvents(ANSWER, 'claude-sonnet-4-5');
    const body = [...events.slice(0, 3).map(chunkFrame), rawChunkFrame(payload), ...events.slice(3).map(chunkFrame)];
    pool.firstCallGets({ kind: 'raw', status: 200, headers: EVENT_STREAM, body });

    // Act
    const { data: stream, response } = await anthropic.messages.create({ ...message, stream: true }).withResponse();
    const types: string[] = [];
    let text = '';
    const err = await (async () => {
      for await (const event of stream) {
        types.push(event.type);
        if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
      }
    })().catch((e: unknown) => e);

    // Assess
    expect(types).toEqual(['message_start', 'content_block_start', 'content_block_delta']);
    expect(text).toBe(ANSWER.chunks[0]);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).message).toMatch(/The upstream provider \\+"aws\\+" sent a broken event stream/);
    expect(await pool.recordOf(response.headers.get('x-request-id'))).toMatchObject({ status: 200, outcome: expect.not.stringMatching(/^ok$/) });
  });
});
