import Anthropic from '@anthropic-ai/sdk';
import { parseConfig } from '../../lib/config/load';
import { LocalCredentials } from '../../lib/credentials/local';
import { startLocalGateway, type LocalGateway } from '../../lib/local/start';
import { AccountHealth } from '../../lib/routing/health';
import { defaultReply, startFakeAnthropic, type FakeAnthropic, type Reply } from '../fakes/anthropic';
import { streamEvents } from '../fakes/anthropic-wire';
import { createGatewayKey, eventually } from './harness';
import { ADMIN } from './instances';
import { firstCallOfPool, onlyRecordOf, type PoolAccount } from './pool-rig';

/**
 * `timeouts.firstByteMs` (here the gateway-wide one) with the official Anthropic client, streaming
 * through a pool of two Anthropic accounts: an account whose stream has not started by the deadline
 * (headers then silence, or only Anthropic's own `event: ping`, after `message_start` or not) is hung up on and rests, and the other
 * answers within about the deadline; with none left, the client gets the 504 in Anthropic's shape.
 */
const FIRST_BYTE_MS = 400;
const IDLE_MS = 10_000;
const FAILOVER_BOUND_MS = FIRST_BYTE_MS + 2_500;
const PING = 'event: ping\ndata: {"type": "ping"}\n\n';
const MESSAGE_START = streamEvents('claude-sonnet-4-5', [{ type: 'text', text: 'x', chunks: ['x'] }], 'end_turn', { input: 1, output: 1 })[0]!;

let fakes: Record<PoolAccount, FakeAnthropic>;
let gw: LocalGateway;
let keyId: string;
let client: Anthropic;
const health = new AccountHealth();
/** Before any call: usage is read from this day on (`usageSince`). */
const STARTED_AT = Date.now();

beforeAll(async () => {
  fakes = { one: await startFakeAnthropic({ apiKey: 'sk-ant-up' }), two: await startFakeAnthropic({ apiKey: 'sk-ant-up' }) };
  const config = parseConfig({
    providers: [
      {
        id: 'claude',
        type: 'anthropic',
        accounts: (['one', 'two'] as const).map((id) => ({ id, baseUrl: fakes[id].url, apiKey: { env: 'ANT_UP' } })),
      },
    ],
    models: [{ name: 'claude-sonnet-4-5', targets: [{ provider: 'claude', model: 'claude-sonnet-4-5' }] }],
    timeouts: { headersMs: IDLE_MS, idleMs: IDLE_MS, firstByteMs: FIRST_BYTE_MS },
    routing: { sticky: false },
  });
  gw = await startLocalGateway({ config, health, adminToken: ADMIN, store: { embedded: undefined }, shareHealth: false, credentials: new LocalCredentials({ ANT_UP: 'sk-ant-up' }) });
  const minted = await createGatewayKey(gw.url, ADMIN, { name: 'first-byte-deadline-anthropic' });
  keyId = minted.id;
  client = new Anthropic({ apiKey: minted.key, baseURL: gw.url, maxRetries: 0 });
});
afterAll(async () => {
  await gw.close();
  await fakes.one.close();
  await fakes.two.close();
});
beforeEach(() => {
  fakes.one.reset();
  fakes.two.reset();
  health.clear();
});

const recordOf = (requestId: string | null | undefined) => onlyRecordOf(gw, keyId, requestId, STARTED_AT);
const firstCallGets = (reply: Reply) => firstCallOfPool(fakes, reply, defaultReply);

const message = { model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user' as const, content: 'Say hi.' }] };

describe('a Claude stream that does not start by timeouts.firstByteMs', () => {
  it.each<[string, Reply]>([
    ['its headers came, then nothing', { kind: 'hang-after-headers' }],
    ["only Anthropic's ping events came", { kind: 'raw', status: 200, headers: { 'content-type': 'text/event-stream' }, body: Array<string>(8).fill(PING), delayMs: 100 }],
    // message_start is no start: an error may follow it (early-error.test.ts), and Claude sends content_block_start with it.
    ['message_start, then only pings', { kind: 'raw', status: 200, headers: { 'content-type': 'text/event-stream' }, body: [MESSAGE_START, ...Array<string>(8).fill(PING)], delayMs: 100 }],
  ])('%s: the account is hung up on and rests, and the other streams the answer within about the deadline', async (_what, reply) => {
    // Prepare
    const first = firstCallGets(reply);

    // Act
    const start = performance.now();
    const { data: stream, response } = await client.messages.create({ ...message, stream: true }).withResponse();
    let text = '';
    for await (const event of stream) if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    const tookMs = performance.now() - start;

    // Assess
    expect(text).toBe('Echo: Say hi.');
    expect(tookMs).toBeGreaterThanOrEqual(FIRST_BYTE_MS - 20);
    expect(tookMs).toBeLessThan(FAILOVER_BOUND_MS);
    expect(fakes[first.other()].requests).toHaveLength(1);
    await eventually(() => expect(fakes[first.first()].closedEarly).toHaveLength(1));
    expect(health.isCooling(`claude/${first.first()}`)).toBe(true);
    expect(await recordOf(response.headers.get('x-request-id'))).toMatchObject({ account: first.other(), attempts: 2, status: 200, outcome: 'ok' });
  });

  it("on the last account: the client gets the 504 upstream_timeout in Anthropic's shape", async () => {
    // Prepare
    fakes.one.reply({ kind: 'hang-after-headers' });
    fakes.two.reply({ kind: 'hang-after-headers' });

    // Act
    const start = performance.now();
    const err = (await client.messages.create({ ...message, stream: true }).catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    const tookMs = performance.now() - start;

    // Assess
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(err.status).toBe(504);
    // Anthropic's type for a 504 (`timeout_error`), with this deadline's own words.
    expect(err.error).toMatchObject({ type: 'error', error: { type: 'timeout_error', message: 'The upstream provider did not start its answer in time.' } });
    expect(tookMs).toBeGreaterThanOrEqual(2 * FIRST_BYTE_MS - 40);
    expect(tookMs).toBeLessThan(2 * FIRST_BYTE_MS + 2_500);
    await eventually(() => expect([fakes.one.closedEarly.length, fakes.two.closedEarly.length]).toEqual([1, 1]));
    expect(await recordOf(err.headers?.get('x-request-id'))).toMatchObject({ attempts: 2, status: 504, errorCode: 'upstream_timeout' });
  });

  it('that started in time goes on uncut through pings and gaps longer than the deadline', async () => {
    // Prepare: message_start and content_block_start (the answer's start) at half the deadline, then a ping and two deadlines of silence (empty pieces are pauses), then the text.
    const [opening, blockStart, ...rest] = streamEvents('claude-sonnet-4-5', [{ type: 'text', text: 'Slow but steady', chunks: ['Slow', ' but', ' steady'] }], 'end_turn', { input: 9, output: 3 });
    const reply: Reply = { kind: 'raw', status: 200, headers: { 'content-type': 'text/event-stream' }, body: [opening! + blockStart!, PING, '', '', ...rest], delayMs: FIRST_BYTE_MS / 2 };
    fakes.one.reply(reply);
    fakes.two.reply(reply);

    // Act
    const start = performance.now();
    const { data: stream, response } = await client.messages.create({ ...message, stream: true }).withResponse();
    let text = '';
    for await (const event of stream) if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    const tookMs = performance.now() - start;

    // Assess
    expect(text).toBe('Slow but steady');
    expect(tookMs).toBeGreaterThan(3 * FIRST_BYTE_MS);
    expect(fakes.one.requests.length + fakes.two.requests.length).toBe(1);
    expect([health.isCooling('claude/one'), health.isCooling('claude/two')]).toEqual([false, false]);
    expect(await recordOf(response.headers.get('x-request-id'))).toMatchObject({ attempts: 1, status: 200, outcome: 'ok', inputTokens: 9, outputTokens: 3 });
  });
});
