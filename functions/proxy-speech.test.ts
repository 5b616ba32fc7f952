import { Writable } from 'node:stream';
import { mintKey } from '../lib/access/api-key';
import { parseConfig } from '../lib/config/load';
import { LocalCredentials } from '../lib/credentials/local';
import { createGateway } from '../lib/gateway';
import { MemoryKeyStore } from '../lib/store/keys';
import { MemoryRateWindows } from '../lib/store/rate-windows';
import { MemorySpendStore } from '../lib/store/spend';
import { MemoryUsageSink } from '../lib/usage/record';
import { AccountHealth } from '../lib/routing/health';
import { defaultReply, startFakeOpenAI, type FakeOpenAI, type Reply } from '../test/fakes/openai';
import { TransferAborted } from '../lib/http/transfer-aborted';
import { fakeSpeech, speechPieces, SPEECH_PIECES } from '../test/fakes/openai-media-wire';
import { BreakingStream, functionUrlEvent as event, lambdaContext as context, type StreamHandler } from '../test/lambda';
import type { RecordedPrelude } from '../test/setup/awslambda';
import { createProxyHandler } from './proxy';

/** What Lambda's response stream would have sent of a binary answer: the prelude, then each write's bytes and when it came. */
class TimedBinaryStream extends Writable {
  prelude?: RecordedPrelude;
  readonly writes: { at: number; bytes: Buffer; preludeBefore: boolean }[] = [];
  constructor(readonly start: number) {
    super();
  }
  override _write(chunk: Buffer, _enc: string, done: () => void) {
    this.writes.push({ at: performance.now() - this.start, bytes: Buffer.from(chunk), preludeBefore: this.prelude !== undefined });
    done();
  }
}

const GAP_MS = 100;
const INPUT = 'Speech through the function URL, piece by piece as it is synthesised.';

describe('the Lambda proxy handler, speech', () => {
  let paced: FakeOpenAI;
  let key: string;
  let usage: MemoryUsageSink;
  let handler: StreamHandler;

  beforeAll(async () => {
    paced = await startFakeOpenAI({ apiKey: 'sk-up', chunkDelayMs: GAP_MS });
    const keys = new MemoryKeyStore();
    const minted = mintKey({ name: 't', models: ['*'] }, new Date());
    key = minted.key;
    await keys.put(minted.record);
    usage = new MemoryUsageSink();
    const config = parseConfig({
      providers: [{ id: 'paced', type: 'openai', baseUrl: paced.url, accounts: [{ id: 'a', apiKey: { env: 'UP_KEY' } }] }],
      models: [{ name: 'tts', targets: [{ provider: 'paced', model: 'gpt-4o-mini-tts' }] }],
    });
    const gateway = createGateway({ config, keys, rates: new MemoryRateWindows(), spend: new MemorySpendStore(), usage, credentials: new LocalCredentials({ UP_KEY: 'sk-up' }) });
    handler = createProxyHandler(() => gateway) as unknown as StreamHandler;
  });
  afterAll(async () => {
    await paced.close();
  });
  beforeEach(() => paced.reset());

  it('streams the audio back as it arrives: the prelude first, then each piece as its own write, the call booked ok', async () => {
    // Prepare
    const stream = new TimedBinaryStream(performance.now());

    // Act
    await handler(event({ model: 'tts', voice: 'alloy', input: INPUT, response_format: 'wav' }, { authorization: `Bearer ${key}` }, '/v1/audio/speech'), stream, context(60_000));

    // Assess
    expect(stream.prelude).toMatchObject({ statusCode: 200, headers: { 'content-type': 'audio/wav' } });
    expect(stream.writes.every((w) => w.preludeBefore)).toBe(true);
    expect(Buffer.concat(stream.writes.map((w) => w.bytes))).toEqual(fakeSpeech(INPUT, 'wav'));
    expect(stream.writes.length).toBeGreaterThanOrEqual(SPEECH_PIECES - 1);
    // Written as they came, GAP_MS apart, not all at once at the end.
    expect(stream.writes.at(-1)!.at - stream.writes[0]!.at).toBeGreaterThanOrEqual((SPEECH_PIECES - 2) * GAP_MS);
    expect(usage.records).toEqual([expect.objectContaining({ surface: 'openai-audio', stream: false, outcome: 'ok', status: 200, ttftMs: expect.any(Number) })]);
    expect(stream.errored).toBeNull();
    expect(stream.writableFinished).toBe(true);
  });

  it('ends the response stream in error, not cleanly, when the upstream breaks off mid-audio, the record written first', async () => {
    // Prepare
    paced.reply({ kind: 'drop', afterChunks: 2 });
    usage.records.length = 0;
    const stream = new TimedBinaryStream(performance.now());

    // Act
    const failure = await handler(event({ model: 'tts', voice: 'alloy', input: INPUT, response_format: 'wav' }, { authorization: `Bearer ${key}` }, '/v1/audio/speech'), stream, context(60_000)).catch((e: unknown) => e);
    // Taken as the handler settles: once it has, the runtime may freeze the instance.
    const recordsAtRejection = [...usage.records];

    // Assess: the handler rejects and the stream is destroyed with the error (never finished): the
    // runtime reports a function error, and the function URL does not end the client's body.
    expect(failure).toBeInstanceOf(TransferAborted);
    expect(stream.destroyed).toBe(true);
    expect(stream.errored).toBe(failure);
    expect(stream.writableFinished).toBe(false);
    expect(stream.prelude).toMatchObject({ statusCode: 200, headers: { 'content-type': 'audio/wav' } });
    expect(Buffer.concat(stream.writes.map((w) => w.bytes))).toEqual(Buffer.concat(speechPieces(fakeSpeech(INPUT, 'wav')).slice(0, 2)));
    expect(recordsAtRejection).toEqual([expect.objectContaining({ surface: 'openai-audio', status: 200, outcome: 'interrupted', errorCode: 'upstream_interrupted' })]);
  });
  it('books the call aborted when the response stream fails mid-audio, the record written before the handler settles', async () => {
    // Prepare
    usage.records.length = 0;
    const stream = new BreakingStream(2, 'destroyed');

    // Act
    const failure = await handler(event({ model: 'tts', voice: 'alloy', input: INPUT, response_format: 'wav' }, { authorization: `Bearer ${key}` }, '/v1/audio/speech'), stream, context(60_000)).catch((e: unknown) => e);
    const recordsAtRejection = [...usage.records];

    // Assess: the invocation fails with the stream's error, the call booked as the client gone (not the upstream breaking off).
    expect(failure).toBe(stream.error);
    expect(recordsAtRejection).toEqual([expect.objectContaining({ surface: 'openai-audio', status: 200, outcome: 'aborted' })]);
  });
});

describe('the Lambda proxy handler, speech from a pool whose first account gives no audio', () => {
  let one: FakeOpenAI;
  let two: FakeOpenAI;
  let key: string;
  let usage: MemoryUsageSink;
  let handler: StreamHandler;
  const health = new AccountHealth();

  beforeAll(async () => {
    one = await startFakeOpenAI({ apiKey: 'sk-up', chunkDelayMs: GAP_MS });
    two = await startFakeOpenAI({ apiKey: 'sk-up', chunkDelayMs: GAP_MS });
    const keys = new MemoryKeyStore();
    const minted = mintKey({ name: 't', models: ['*'] }, new Date());
    key = minted.key;
    await keys.put(minted.record);
    usage = new MemoryUsageSink();
    const config = parseConfig({
      providers: [
        {
          id: 'pool',
          type: 'openai',
          accounts: [
            { id: 'one', baseUrl: one.url, apiKey: { env: 'UP_KEY' } },
            { id: 'two', baseUrl: two.url, apiKey: { env: 'UP_KEY' } },
          ],
        },
      ],
      models: [{ name: 'tts', targets: [{ provider: 'pool', model: 'gpt-4o-mini-tts' }] }],
      routing: { sticky: false },
    });
    const gateway = createGateway({ config, keys, rates: new MemoryRateWindows(), spend: new MemorySpendStore(), usage, health, credentials: new LocalCredentials({ UP_KEY: 'sk-up' }) });
    handler = createProxyHandler(() => gateway) as unknown as StreamHandler;
  });
  afterAll(async () => {
    await one.close();
    await two.close();
  });
  beforeEach(() => {
    one.reset();
    two.reset();
    health.clear();
    usage.records.length = 0;
  });

  /** The pool's order is weighted at random: whichever account is asked first gets `reply`, every later call the usual audio. */
  function firstCallGets(reply: Reply): () => { first: 'one' | 'two'; other: 'one' | 'two' } {
    let first: 'one' | 'two' | undefined;
    for (const [id, fake] of [['one', one], ['two', two]] as const) {
      fake.reply((req) => {
        if (first !== undefined) return defaultReply(req);
        first = id;
        return reply;
      });
    }
    return () => {
      if (first === undefined) throw new Error('no call came');
      return { first, other: first === 'one' ? 'two' : 'one' };
    };
  }

  it.each([
    ['breaks off before its first chunk', { kind: 'drop', afterChunks: 0 } as Reply],
    ['answers 200 with no audio', { kind: 'raw', status: 200, headers: { 'content-type': 'audio/wav' }, body: [] } as Reply],
  ])('streams the other account\'s whole audio, finished cleanly, when the first %s: booked with 2 attempts, the first account resting', async (_what, reply) => {
    // Prepare
    const accounts = firstCallGets(reply);
    const stream = new TimedBinaryStream(performance.now());

    // Act
    await handler(event({ model: 'tts', voice: 'alloy', input: INPUT, response_format: 'wav' }, { authorization: `Bearer ${key}` }, '/v1/audio/speech'), stream, context(60_000));

    // Assess: nothing had gone before the failover, so the prelude and audio are the other account's alone.
    const { first, other } = accounts();
    expect(stream.prelude).toMatchObject({ statusCode: 200, headers: { 'content-type': 'audio/wav' } });
    expect(Buffer.concat(stream.writes.map((w) => w.bytes))).toEqual(fakeSpeech(INPUT, 'wav'));
    expect(stream.writes[0]!.at).toBeLessThan(3 * GAP_MS);
    expect(stream.errored).toBeNull();
    expect(stream.writableFinished).toBe(true);
    expect(usage.records).toEqual([expect.objectContaining({ surface: 'openai-audio', provider: 'pool', account: other, attempts: 2, status: 200, outcome: 'ok' })]);
    expect(health.isCooling(`pool/${first}`)).toBe(true);
    expect(health.isCooling(`pool/${other}`)).toBe(false);
  });
});
