import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { defaultReply as defaultClaude, startFakeAnthropic, streamEvents, type FakeAnthropic, type Reply as ClaudeReply } from '../fakes/anthropic';
import { defaultReply as defaultChat, startFakeOpenAI, type FakeOpenAI, type Reply as ChatReply } from '../fakes/openai';
import { poolAccounts, startFakePool, type FakePool } from './fake-pool';

/**
 * The official clients' own retries (maxRetries 1) honour the wait the gateway's 429 names when
 * every account is rate-limited and none said `retry-after`: the wait their quota headers report
 * (`rateLimitRetryAfter`), a real HTTP 429's (OpenAI's `x-ratelimit-reset-*` durations) and an
 * in-band one's alike. The retry comes once the reset has passed, and is served. Real clocks: the
 * SDKs sleep on their own, so each case waits its 2 s.
 */
const WAIT_S = 2;

/** Every answer the client's fetch got: its status, its retry-after, when. */
interface Seen {
  status: number;
  retryAfter: string | null;
  at: number;
}
const seenBy = (seen: Seen[]) => async (...args: Parameters<typeof fetch>) => {
  const res = await fetch(...args);
  seen.push({ status: res.status, retryAfter: res.headers.get('retry-after'), at: Date.now() });
  return res;
};

describe('the openai client, both accounts answering a real 429 whose x-ratelimit headers report the requests spent for 2 s', () => {
  let pool: FakePool<FakeOpenAI, ChatReply>;
  beforeAll(async () => {
    pool = await startFakePool({
      start: () => startFakeOpenAI({ apiKey: 'sk-up' }),
      provider: (fakes) => ({ id: 'pool', type: 'openai', accounts: poolAccounts(fakes, { apiKey: { env: 'UP' } }) }),
      config: { models: [{ name: 'chat', targets: [{ provider: 'pool', model: 'gpt-4o-mini' }] }], routing: { sticky: false } },
      credentials: { UP: 'sk-up' },
      usual: defaultChat,
      keyName: 'rate-limit-retry-openai',
    });
  });
  afterAll(() => pool.close());

  it('is told retry-after: 2, waits it, and its retry is served after the reset', async () => {
    // Prepare: OpenAI's 429 as it sends one over a spent quota, with no retry-after.
    const refused: ChatReply = {
      kind: 'raw',
      status: 429,
      headers: { 'content-type': 'application/json', 'x-ratelimit-limit-requests': '500', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': `${WAIT_S}s`, 'x-ratelimit-limit-tokens': '30000', 'x-ratelimit-remaining-tokens': '29000', 'x-ratelimit-reset-tokens': '2ms' },
      body: JSON.stringify({ error: { message: 'Rate limit reached for requests', type: 'requests', param: null, code: 'rate_limit_exceeded' } }),
    };
    for (const fake of [pool.fakes.one, pool.fakes.two]) fake.reply((req) => (fake.requests.length === 1 ? refused : defaultChat(req)));
    const seen: Seen[] = [];
    const client = new OpenAI({ apiKey: pool.key, baseURL: `${pool.gw.url}/v1`, maxRetries: 1, fetch: seenBy(seen) });

    // Act
    const completion = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Say hi.' }] });

    // Assess: a 429 naming the reset, then the retry, no sooner, answered.
    expect(completion.choices[0]!.message.content).toBe('Echo: Say hi.');
    expect(seen.map((s) => [s.status, s.retryAfter])).toEqual([
      [429, String(WAIT_S)],
      [200, null],
    ]);
    const refusedAt = Math.max(pool.fakes.one.requests[0]!.receivedAt, pool.fakes.two.requests[0]!.receivedAt);
    const retried = [...pool.fakes.one.requests, ...pool.fakes.two.requests].map((r) => r.receivedAt).sort((a, b) => a - b)[2]!;
    expect(retried - refusedAt).toBeGreaterThanOrEqual(WAIT_S * 1000 - 50);
  });
});

describe("the Anthropic client, both accounts streaming an in-band rate_limit_error whose 200's headers report the output tokens spent for 2 s", () => {
  let pool: FakePool<FakeAnthropic, ClaudeReply>;
  const MODEL = 'claude-sonnet-4-6';
  beforeAll(async () => {
    pool = await startFakePool({
      start: () => startFakeAnthropic({ apiKey: 'sk-ant-up' }),
      provider: (fakes) => ({ id: 'claude', type: 'anthropic', accounts: poolAccounts(fakes, { apiKey: { env: 'ANT_UP' } }) }),
      config: { models: [{ name: MODEL, targets: [{ provider: 'claude', model: MODEL }] }], routing: { sticky: false } },
      credentials: { ANT_UP: 'sk-ant-up' },
      usual: defaultClaude,
      keyName: 'rate-limit-retry-anthropic',
    });
  });
  afterAll(() => pool.close());

  it('is told retry-after: 2 (rounded up from the reset), waits it, and its retry is served after the reset', async () => {
    // Prepare: the reset 1.5 s away as Anthropic writes it (RFC 3339, to the millisecond here): the client is told 2.
    const resetAt = Date.now() + (WAIT_S - 0.5) * 1000;
    const opening = streamEvents(MODEL, [{ type: 'text', text: 'x', chunks: ['x'] }], 'end_turn', { input: 3, output: 1 })[0]!;
    const error = `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: 'Rate limited.' } })}\n\n`;
    const limited: ClaudeReply = {
      kind: 'raw',
      status: 200,
      headers: { 'content-type': 'text/event-stream', 'anthropic-ratelimit-output-tokens-limit': '40000', 'anthropic-ratelimit-output-tokens-remaining': '0', 'anthropic-ratelimit-output-tokens-reset': new Date(resetAt).toISOString() },
      body: [opening, error],
    };
    for (const fake of [pool.fakes.one, pool.fakes.two]) fake.reply((req) => (fake.requests.length === 1 ? limited : defaultClaude(req)));
    const seen: Seen[] = [];
    const client = new Anthropic({ apiKey: pool.key, baseURL: pool.gw.url, maxRetries: 1, fetch: seenBy(seen) });

    // Act
    let text = '';
    for await (const event of await client.messages.create({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'Say hi.' }], stream: true })) {
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    }

    // Assess
    expect(text).toBe('Echo: Say hi.');
    expect(seen.map((s) => [s.status, s.retryAfter])).toEqual([
      [429, String(WAIT_S)],
      [200, null],
    ]);
    const retried = [...pool.fakes.one.requests, ...pool.fakes.two.requests].map((r) => r.receivedAt).sort((a, b) => a - b)[2]!;
    expect(retried).toBeGreaterThanOrEqual(resetAt);
  });
});
