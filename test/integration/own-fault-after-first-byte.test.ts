import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { GatewayLogger } from '../../lib/observe/logger';
import { OWN_FAULT_LINE } from '../../lib/pipeline/broke-off';
import { OpenAIChunkDecoder } from '../../lib/providers/openai/translate-stream';
import { OpenAIStreamMeter } from '../../lib/providers/openai/stream-meter';
import { UpstreamBody } from '../../lib/upstream/response-body';
import type { RawReply } from '../fakes/fake-server';
import { startHarness, type Harness } from './harness';

/**
 * A fault of the gateway's own after an answer's first byte (here a translator that throws a
 * TypeError on an upstream chunk) is no upstream break: the client gets the in-band error it
 * always got, the usage record says `internal_error`, and the gateway logs it at ERROR with the
 * message the stack's InternalFailures metric counts, so it pages.
 *
 * No sound input makes a translator throw (each reads any JSON without throwing: their own tests
 * sweep every value), so the fault is made here: a spy on the OpenAI chunk decoder throws the
 * engine's own TypeError on the chunk marked `FAULT`, as a bug of its would. The upstream's
 * answer is a sound one.
 */

type Logged = { level: string; message: string; fields: Record<string, unknown> };

let h: Harness;
let key: { id: string; key: string };
const logged: Logged[] = [];
const record = (level: string) => (message: string, fields: Record<string, unknown> = {}) => void logged.push({ level, message, fields });
// The recorder takes Powertools' (message, fields) calls only, which is all the gateway makes.
const logger = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') } as unknown as GatewayLogger;

const sse = (chunk: unknown) => `data: ${JSON.stringify(chunk)}\n\n`;
const CHUNK = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini' };

/** A streamed answer that starts ('Hello'), then has the chunk a faulty reader is made to fail on (' FAULT'), then ends. */
const answerWithMarkedChunk = (): RawReply => ({
  kind: 'raw',
  status: 200,
  headers: { 'content-type': 'text/event-stream' },
  delayMs: 20,
  body: [
    sse({ ...CHUNK, choices: [{ index: 0, delta: { role: 'assistant', content: 'Hello' }, finish_reason: null }] }),
    sse({ ...CHUNK, choices: [{ index: 0, delta: { content: ' FAULT' }, finish_reason: null }] }),
    sse({ ...CHUNK, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }),
    'data: [DONE]\n\n',
  ],
});

beforeAll(async () => {
  h = await startHarness({
    logger,
    config: ({ upstream }) => ({
      providers: [{ id: 'oai', type: 'openai', baseUrl: upstream, accounts: [{ id: 'a', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] }],
      models: [
        { name: 'claude-on-gpt', price: { input: 1, output: 2 }, targets: [{ provider: 'oai', model: 'gpt-4o-mini' }] },
        { name: 'gpt', price: { input: 1, output: 2 }, targets: [{ provider: 'oai', model: 'gpt-4o-mini' }] },
      ],
    }),
  });
  key = await h.createKey({ name: 'own-fault', models: ['*'] });
});
afterAll(async () => {
  jest.restoreAllMocks();
  await h.close();
});

/** Makes the OpenAI chunk decoder fail on a chunk marked `FAULT` as a bug of its would: a property read off null. */
function decoderFaultsOnMarkedChunk(): void {
  const decode = OpenAIChunkDecoder.prototype.data;
  jest.spyOn(OpenAIChunkDecoder.prototype, 'data').mockImplementation(function faultyData(this: OpenAIChunkDecoder, data: string) {
    if (data.includes('FAULT')) return (null as unknown as { events: ReturnType<typeof decode> }).events;
    return decode.call(this, data);
  });
}

describe('a translator that throws after the first byte', () => {
  let events: string[];
  let failure: unknown;

  beforeAll(async () => {
    // Prepare: a first chunk with text (the answer starts), then one the translator fails on.
    decoderFaultsOnMarkedChunk();
    h.upstream.reply(answerWithMarkedChunk());
    const claude = new Anthropic({ apiKey: key.key, baseURL: h.gw.url, maxRetries: 0, timeout: 20_000 });
    events = [];

    // Act
    try {
      const stream = await claude.messages.create({ model: 'claude-on-gpt', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'hi' }] });
      for await (const event of stream) events.push(event.type);
    } catch (err) {
      failure = err;
    }
    await h.gw.gateway.drain();
  });

  it('gives the client the start of its answer, then an in-band error', () => {
    expect(events.slice(0, 2)).toEqual(['message_start', 'content_block_start']);
    expect(failure).toBeInstanceOf(Anthropic.APIError);
    expect((failure as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'api_error', message: expect.stringContaining('gateway') } });
  });

  it('records the call as cut off by an internal error, not by the upstream', async () => {
    // Act
    const [usage] = await h.usage(key.id);

    // Assess
    expect(usage).toMatchObject({ model: 'claude-on-gpt', surface: 'anthropic', outcome: 'interrupted', errorCode: 'internal_error' });
  });

  it('logs it once at ERROR with the message InternalFailures counts, and not as an upstream break', () => {
    // Act
    const own = logged.filter((l) => l.message === OWN_FAULT_LINE);

    // Assess: the fault's own words (the TypeError's) are kept for the operator.
    expect(own).toEqual([{ level: 'error', message: OWN_FAULT_LINE, fields: expect.objectContaining({ provider: 'oai', while: 'stream interrupted', code: 'internal_error', error: expect.objectContaining({ name: 'TypeError', message: expect.stringMatching(/null/) }) }) }]);
    expect(logged.filter((l) => l.level === 'warn' && /interrupted/.test(l.message))).toEqual([]);
    // No other ERROR line (`streamed body failed`, `request failed`) counts it a second time.
    expect(logged.filter((l) => l.level === 'error').map((l) => l.message)).toEqual([OWN_FAULT_LINE]);
  });
});


describe('an OpenAI client whose passed-through stream ends in-band', () => {
  /** Streams a chat answer with the official client; what it got before it threw, and what it threw. */
  async function streamed(content: string): Promise<{ received: string[]; failure: unknown }> {
    const openai = new OpenAI({ apiKey: key.key, baseURL: `${h.gw.url}/v1`, maxRetries: 0, timeout: 20_000 });
    const received: string[] = [];
    try {
      const stream = await openai.chat.completions.create({ model: 'gpt', stream: true, messages: [{ role: 'user', content }] });
      for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '');
    } catch (err) {
      await h.gw.gateway.drain();
      return { received, failure: err };
    }
    throw new Error(`the stream ended without an error: ${received.join('')}`);
  }

  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('throws an APIError of type server_error (code internal_error) for a fault of the gateway\'s own, and logs it once', async () => {
    // Prepare: the meter that reads the passed-through chunks on the side fails on the marked one, as a bug of its would.
    const observe = OpenAIStreamMeter.prototype.observe;
    jest.spyOn(OpenAIStreamMeter.prototype, 'observe').mockImplementation(function faultyObserve(this: OpenAIStreamMeter, data: string) {
      if (data.includes('FAULT')) return (null as unknown as { kind: ReturnType<typeof observe> }).kind;
      return observe.call(this, data);
    });
    h.upstream.reply(answerWithMarkedChunk());
    const before = logged.length;

    // Act
    const { received, failure } = await streamed('fault');

    // Assess: the SDK raises the in-band event as an APIError carrying the event's type and code.
    expect(received[0]).toBe('Hello');
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect(failure).toMatchObject({ type: 'server_error', code: 'internal_error', message: expect.stringContaining('gateway failed') });
    expect(logged.slice(before).filter((l) => l.level === 'error').map((l) => l.message)).toEqual([OWN_FAULT_LINE]);
  });

  it('throws an APIError of type api_error (code upstream_interrupted) for an upstream that broke off, and logs no ERROR', async () => {
    // Prepare
    h.upstream.reply({ kind: 'drop', afterChunks: 2 });
    const before = logged.length;

    // Act
    const { received, failure } = await streamed('drop');

    // Assess
    expect(received.length).toBeGreaterThan(0);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect(failure).toMatchObject({ type: 'api_error', code: 'upstream_interrupted', message: expect.stringContaining('broke off') });
    expect(logged.slice(before).filter((l) => l.level === 'error')).toEqual([]);
    expect(logged.slice(before).filter((l) => l.level === 'warn').map((l) => l.message)).toContain('stream interrupted');
  });
});

describe('a fault of the gateway\'s own while it holds a whole answer', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('answers 500 server_error, logs it once as `request failed`, books it once as internal_error, and rests no account', async () => {
    // Prepare: the held answer's read fails once with the engine's own TypeError, as a bug in it would.
    const fault = (() => {
      try {
        return (null as unknown as { length: number }).length;
      } catch (err) {
        return err as TypeError;
      }
    })();
    jest.spyOn(UpstreamBody.prototype, 'bytes').mockRejectedValueOnce(fault);
    h.upstream.reply({ kind: 'text', text: 'Held.', usage: { prompt: 3, completion: 2 } });
    const held = await h.createKey({ name: 'held-fault', models: ['*'] });
    const openai = new OpenAI({ apiKey: held.key, baseURL: `${h.gw.url}/v1`, maxRetries: 0, timeout: 20_000 });
    const before = logged.length;

    // Act
    const failure = await openai.chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'hold' }] }).catch((err: unknown) => err);
    await h.gw.gateway.drain();
    const answer = await openai.chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'again' }] });
    await h.gw.gateway.drain();

    // Assess: the SDK's 500, one ERROR line, one record of it; the account (the only one) still answers.
    expect(failure).toBeInstanceOf(OpenAI.InternalServerError);
    expect(failure).toMatchObject({ status: 500, type: 'server_error', code: 'internal_error' });
    const errors = logged.slice(before).filter((l) => l.level === 'error');
    // The line's error is the one told to the client, the bug's own TypeError (and its stack) under its `cause`.
    expect(errors).toEqual([{ level: 'error', message: 'request failed', fields: expect.objectContaining({ error: expect.objectContaining({ name: 'GatewayError', code: 'internal_error', cause: fault }) }) }]);
    expect(logged.slice(before).filter((l) => l.level === 'warn' && l.message === 'upstream answer failed')).toEqual([]);
    const usage = await h.usage(held.id);
    expect(usage.filter((u) => u.errorCode === 'internal_error')).toEqual([expect.objectContaining({ status: 500, outcome: 'error' })]);
    expect(answer.choices[0]?.message.content).toBe('Held.');
  });
});
