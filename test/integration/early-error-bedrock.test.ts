import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { FakeBedrock, Reply } from '../fakes/bedrock';
import { anthropicStreamEvents, chunkFrame, converseStreamEvents, eventFrame, exceptionFrame } from '../fakes/bedrock-wire';
import { STREAM_HOLD_MS } from '../../lib/upstream/http';
import type { FakePool } from './fake-pool';
import { BEDROCK_CLAUDE, startBedrockPool } from './provider-pools';

/**
 * Bedrock's early in-band failure: HTTP 200 with `application/vnd.amazon.eventstream`, then an
 * exception frame (`throttlingException`, `serviceUnavailableException`…) before any of the
 * answer, after ConverseStream's `messageStart` or InvokeModelWithResponseStream's `chunk` carrying
 * Anthropic's `message_start`, through a pool of two Bedrock accounts (each its own fake) and no
 * first-answer deadline, with the official clients: a failed attempt like the HTTP error it
 * stands for. The other account answers in one clean stream, the first rests, and with no
 * account left the client gets a real HTTP error in its own dialect. An exception once the
 * answer has started is relayed in-band, as before.
 */
const CLAUDE = BEDROCK_CLAUDE;
const THROTTLED = 'Too many requests, please wait before trying again.';
const UNAVAILABLE = 'Bedrock is unable to process your request.';

let pool: FakePool<FakeBedrock, Reply>;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  pool = await startBedrockPool('early-error-bedrock');
  openai = new OpenAI({ apiKey: pool.key, baseURL: `${pool.gw.url}/v1`, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: pool.key, baseURL: pool.gw.url, maxRetries: 0 });
});
afterAll(() => pool.close());
beforeEach(() => pool.reset());

const chat = { model: CLAUDE, stream: true as const, messages: [{ role: 'user' as const, content: 'Say hi.' }] };
const message = { model: CLAUDE, max_tokens: 64, messages: [{ role: 'user' as const, content: 'Say hi.' }] };

/** The chat stream's text and its answer's request id. */
async function chatStream(client = openai): Promise<{ text: string; requestId: string | null }> {
  const { data: stream, response } = await client.chat.completions.create(chat).withResponse();
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
  return { text, requestId: response.headers.get('x-request-id') };
}

describe('a ConverseStream that fails in-band before its answer starts (OpenAI client, translated)', () => {
  it.each<[string, Reply]>([
    ['throttlingException after messageStart', { kind: 'exception', type: 'throttlingException', afterEvents: 1, message: THROTTLED }],
    ['serviceUnavailableException as the first frame', { kind: 'exception', type: 'serviceUnavailableException', afterEvents: 0, message: UNAVAILABLE }],
    ['internalServerException after messageStart', { kind: 'exception', type: 'internalServerException', afterEvents: 1 }],
    ['modelStreamErrorException after messageStart', { kind: 'exception', type: 'modelStreamErrorException', afterEvents: 1 }],
    ['the exception cut at awkward offsets', { kind: 'exception', type: 'throttlingException', afterEvents: 1, message: THROTTLED, chunking: 'awkward' }],
    ['a throttlingException qualified by its namespace', { kind: 'exception', type: 'throttlingException:http://internal.amazon.com/coral/com.amazon.bedrock/', afterEvents: 1, message: THROTTLED }],
  ])('%s: the other account answers in one clean stream, the first rests', async (_what, reply) => {
    // Prepare
    const first = pool.firstCallGets(reply);

    // Act
    const { text, requestId } = await chatStream();

    // Assess
    expect(text).toBe('Echo: Say hi.');
    expect(pool.fakes[first.first()].requests).toHaveLength(1);
    expect(pool.fakes[first.other()].requests).toHaveLength(1);
    expect(pool.health.isCooling(`aws/${first.first()}`)).toBe(true);
    expect(await pool.recordOf(requestId)).toMatchObject({ account: first.other(), attempts: 2, status: 200, outcome: 'ok' });
  });

  it('the rested account is not asked first by the next call', async () => {
    // Prepare
    const first = pool.firstCallGets({ kind: 'exception', type: 'throttlingException', afterEvents: 1, message: THROTTLED });
    await chatStream();

    // Act
    const { text, requestId } = await chatStream();

    // Assess: one request to the failed account, two to the other.
    expect(text).toBe('Echo: Say hi.');
    expect(pool.fakes[first.first()].requests).toHaveLength(1);
    expect(pool.fakes[first.other()].requests).toHaveLength(2);
    expect(await pool.recordOf(requestId)).toMatchObject({ account: first.other(), attempts: 1, status: 200 });
  });
});

describe('a ConverseStream whose every account fails before its answer', () => {
  it('gives the OpenAI client a real 429 in its own shape when both were throttled', async () => {
    // Prepare
    pool.fakes.one.reply({ kind: 'exception', type: 'throttlingException', afterEvents: 1, message: THROTTLED });
    pool.fakes.two.reply({ kind: 'exception', type: 'throttlingException', afterEvents: 1, message: THROTTLED });

    // Act
    const err = (await chatStream().catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;

    // Assess: an HTTP error, not a 200 with an error chunk; both accounts rest as a 429 rests them.
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.status).toBe(429);
    expect(err.error).toMatchObject({ message: THROTTLED, type: 'rate_limit_error', code: 'rate_limit_exceeded' });
    expect([pool.fakes.one.requests.length, pool.fakes.two.requests.length]).toEqual([1, 1]);
    expect([pool.health.isCooling('aws/one'), pool.health.isCooling('aws/two')]).toEqual([true, true]);
    expect(await pool.recordOf(err.headers?.get('x-request-id'))).toMatchObject({ attempts: 2, status: 429, outcome: 'upstream_error' });
  });

  it('gives the 429 when one account was throttled and the other unavailable: the rate limit outranks the overload', async () => {
    // Prepare
    pool.fakes.one.reply({ kind: 'exception', type: 'throttlingException', afterEvents: 1, message: THROTTLED });
    pool.fakes.two.reply({ kind: 'exception', type: 'serviceUnavailableException', afterEvents: 1, message: UNAVAILABLE });

    // Act
    const err = (await chatStream().catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;

    // Assess
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.error).toMatchObject({ message: THROTTLED });
    expect([pool.health.isCooling('aws/one'), pool.health.isCooling('aws/two')]).toEqual([true, true]);
  });

  it('gives a real 503 when both were unavailable, which the SDK retries', async () => {
    // Prepare: a client that retries once.
    pool.fakes.one.reply({ kind: 'exception', type: 'serviceUnavailableException', afterEvents: 1, message: UNAVAILABLE });
    pool.fakes.two.reply({ kind: 'exception', type: 'serviceUnavailableException', afterEvents: 1, message: UNAVAILABLE });
    const retrying = new OpenAI({ apiKey: pool.key, baseURL: `${pool.gw.url}/v1`, maxRetries: 1 });

    // Act
    const err = (await chatStream(retrying).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;

    // Assess: retried once by the SDK, so each account was asked twice.
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect(err.status).toBe(503);
    expect(err.error).toMatchObject({ message: UNAVAILABLE });
    expect([pool.fakes.one.requests.length, pool.fakes.two.requests.length]).toEqual([2, 2]);
  });
});

describe('a ConverseStream that fails after its answer started', () => {
  it('is relayed in-band: no failover, no rest', async () => {
    // Prepare: messageStart and the first text delta, then throttled.
    const first = pool.firstCallGets({ kind: 'exception', type: 'throttlingException', afterEvents: 2, message: THROTTLED });

    // Act
    const { data: stream, response } = await openai.chat.completions.create(chat).withResponse();
    let text = '';
    const err = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().catch((e: unknown) => e);

    // Assess
    expect(text).toBe('Echo: ');
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).message).toContain(THROTTLED);
    expect(pool.fakes[first.other()].requests).toHaveLength(0);
    expect(pool.health.isCooling(`aws/${first.first()}`)).toBe(false);
    expect(await pool.recordOf(response.headers.get('x-request-id'))).toMatchObject({ account: first.first(), attempts: 1, status: 200 });
  });
});

describe('an InvokeModelWithResponseStream that fails in-band before its answer (Anthropic client, Claude on Bedrock)', () => {
  it("fails over past Anthropic's message_start in a chunk: one clean stream from the other account", async () => {
    // Prepare
    const first = pool.firstCallGets({ kind: 'exception', type: 'throttlingException', afterEvents: 1, message: THROTTLED });

    // Act
    const stream = anthropic.messages.stream(message);
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    const final = await stream.finalMessage();
    const { response } = await stream.withResponse();

    // Assess
    expect(pool.fakes[first.first()].requests[0]?.operation).toBe('invoke-with-response-stream');
    expect(final.content).toMatchObject([{ type: 'text', text: 'Echo: Say hi.' }]);
    expect(types.filter((t) => t === 'message_start')).toHaveLength(1);
    expect(types.at(-1)).toBe('message_stop');
    expect(pool.health.isCooling(`aws/${first.first()}`)).toBe(true);
    expect(await pool.recordOf(response.headers.get('x-request-id'))).toMatchObject({ account: first.other(), attempts: 2, status: 200, outcome: 'ok' });
  });

  it('with no account left: a real 503 overloaded_error in Anthropic\'s shape', async () => {
    // Prepare
    pool.fakes.one.reply({ kind: 'exception', type: 'serviceUnavailableException', afterEvents: 1, message: UNAVAILABLE });
    pool.fakes.two.reply({ kind: 'exception', type: 'serviceUnavailableException', afterEvents: 1, message: UNAVAILABLE });

    // Act
    const err = (await anthropic.messages.create({ ...message, stream: true }).catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;

    // Assess
    expect(err).toBeInstanceOf(Anthropic.InternalServerError);
    expect(err.status).toBe(503);
    expect(err.error).toEqual({ type: 'error', error: { type: 'overloaded_error', message: UNAVAILABLE } });
    expect(await pool.recordOf(err.headers?.get('x-request-id'))).toMatchObject({ attempts: 2, status: 503, outcome: 'upstream_error' });
  });

  it('an exception after content_block_start is relayed in-band: no failover, no rest', async () => {
    // Prepare: message_start and content_block_start in chunks, then throttled.
    const first = pool.firstCallGets({ kind: 'exception', type: 'throttlingException', afterEvents: 2, message: THROTTLED });

    // Act
    const { data: stream, response } = await anthropic.messages.create({ ...message, stream: true }).withResponse();
    const types: string[] = [];
    const err = await (async () => {
      for await (const event of stream) types.push(event.type);
    })().catch((e: unknown) => e);

    // Assess
    expect(types).toEqual(['message_start', 'content_block_start']);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(pool.fakes[first.other()].requests).toHaveLength(0);
    expect(pool.health.isCooling(`aws/${first.first()}`)).toBe(false);
    expect(await pool.recordOf(response.headers.get('x-request-id'))).toMatchObject({ account: first.first(), attempts: 1, status: 200 });
  });
});

describe('a frame the relay skips, then an exception before the answer', () => {
  const EVENT_STREAM = { 'content-type': 'application/vnd.amazon.eventstream' };
  const messageStart = () => chunkFrame(anthropicStreamEvents({ chunks: [], calls: [], stopReason: 'end_turn', usage: { input: 5, output: 1 } }, 'claude')[0]!);

  it.each<[string, Uint8Array[]]>([
    ["a chunk whose type cannot be an event name, then a throttlingException", [messageStart(), chunkFrame({ type: 'content block' }), exceptionFrame('throttlingException', THROTTLED)]],
    ['a chunk whose type holds a line break, then an internalServerException', [messageStart(), chunkFrame({ type: 'ping\nevent: x' }), exceptionFrame('internalServerException', 'Internal failure.')]],
    ['a chunk without a type, then a throttlingException', [messageStart(), chunkFrame({ kind: 'future' }), exceptionFrame('throttlingException', THROTTLED)]],
    ['an event type Claude’s relay does not read, then a throttlingException', [messageStart(), eventFrame('futureEvent', { note: 'x' }), exceptionFrame('throttlingException', THROTTLED)]],
  ])('Claude on Bedrock, %s: the other account answers (nothing had reached the client)', async (_what, frames) => {
    // Prepare
    const first = pool.firstCallGets({ kind: 'raw', status: 200, headers: EVENT_STREAM, body: frames });

    // Act
    const stream = anthropic.messages.stream(message);
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    const final = await stream.finalMessage();
    const { response } = await stream.withResponse();

    // Assess
    expect(final.content).toMatchObject([{ type: 'text', text: 'Echo: Say hi.' }]);
    expect(types.filter((t) => t === 'message_start')).toHaveLength(1);
    expect(pool.fakes[first.other()].requests).toHaveLength(1);
    expect(pool.health.isCooling(`aws/${first.first()}`)).toBe(true);
    expect(await pool.recordOf(response.headers.get('x-request-id'))).toMatchObject({ account: first.other(), attempts: 2, status: 200, outcome: 'ok' });
  });

  it("Claude on Bedrock, Claude's own overloaded_error in a chunk after message_start: the other account answers", async () => {
    // Prepare
    const overloaded = chunkFrame({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    const first = pool.firstCallGets({ kind: 'raw', status: 200, headers: EVENT_STREAM, body: [messageStart(), overloaded] });

    // Act
    const stream = anthropic.messages.stream(message);
    for await (const _ of stream);
    const final = await stream.finalMessage();
    const { response } = await stream.withResponse();

    // Assess
    expect(final.content).toMatchObject([{ type: 'text', text: 'Echo: Say hi.' }]);
    expect(pool.health.isCooling(`aws/${first.first()}`)).toBe(true);
    expect(await pool.recordOf(response.headers.get('x-request-id'))).toMatchObject({ account: first.other(), attempts: 2, status: 200, outcome: 'ok' });
  });

  it.each<[string, string]>([
    ['its type last', '{"error":{"type":"overloaded_error","message":"Overloaded"},"type":"error"}'],
    ['written with spaces', '{ "type": "error", "error": { "type": "overloaded_error", "message": "Overloaded" } }'],
    ['pretty-printed, its type last', '{\n  "error": {\n    "message": "Overloaded",\n    "type": "overloaded_error"\n  },\n  "type": "error"\n}'],
  ])("Claude on Bedrock, Claude's own overloaded_error in a chunk after message_start, %s: the other account answers", async (_how, json) => {
    // Prepare: the event's JSON as written, not re-serialised.
    const overloaded = eventFrame('chunk', { bytes: Buffer.from(json).toString('base64') });
    const first = pool.firstCallGets({ kind: 'raw', status: 200, headers: EVENT_STREAM, body: [messageStart(), overloaded] });

    // Act
    const stream = anthropic.messages.stream(message);
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    const final = await stream.finalMessage();
    const { response } = await stream.withResponse();

    // Assess: one clean stream, nothing of the first account's error relayed.
    expect(final.content).toMatchObject([{ type: 'text', text: 'Echo: Say hi.' }]);
    expect(types.filter((t) => t === 'message_start')).toHaveLength(1);
    expect(pool.fakes[first.other()].requests).toHaveLength(1);
    expect(pool.health.isCooling(`aws/${first.first()}`)).toBe(true);
    expect(await pool.recordOf(response.headers.get('x-request-id'))).toMatchObject({ account: first.other(), attempts: 2, status: 200, outcome: 'ok' });
  });

  it('ConverseStream, an event type the translation does not know, then a throttlingException: the other account answers', async () => {
    // Prepare
    const frames = [eventFrame('messageStart', { role: 'assistant' }), eventFrame('futureEvent', { note: 'x' }), exceptionFrame('throttlingException', THROTTLED)];
    const first = pool.firstCallGets({ kind: 'raw', status: 200, headers: EVENT_STREAM, body: frames });

    // Act
    const { text, requestId } = await chatStream();

    // Assess
    expect(text).toBe('Echo: Say hi.');
    expect(pool.fakes[first.other()].requests).toHaveLength(1);
    expect(pool.health.isCooling(`aws/${first.first()}`)).toBe(true);
    expect(await pool.recordOf(requestId)).toMatchObject({ account: first.other(), attempts: 2, status: 200, outcome: 'ok' });
  });
});

describe('an early client error in-band (validationException before the answer)', () => {
  it('is the HTTP 400 it stands for, on the first account only: no failover, no rest (the same body fails everywhere)', async () => {
    // Prepare
    const first = pool.firstCallGets({ kind: 'exception', type: 'validationException', afterEvents: 1, message: 'messages: text content blocks must be non-empty' });

    // Act
    const err = (await chatStream().catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;

    // Assess
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.error).toMatchObject({ message: 'messages: text content blocks must be non-empty', type: 'invalid_request_error' });
    expect(pool.fakes[first.first()].requests).toHaveLength(1);
    expect(pool.fakes[first.other()].requests).toHaveLength(0);
    expect(pool.health.isCooling(`aws/${first.first()}`)).toBe(false);
    expect(await pool.recordOf(err.headers?.get('x-request-id'))).toMatchObject({ account: first.first(), attempts: 1, status: 400 });
  });
});

describe('a ConverseStream that opens with messageStart, then thinks past the hold bound (a reasoning model)', () => {
  it('is relayed once the bound has passed, messageStart first, nothing lost, in order, from the one account', async () => {
    // Prepare: messageStart at once, the answer's frames only after the bound.
    const pieces = [
      eventFrame('messageStart', { role: 'assistant' }),
      Buffer.concat([
        eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Slow ' } }),
        eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'thought.' } }),
        eventFrame('contentBlockStop', { contentBlockIndex: 0 }),
        eventFrame('messageStop', { stopReason: 'end_turn' }),
        eventFrame('metadata', { usage: { inputTokens: 3, outputTokens: 2, totalTokens: 5 }, metrics: { latencyMs: 1 } }),
      ]),
    ];
    const delayMs = STREAM_HOLD_MS / 2 + 500;
    const slow: Reply = { kind: 'raw', status: 200, headers: { 'content-type': 'application/vnd.amazon.eventstream' }, body: pieces, delayMs };
    const first = pool.firstCallGets(slow);
    const startedAt = Date.now();

    // Act
    const { data: stream, response } = await openai.chat.completions.create(chat).withResponse();
    const headersAfter = Date.now() - startedAt;
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    // Assess: the headers come at the bound, before the answer's frames (sent at 2 × delayMs);
    // the role (from messageStart) comes first, then the text whole, then the stop.
    expect(headersAfter).toBeGreaterThanOrEqual(STREAM_HOLD_MS - 50);
    expect(headersAfter).toBeLessThan(2 * delayMs - 100);
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Slow thought.');
    expect(chunks.map((c) => c.choices[0]?.finish_reason).filter(Boolean)).toEqual(['stop']);
    expect(pool.fakes[first.other()].requests).toHaveLength(0);
    expect(await pool.recordOf(response.headers.get('x-request-id'))).toMatchObject({ account: first.first(), attempts: 1, status: 200, outcome: 'ok' });
  }, 15_000);
});

describe('frames the relays skip, with no exception after them', () => {
  const EVENT_STREAM = { 'content-type': 'application/vnd.amazon.eventstream' };
  const answer = { text: 'Echo: Say hi.', chunks: ['Echo: ', 'Say hi.'], calls: [], stopReason: 'end_turn' as const, usage: { input: 5, output: 4 } };
  /** Claude's whole answer in chunks: message_start first, the rest after. */
  const claudeEvents = () => anthropicStreamEvents(answer, 'claude').map(chunkFrame);
  const converseEvents = () => converseStreamEvents(answer).map((e) => eventFrame(e.type, e.payload));
  const skippedClaude = () => [chunkFrame({ type: 'content block' }), chunkFrame({ kind: 'future' }), eventFrame('futureEvent', { note: 'x' })];

  /** The Anthropic client's stream read to its end: the text, the error it ended with (if any), the call's books. */
  async function claudeStream(): Promise<{ text: string; err: unknown; record: Awaited<ReturnType<typeof pool.recordOf>>; ms: number }> {
    const startedAt = Date.now();
    const { data: stream, response } = await anthropic.messages.create({ ...message, stream: true }).withResponse();
    let text = '';
    const err = await (async () => {
      for await (const event of stream) if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    })().catch((e: unknown) => e);
    return { text, err, record: await pool.recordOf(response.headers.get('x-request-id')), ms: Date.now() - startedAt };
  }

  it('Claude on Bedrock, skipped frames between message_start and the answer: the answer whole, from the one account', async () => {
    // Prepare
    const [start, ...rest] = claudeEvents();
    const first = pool.firstCallGets({ kind: 'raw', status: 200, headers: EVENT_STREAM, body: [start!, ...skippedClaude(), ...rest] });

    // Act
    const { text, err, record } = await claudeStream();

    // Assess
    expect(err).toBeUndefined();
    expect(text).toBe('Echo: Say hi.');
    expect(pool.fakes[first.other()].requests).toHaveLength(0);
    expect(record).toMatchObject({ account: first.first(), attempts: 1, status: 200, outcome: 'ok' });
  });

  it('Claude on Bedrock, message_start and skipped frames, then the end: a cut, booked as message_start alone then the end is, at once', async () => {
    // Prepare: the stream without skipped frames first, for what it is booked as.
    const [start] = claudeEvents();
    pool.firstCallGets({ kind: 'raw', status: 200, headers: EVENT_STREAM, body: [start!] });
    const alone = await claudeStream();
    pool.reset();
    const first = pool.firstCallGets({ kind: 'raw', status: 200, headers: EVENT_STREAM, body: [start!, ...skippedClaude()] });

    // Act
    const skipped = await claudeStream();

    // Assess
    expect(skipped.err).toBeInstanceOf(Anthropic.APIError);
    expect((skipped.err as InstanceType<typeof Anthropic.APIError>).message).toBe((alone.err as InstanceType<typeof Anthropic.APIError>).message);
    expect((skipped.err as InstanceType<typeof Anthropic.APIError>).message).toContain('ended the stream before it was complete');
    expect(skipped.text).toBe('');
    const books = ({ status, outcome, errorCode, attempts }: typeof skipped.record) => ({ status, outcome, errorCode, attempts });
    expect(books(skipped.record)).toEqual(books(alone.record));
    expect(skipped.record).toMatchObject({ account: first.first(), outcome: 'interrupted', errorCode: 'upstream_interrupted' });
    expect(skipped.ms).toBeLessThan(STREAM_HOLD_MS);
  });

  it('ConverseStream, messageStart and an event type it does not know, then the end: a cut, booked as messageStart alone then the end is, at once', async () => {
    // Prepare
    const startedAt = Date.now();
    pool.firstCallGets({ kind: 'raw', status: 200, headers: EVENT_STREAM, body: [eventFrame('messageStart', { role: 'assistant' })] });
    const alone = await chatStream().catch((e: unknown) => e);
    pool.reset();
    pool.firstCallGets({ kind: 'raw', status: 200, headers: EVENT_STREAM, body: [eventFrame('messageStart', { role: 'assistant' }), eventFrame('futureEvent', { note: 'x' })] });

    // Act
    const skipped = await chatStream().catch((e: unknown) => e);

    // Assess
    expect(skipped).toBeInstanceOf(OpenAI.APIError);
    expect((skipped as InstanceType<typeof OpenAI.APIError>).code).toBe((alone as InstanceType<typeof OpenAI.APIError>).code);
    expect((skipped as InstanceType<typeof OpenAI.APIError>).code).toBe('upstream_interrupted');
    expect(Date.now() - startedAt).toBeLessThan(STREAM_HOLD_MS);
  });

  it('ConverseStream, skipped frames between messageStart and the answer: the answer whole, from the one account', async () => {
    // Prepare
    const [start, ...rest] = converseEvents();
    const first = pool.firstCallGets({ kind: 'raw', status: 200, headers: EVENT_STREAM, body: [start!, eventFrame('futureEvent', { note: 'x' }), ...rest] });

    // Act
    const { text, requestId } = await chatStream();

    // Assess
    expect(text).toBe('Echo: Say hi.');
    expect(await pool.recordOf(requestId)).toMatchObject({ account: first.first(), attempts: 1, status: 200, outcome: 'ok' });
  });

  it('Claude on Bedrock, message_start and a skipped frame, then silence past the hold bound: relayed at the bound, nothing lost, no failover', async () => {
    // Prepare: the answer only after the bound.
    const [start, ...rest] = claudeEvents();
    const delayMs = STREAM_HOLD_MS / 2 + 500;
    const first = pool.firstCallGets({ kind: 'raw', status: 200, headers: EVENT_STREAM, body: [Buffer.concat([start!, chunkFrame({ type: 'content block' })]), Buffer.concat(rest)], delayMs });

    // Act
    const { text, err, record } = await claudeStream();

    // Assess
    expect(err).toBeUndefined();
    expect(text).toBe('Echo: Say hi.');
    expect(record).toMatchObject({ account: first.first(), attempts: 1, status: 200, outcome: 'ok' });
  }, 15_000);

  it("Claude on Bedrock, a text delta right after message_start that quotes an error event: relayed as text, no failover", async () => {
    // Prepare
    const quoted = '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}';
    const events = anthropicStreamEvents({ ...answer, text: quoted, chunks: [quoted] }, 'claude');
    const first = pool.firstCallGets({ kind: 'raw', status: 200, headers: EVENT_STREAM, body: events.filter((e) => e.type !== 'content_block_start').map(chunkFrame) });

    // Act
    const { text, err, record } = await claudeStream();

    // Assess
    expect(err).toBeUndefined();
    expect(text).toBe(quoted);
    expect(pool.fakes[first.other()].requests).toHaveLength(0);
    expect(pool.health.isCooling(`aws/${first.first()}`)).toBe(false);
    expect(record).toMatchObject({ account: first.first(), attempts: 1, status: 200, outcome: 'ok' });
  });
});
