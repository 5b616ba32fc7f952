import Anthropic from '@anthropic-ai/sdk';
import type { GatewayLogger } from '../../lib/observe/logger';
import { defaultReply, startFakeAnthropic, streamEvents, type FakeAnthropic, type Reply } from '../fakes/anthropic';
import { poolAccounts, startFakePool, type FakePool } from './fake-pool';

/**
 * Anthropic's in-band `rate_limit_error` (HTTP 200, `message_start`, then `event: error`) rests its
 * account as a 429 does, for as long as the 200's headers say: its `retry-after` when it has one,
 * else the reset of the quota its `anthropic-ratelimit-*` headers report spent (RFC 3339 times,
 * sent on every answer: https://docs.anthropic.com/en/api/rate-limits). The account is tried last
 * until then and first again after; with no account left, the client's 429 carries that wait.
 * The gateway's clock and its rests' are one fixed clock the test moves.
 */
const SSE = { 'content-type': 'text/event-stream' };
const MODEL = 'claude-sonnet-4-6';
const LIMITED = 'This request would exceed the rate limit for your organization of 40,000 output tokens per minute.';

// A whole second, so that a reset named in whole seconds is a whole number of seconds away.
let clock = Math.floor(Date.now() / 1000) * 1000;
/** The rests the gateway logged (`account resting`), by account. */
const rests: { account: string; restMs: number }[] = [];
let pool: FakePool<FakeAnthropic, Reply>;
let client: Anthropic;

beforeAll(async () => {
  const info = (message: string, fields?: { account?: string; restMs?: number }) => {
    if (message === 'account resting' && fields?.account !== undefined && fields.restMs !== undefined) rests.push({ account: fields.account, restMs: fields.restMs });
  };
  const logger: GatewayLogger = { debug() {}, info: info as GatewayLogger['info'], warn() {}, error() {} };
  pool = await startFakePool({
    start: () => startFakeAnthropic({ apiKey: 'sk-ant-up' }),
    provider: (fakes) => ({ id: 'claude', type: 'anthropic', accounts: poolAccounts(fakes, { apiKey: { env: 'ANT_UP' } }) }),
    config: { models: [{ name: MODEL, targets: [{ provider: 'claude', model: MODEL }] }], routing: { sticky: false } },
    credentials: { ANT_UP: 'sk-ant-up' },
    usual: defaultReply,
    keyName: 'early-error-rate-limit-rest',
    gateway: { logger, now: () => clock },
  });
  client = new Anthropic({ apiKey: pool.key, baseURL: pool.gw.url, maxRetries: 0 });
});
afterAll(() => pool.close());
beforeEach(() => {
  pool.reset();
  rests.length = 0;
});

const message = { model: MODEL, max_tokens: 64, messages: [{ role: 'user' as const, content: 'Say hi.' }] };
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.000Z$/, 'Z');

/** Anthropic's quota headers, as every answer carries them: `kind` has `remaining` left until `resetAt`; the others plenty. */
function quotaHeaders(kind: 'requests' | 'input-tokens' | 'output-tokens', remaining: number, resetAt: number): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const k of ['requests', 'input-tokens', 'output-tokens'] as const) {
    const mine = k === kind;
    headers[`anthropic-ratelimit-${k}-limit`] = k === 'requests' ? '50' : '40000';
    headers[`anthropic-ratelimit-${k}-remaining`] = String(mine ? remaining : k === 'requests' ? 40 : 30000);
    headers[`anthropic-ratelimit-${k}-reset`] = iso(mine ? resetAt : clock + 1_000);
  }
  return headers;
}

/** A 200 with `headers`, `message_start`, then the in-band `rate_limit_error`, as Anthropic streams one. */
function limitedInBand(headers: Record<string, string>, type: 'rate_limit_error' | 'overloaded_error' = 'rate_limit_error'): Reply {
  const opening = streamEvents(MODEL, [{ type: 'text', text: 'x', chunks: ['x'] }], 'end_turn', { input: 3, output: 1 })[0]!;
  const error = `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type, message: type === 'rate_limit_error' ? LIMITED : 'Overloaded' } })}\n\n`;
  return { kind: 'raw', status: 200, headers: { ...SSE, ...headers }, body: [opening, error] };
}

/** A real HTTP 429 with `headers` and Anthropic's error body, as Anthropic refuses a call over its quota. */
function limitedOutOfBand(headers: Record<string, string>): Reply {
  const body = JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: LIMITED } });
  return { kind: 'raw', status: 429, headers: { 'content-type': 'application/json', ...headers }, body: [body] };
}

/** A streamed message read to its end: its text and its answer's request id. */
async function streamed(): Promise<{ text: string; requestId: string | null }> {
  const { data: stream, response } = await client.messages.create({ ...message, stream: true }).withResponse();
  let text = '';
  for await (const event of stream) if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
  return { text, requestId: response.headers.get('x-request-id') };
}

describe("an in-band rate_limit_error whose 200 reports its output-token quota spent (no retry-after)", () => {
  it('rests the account until that quota resets: tried last until then, first again after', async () => {
    // Prepare: the output-token quota spent, full again in 20 s.
    const first = pool.firstCallGets(limitedInBand(quotaHeaders('output-tokens', 0, clock + 20_000)));
    const failedAt = clock;

    // Act: the failing call, then one while the account rests.
    const failed = await streamed();
    const whileResting = await streamed();

    // Assess: the other account answered both; the first rests 20 s, not the 5 s of a rate limit that names no time.
    expect([failed.text, whileResting.text]).toEqual(['Echo: Say hi.', 'Echo: Say hi.']);
    expect(rests).toEqual([{ account: first.first(), restMs: 20_000 }]);
    expect(pool.fakes[first.first()].requests).toHaveLength(1);
    expect(pool.fakes[first.other()].requests).toHaveLength(2);
    expect(await pool.recordOf(failed.requestId)).toMatchObject({ account: first.other(), attempts: 2, status: 200, outcome: 'ok' });
    expect(await pool.recordOf(whileResting.requestId)).toMatchObject({ account: first.other(), attempts: 1 });
    clock = failedAt + 19_999;
    expect(pool.health.isCooling(`claude/${first.first()}`)).toBe(true);

    // Act: the quota's reset passes, and the other account rests (as after a failure of its own).
    clock = failedAt + 20_000;
    const back = !pool.health.isCooling(`claude/${first.first()}`);
    pool.health.failed(`claude/${first.other()}`, 'error');
    const after = await streamed();

    // Assess: the first account is asked first again, and answers.
    expect(back).toBe(true);
    expect(after.text).toBe('Echo: Say hi.');
    expect(pool.fakes[first.first()].requests).toHaveLength(2);
    expect(await pool.recordOf(after.requestId)).toMatchObject({ account: first.first(), attempts: 1, status: 200 });
  });
});

describe("an in-band rate_limit_error whose 200 carries a retry-after", () => {
  it('rests the account for the retry-after, over the quota headers', async () => {
    // Prepare
    const first = pool.firstCallGets(limitedInBand({ 'retry-after': '7', ...quotaHeaders('requests', 0, clock + 40_000) }));

    // Act
    const { text } = await streamed();

    // Assess
    expect(text).toBe('Echo: Say hi.');
    expect(rests).toEqual([{ account: first.first(), restMs: 7_000 }]);
  });
});

describe('an in-band rate_limit_error whose 200 says no time', () => {
  it('rests the account as a 429 without retry-after does (5 s)', async () => {
    // Prepare: quota headers with some of everything left.
    const first = pool.firstCallGets(limitedInBand(quotaHeaders('output-tokens', 1_000, clock + 20_000)));

    // Act
    const { text } = await streamed();

    // Assess
    expect(text).toBe('Echo: Say hi.');
    expect(rests).toEqual([{ account: first.first(), restMs: 5_000 }]);
  });
});

describe('every account rate-limited in-band', () => {
  it("gives the client a 429 rate_limit_error whose retry-after is the sooner of the two accounts' resets; both rest until theirs", async () => {
    // Prepare
    pool.fakes.one.reply(limitedInBand(quotaHeaders('output-tokens', 0, clock + 20_000)));
    pool.fakes.two.reply(limitedInBand(quotaHeaders('input-tokens', 0, clock + 30_000)));

    // Act
    const err = (await client.messages.create({ ...message, stream: true }).catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;

    // Assess
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    expect(err.error).toEqual({ type: 'error', error: { type: 'rate_limit_error', message: expect.stringContaining('rate limit') } });
    expect(err.headers?.get('retry-after')).toBe('20');
    expect(rests.sort((a, b) => a.account.localeCompare(b.account))).toEqual([
      { account: 'one', restMs: 20_000 },
      { account: 'two', restMs: 30_000 },
    ]);
    expect(await pool.recordOf(err.headers?.get('x-request-id'))).toMatchObject({ attempts: 2, status: 429, outcome: 'upstream_error' });
  });
});

describe('a real HTTP 429 without retry-after whose quota headers report a quota spent', () => {
  it('rests the account until that reset, as the same limit said in-band does, and the client is told that wait', async () => {
    // Prepare: both accounts refuse with a 429 naming no wait; their input-token quotas full again in 20 s and 30 s.
    pool.fakes.one.reply(limitedOutOfBand(quotaHeaders('input-tokens', 0, clock + 20_000)));
    pool.fakes.two.reply(limitedOutOfBand(quotaHeaders('input-tokens', 0, clock + 30_000)));

    // Act
    const err = (await client.messages.create(message).catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;

    // Assess: the rule of the in-band limit (above), not the flat 5 s of a 429 that names no time.
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    expect(err.headers?.get('retry-after')).toBe('20');
    expect(rests.sort((a, b) => a.account.localeCompare(b.account))).toEqual([
      { account: 'one', restMs: 20_000 },
      { account: 'two', restMs: 30_000 },
    ]);
  });
});

describe("every account overloaded in-band, though their 200s report a quota spent", () => {
  it('rests them as an overload does (5 s), not as a rate limit, and the client gets a 503 that names no wait', async () => {
    // Prepare: an overload is not the quota's doing: its reset says nothing of when the account is back.
    pool.fakes.one.reply(limitedInBand(quotaHeaders('output-tokens', 0, clock + 20_000), 'overloaded_error'));
    pool.fakes.two.reply(limitedInBand(quotaHeaders('output-tokens', 0, clock + 30_000), 'overloaded_error'));

    // Act
    const err = (await client.messages.create({ ...message, stream: true }).catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;

    // Assess
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(err.status).toBe(503);
    expect(err.headers?.get('retry-after')).toBeNull();
    expect(rests.sort((a, b) => a.account.localeCompare(b.account))).toEqual([
      { account: 'one', restMs: 5_000 },
      { account: 'two', restMs: 5_000 },
    ]);
  });
});
