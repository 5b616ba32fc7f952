import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { AccountLoad } from '../../lib/routing/account-load';
import { defaultReply, startFakeAnthropic, streamEvents, type FakeAnthropic, type Reply } from '../fakes/anthropic';
import { poolAccounts, startFakePool, type FakePool } from './fake-pool';

/**
 * Anthropic's early in-band failure (HTTP 200, `message_start`, then `event: error` with
 * `overloaded_error` and the end), through a pool of two Anthropic accounts and no first-answer
 * deadline, with the official clients: the stream is held until its first event after
 * `message_start` and pings, so such a failure is a failed attempt like the 503 it stands for: the
 * other account answers in one clean stream, the first rests, and with no account left the client
 * gets a real HTTP error its SDK retries. An error once the answer has started is relayed in-band.
 */
const PING = 'event: ping\ndata: {"type": "ping"}\n\n';
const SSE = { 'content-type': 'text/event-stream' };
const MODEL = 'claude-sonnet-4-5';

const load = new AccountLoad();
let pool: FakePool<FakeAnthropic, Reply>;
let client: Anthropic;

beforeAll(async () => {
  pool = await startFakePool({
    start: () => startFakeAnthropic({ apiKey: 'sk-ant-up' }),
    provider: (fakes) => ({ id: 'claude', type: 'anthropic', accounts: poolAccounts(fakes, { apiKey: { env: 'ANT_UP' } }) }),
    config: {
      models: [
        { name: MODEL, targets: [{ provider: 'claude', model: MODEL }] },
        // Its own upstream model, so that its latency samples are only the latency case's (they are kept per model).
        { name: 'claude-slow-start', targets: [{ provider: 'claude', model: 'claude-slow-start' }] },
      ],
      routing: { sticky: false },
    },
    credentials: { ANT_UP: 'sk-ant-up' },
    usual: defaultReply,
    keyName: 'early-error',
    gateway: { load },
  });
  client = new Anthropic({ apiKey: pool.key, baseURL: pool.gw.url, maxRetries: 0 });
});
afterAll(() => pool.close());
beforeEach(() => pool.reset());

const message = { model: MODEL, max_tokens: 64, messages: [{ role: 'user' as const, content: 'Say hi.' }] };
const errorEvent = (type: string, message: string) => `event: error\ndata: {"type":"error","error":{"type":"${type}","message":"${message}"}}\n\n`;
/** The opening `message_start` event of a real stream. */
const messageStart = () => streamEvents(MODEL, [{ type: 'text', text: 'x', chunks: ['x'] }], 'end_turn', { input: 3, output: 1 })[0]!;

describe('a Claude stream that fails in-band before its answer starts', () => {
  it.each<[string, () => Reply]>([
    ['message_start then overloaded_error (messages.stream)', () => ({ kind: 'stream-error', afterEvents: 1 })],
    ['message_start, pings, then overloaded_error', () => ({ kind: 'raw', status: 200, headers: SSE, body: [messageStart(), PING, PING, errorEvent('overloaded_error', 'Overloaded')], delayMs: 30 })],
    ['the error event split across three reads', () => {
      const error = errorEvent('overloaded_error', 'Overloaded');
      return { kind: 'raw', status: 200, headers: SSE, body: [messageStart() + error.slice(0, 9), error.slice(9, 40), error.slice(40)], delayMs: 30 };
    }],
    ['an error as the very first event, no message_start', () => ({ kind: 'raw', status: 200, headers: SSE, body: [errorEvent('api_error', 'Internal server error')] })],
  ])('%s: the other account answers in one clean stream, the first rests', async (_what, reply) => {
    // Prepare
    const first = pool.firstCallGets(reply());

    // Act
    const stream = client.messages.stream(message);
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    const final = await stream.finalMessage();
    const { response } = await stream.withResponse();

    // Assess
    expect(final.content).toMatchObject([{ type: 'text', text: 'Echo: Say hi.' }]);
    expect(types.filter((t) => t === 'message_start')).toHaveLength(1);
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
    expect(pool.fakes[first.other()].requests).toHaveLength(1);
    expect(pool.health.isCooling(`claude/${first.first()}`)).toBe(true);
    expect(await pool.recordOf(response.headers.get('x-request-id'))).toMatchObject({ account: first.other(), attempts: 2, status: 200, outcome: 'ok' });
  });

  it('the rested account is not asked first by the next call', async () => {
    // Prepare
    const first = pool.firstCallGets({ kind: 'stream-error', afterEvents: 1 });
    await client.messages.create({ ...message, stream: true }).then(async (s) => {
      for await (const _ of s);
    });

    // Act
    const { data: stream, response } = await client.messages.create({ ...message, stream: true }).withResponse();
    for await (const _ of stream);

    // Assess: one request to the first account (the failed one), two to the other.
    expect(pool.fakes[first.first()].requests).toHaveLength(1);
    expect(pool.fakes[first.other()].requests).toHaveLength(2);
    expect(await pool.recordOf(response.headers.get('x-request-id'))).toMatchObject({ account: first.other(), attempts: 1, status: 200 });
  });

  it('a rate_limit_error rests the account as a 429 does, and the other answers (create with stream: true)', async () => {
    // Prepare
    const first = pool.firstCallGets({ kind: 'stream-error', afterEvents: 1, errorType: 'rate_limit_error', message: 'Number of request tokens has exceeded your per-minute rate limit' });

    // Act
    const { data: stream, response } = await client.messages.create({ ...message, stream: true }).withResponse();
    let text = '';
    for await (const event of stream) if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;

    // Assess
    expect(text).toBe('Echo: Say hi.');
    expect(pool.health.isCooling(`claude/${first.first()}`)).toBe(true);
    expect(await pool.recordOf(response.headers.get('x-request-id'))).toMatchObject({ account: first.other(), attempts: 2, status: 200, outcome: 'ok' });
  });

  it('an OpenAI client streaming through the Anthropic target (translated) gets the other account\'s answer', async () => {
    // Prepare
    const first = pool.firstCallGets({ kind: 'stream-error', afterEvents: 1 });
    const openai = new OpenAI({ apiKey: pool.key, baseURL: `${pool.gw.url}/v1`, maxRetries: 0 });

    // Act
    const { data: stream, response } = await openai.chat.completions.create({ model: MODEL, stream: true, messages: [{ role: 'user', content: 'Say hi.' }] }).withResponse();
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';

    // Assess
    expect(text).toBe('Echo: Say hi.');
    expect(pool.health.isCooling(`claude/${first.first()}`)).toBe(true);
    expect(await pool.recordOf(response.headers.get('x-request-id'))).toMatchObject({ account: first.other(), attempts: 2, status: 200, outcome: 'ok' });
  });
});

describe('a Claude stream whose every account fails before its answer', () => {
  it('gives the Anthropic client a real 503 overloaded_error, which its SDK retries', async () => {
    // Prepare: every call, on either account, overloaded after message_start; a client that retries once.
    pool.fakes.one.reply({ kind: 'stream-error', afterEvents: 1 });
    pool.fakes.two.reply({ kind: 'stream-error', afterEvents: 1 });
    const retrying = new Anthropic({ apiKey: pool.key, baseURL: pool.gw.url, maxRetries: 1 });

    // Act
    const err = (await retrying.messages.create({ ...message, stream: true }).catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;

    // Assess: an HTTP error in Anthropic's shape, not a 200 with an error event; retried once, so both accounts were asked twice.
    expect(err).toBeInstanceOf(Anthropic.InternalServerError);
    expect(err.status).toBe(503);
    expect(err.error).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    expect([pool.fakes.one.requests.length, pool.fakes.two.requests.length]).toEqual([2, 2]);
    expect(await pool.recordOf(err.headers?.get('x-request-id'))).toMatchObject({ attempts: 2, status: 503, outcome: 'upstream_error' });
  });

  it('gives a 429 rate_limit_error when one account was rate-limited and the other overloaded', async () => {
    // Prepare
    pool.fakes.one.reply({ kind: 'stream-error', afterEvents: 1, errorType: 'rate_limit_error', message: 'Rate limited' });
    pool.fakes.two.reply({ kind: 'stream-error', afterEvents: 1 });

    // Act
    const err = (await client.messages.create({ ...message, stream: true }).catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;

    // Assess
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    expect(err.error).toEqual({ type: 'error', error: { type: 'rate_limit_error', message: 'Rate limited' } });
    expect([pool.health.isCooling('claude/one'), pool.health.isCooling('claude/two')]).toEqual([true, true]);
  });
});

describe('a Claude stream that fails after its answer started', () => {
  it('is relayed as it is: the in-band error after content_block_start, no failover, no rest', async () => {
    // Prepare: message_start and content_block_start, then overloaded.
    const first = pool.firstCallGets({ kind: 'stream-error', afterEvents: 2 });

    // Act
    const { data: stream, response } = await client.messages.create({ ...message, stream: true }).withResponse();
    const types: string[] = [];
    const err = await (async () => {
      for await (const event of stream) types.push(event.type);
    })().catch((e: unknown) => e);

    // Assess
    expect(types).toEqual(['message_start', 'content_block_start']);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
    expect(pool.fakes[first.other()].requests).toHaveLength(0);
    expect(pool.health.isCooling(`claude/${first.first()}`)).toBe(false);
    expect(await pool.recordOf(response.headers.get('x-request-id'))).toMatchObject({ account: first.first(), attempts: 1, status: 200 });
  });
});

describe('latency balancing', () => {
  it('times a stream to its first event, not its headers', async () => {
    // Prepare: headers at once, message_start, then content_block_start 300 ms later.
    const [opening, ...rest] = streamEvents(MODEL, [{ type: 'text', text: 'Slow start', chunks: ['Slow', ' start'] }], 'end_turn', { input: 3, output: 2 });
    const first = pool.firstCallGets({ kind: 'raw', status: 200, headers: SSE, body: [opening!, rest.join('')], delayMs: 300 });

    // Act
    const { data: stream } = await client.messages.create({ ...message, model: 'claude-slow-start', stream: true }).withResponse();
    for await (const _ of stream);

    // Assess: the sample is the time to the answer's start (two pauses of 300 ms), not the headers' few ms.
    expect(load.latencyMs(`claude/${first.first()}`, 'claude-slow-start', true)).toBeGreaterThanOrEqual(550);
  });
});
