import { mintKey, type KeyLimits } from './access/api-key';
import { MemoryRateWindows, type RateWindowStore } from './store/rate-windows';
import { MemorySpendStore, type SpendStore } from './store/spend';
import type { RateLimits } from './access/rate-limits';
import { silentLogger } from './observe/logger';
import { parseConfig } from './config/load';
import { LocalCredentials } from './credentials/local';
import { createGateway, type Gateway, type GatewayDeps } from './gateway';
import type { GatewayRequest } from './http/types';
import { MemoryKeyStore } from './store/keys';
import { MemoryTeamStore } from './store/teams';
import { newTeam } from './access/team';
import { MemoryUsageSink } from './usage/record';
import { startFakeOpenAI, type FakeOpenAI } from '../test/fakes/openai';

/** A sink whose backlog is full until the test says otherwise. */
class BackedUpSink extends MemoryUsageSink {
  full = true;
  #release: (() => void) | undefined;
  backlog(): Promise<void> | undefined {
    if (!this.full) return undefined;
    return new Promise((resolve) => (this.#release = resolve));
  }
  catchUp(): void {
    this.full = false;
    this.#release?.();
  }
}

const NO_QUERY = new URLSearchParams();
const request = (key: string, path: string, body?: object): GatewayRequest => ({
  method: body ? 'POST' : 'GET',
  path,
  query: NO_QUERY,
  headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
  body: Buffer.from(body ? JSON.stringify(body) : ''),
  sourceIp: '127.0.0.1',
  requestId: `r-${Math.random()}`,
});

describe('the gateway and a usage store that falls behind', () => {
  let upstream: FakeOpenAI;
  let gateway: Gateway;
  let usage: BackedUpSink;
  let key: string;
  beforeAll(async () => {
    upstream = await startFakeOpenAI({ apiKey: 'sk-up' });
    const keys = new MemoryKeyStore();
    const minted = mintKey({ name: 't', models: ['*'] }, new Date());
    key = minted.key;
    await keys.put(minted.record);
    usage = new BackedUpSink();
    const config = parseConfig({
      providers: [{ id: 'up', type: 'openai', baseUrl: upstream.url, accounts: [{ id: 'a', apiKey: { env: 'UP_KEY' } }] }],
      models: [{ name: 'gpt-4o-mini', targets: [{ provider: 'up', model: 'gpt-4o-mini' }] }],
    });
    gateway = createGateway({ config, keys, rates: new MemoryRateWindows(), spend: new MemorySpendStore(), usage, credentials: new LocalCredentials({ UP_KEY: 'sk-up' }) });
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });

  it('holds model calls until the store has caught up, then serves and records them', async () => {
    const answer = gateway.handle(request(key, '/v1/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }));
    await new Promise((r) => setTimeout(r, 30));
    const calledWhileFull = upstream.requests.length;

    usage.catchUp();
    const res = await answer;
    await gateway.drain();

    expect(calledWhileFull).toBe(0);
    expect(res.status).toBe(200);
    expect(upstream.requests).toHaveLength(1);
    expect(usage.records).toHaveLength(1);
  });

  it('answers what leaves no usage record (model lists, health) without waiting', async () => {
    usage.full = true;
    const models = await gateway.handle(request(key, '/v1/models'));
    const health = await gateway.handle(request(key, '/health'));
    usage.catchUp();

    expect(models.status).toBe(200);
    expect(health.status).toBe(200);
  });

  it('closes a stream\'s books on the turn after its last chunk, so the client does not wait for them', async () => {
    usage.catchUp();
    usage.records.length = 0;
    const res = await gateway.handle(request(key, '/v1/chat/completions', { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] }));
    let text = '';

    for await (const chunk of res.body as AsyncIterable<Uint8Array>) text += Buffer.from(chunk).toString();
    const recordedWhenEnded = usage.records.length;
    await new Promise((r) => setImmediate(r));

    expect(text).toContain('data: [DONE]');
    expect(recordedWhenEnded).toBe(0);
    expect(usage.records).toHaveLength(1);
    expect(usage.records[0]).toMatchObject({ stream: true, outcome: 'ok' });
  });

  it('closes the books of a stream still unsettled when drained (Lambda drains right after the response)', async () => {
    usage.records.length = 0;
    const res = await gateway.handle(request(key, '/v1/chat/completions', { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] }));
    for await (const _ of res.body as AsyncIterable<Uint8Array>) {
      // read it all
    }
    const beforeDrain = usage.records.length;

    await gateway.drain();

    expect(beforeDrain).toBe(0);
    expect(usage.records).toHaveLength(1);
  });
});

describe('the gateway and per-key rate limits', () => {
  const NOW = Date.parse('2026-11-26T17:05:20Z');
  let upstream: FakeOpenAI;
  let keys: MemoryKeyStore;
  let usage: MemoryUsageSink;
  let logged: { message: string; fields: unknown }[];
  beforeAll(async () => {
    upstream = await startFakeOpenAI({ apiKey: 'sk-up' });
    upstream.reply(() => ({ kind: 'text', text: 'Hello there', usage: { prompt: 30, completion: 10 } }));
  });
  afterAll(async () => upstream.close());
  beforeEach(() => {
    keys = new MemoryKeyStore();
    usage = new MemoryUsageSink();
    logged = [];
    upstream.requests.length = 0;
  });

  function gatewayWith(rates: RateWindowStore): Gateway {
    return createGateway(gatewayDeps(rates));
  }
  function gatewayDeps(rates: RateWindowStore): GatewayDeps {
    const config = parseConfig({
      providers: [{ id: 'up', type: 'openai', baseUrl: upstream.url, accounts: [{ id: 'a', apiKey: { env: 'UP_KEY' } }] }],
      models: [
        { name: 'gpt-4o-mini', targets: [{ provider: 'up', model: 'gpt-4o-mini' }] },
        { name: 'gpt-4o', targets: [{ provider: 'up', model: 'gpt-4o' }] },
      ],
    });
    const warn = (message: string, ...fields: unknown[]) => {
      logged.push({ message, fields: fields[0] });
    };
    return { config, keys, rates, spend: new MemorySpendStore(), usage, now: () => NOW, logger: { ...silentLogger, warn }, credentials: new LocalCredentials({ UP_KEY: 'sk-up' }) };
  }
  async function keyWith(limits: RateLimits, models = ['*']): Promise<{ key: string; id: string }> {
    const minted = mintKey({ name: 't', models, limits }, new Date(NOW));
    await keys.put(minted.record);
    return { key: minted.key, id: minted.record.id };
  }
  const chat = (key: string, model = 'gpt-4o-mini') => request(key, '/v1/chat/completions', { model, messages: [{ role: 'user', content: 'hi' }] });
  /** Counters whose every call fails with `message`: out of reach, or never to be touched. */
  const failing = (message: string): RateWindowStore => {
    const fail = async (): Promise<never> => {
      throw new Error(message);
    };
    return { take: fail, giveBack: fail, addTokens: fail };
  };

  it('serves a key up to its requests per minute, then answers 429 with when to come back, and records the refusal', async () => {
    const gateway = gatewayWith(new MemoryRateWindows());
    const { key } = await keyWith({ requestsPerMinute: 2 });

    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push(await gateway.handle(chat(key)));
    await gateway.drain();

    expect(statuses.map((r) => r.status)).toEqual([200, 200, 429]);
    expect(statuses[2]!.headers).toMatchObject({ 'retry-after': '40', 'x-ratelimit-limit-requests': '2', 'x-ratelimit-remaining-requests': '0' });
    expect(JSON.parse(String(statuses[2]!.body))).toEqual({
      error: { message: 'Rate limit reached: this API key allows 2 requests per minute. Try again in 40s.', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' },
    });
    expect(upstream.requests).toHaveLength(2);
    expect(usage.records.map((r) => [r.status, r.errorCode])).toEqual([[200, undefined], [200, undefined], [429, 'rate_limit_exceeded']]);
  });

  it('touches no counter for a key without end-user limits when its calls name end users, and records each end user', async () => {
    const gateway = gatewayWith(failing('a key without limits must not reach the counters'));
    const { key, id } = await keyWith({});

    const named = await gateway.handle({ ...chat(key), headers: { ...chat(key).headers, 'x-aigw-end-user': 'alice' } });
    const inBody = await gateway.handle(request(key, '/v1/chat/completions', { model: 'gpt-4o-mini', user: 'bob', messages: [{ role: 'user', content: 'hi' }] }));
    await gateway.drain();

    expect([named.status, inBody.status]).toEqual([200, 200]);
    expect(named.headers['x-ratelimit-limit-requests']).toBeUndefined();
    expect(logged).toEqual([]);
    expect(usage.records.map((r) => [r.keyId, r.endUser])).toEqual([
      [id, 'alice'],
      [id, 'bob'],
    ]);
  });

  it('holds each end user to their own limit and records them as named when a guardrail redacts their ids in the body', async () => {
    // An operator's rule that keeps e-mail addresses from the providers must not make every end user named by one the same end user.
    const deps = gatewayDeps(new MemoryRateWindows());
    const gateway = createGateway({
      ...deps,
      config: parseConfig({
        providers: [{ id: 'up', type: 'openai', baseUrl: upstream.url, accounts: [{ id: 'a', apiKey: { env: 'UP_KEY' } }] }],
        models: [{ name: 'gpt-4o-mini', targets: [{ provider: 'up', model: 'gpt-4o-mini' }] }],
        guardrails: { rules: [{ id: 'email', detect: { regex: '[a-z]+@example\\.com' }, action: 'redact' }] },
      }),
    });
    const minted = mintKey({ name: 'app', models: ['*'], endUserLimits: { requestsPerMinute: 1 } }, new Date(NOW));
    await keys.put(minted.record);
    const call = (user: string) => gateway.handle(request(minted.key, '/v1/chat/completions', { model: 'gpt-4o-mini', user, messages: [{ role: 'user', content: 'hi' }] }));

    const alice = await call('alice@example.com');
    const bob = await call('bob@example.com');
    await gateway.drain();

    expect([alice.status, bob.status]).toEqual([200, 200]);
    expect(usage.records.map((r) => r.endUser)).toEqual(['alice@example.com', 'bob@example.com']);
    // What went upstream is still the redacted body.
    expect(upstream.requests.map((r) => (r.body as { user?: string }).user)).toEqual(['[REDACTED:email]', '[REDACTED:email]']);
  });

  it('writes a digest of the end user in the access log line, never the id itself', async () => {
    const lines: unknown[] = [];
    const gateway = createGateway({ ...gatewayDeps(new MemoryRateWindows()), logger: { ...silentLogger, info: (message: string, ...fields: unknown[]) => void (message === 'request' && lines.push(fields[0])) } });
    const { key } = await keyWith({});

    await gateway.handle(request(key, '/v1/chat/completions', { model: 'gpt-4o-mini', user: 'alice@example.com', messages: [{ role: 'user', content: 'hi' }] }));
    await gateway.drain();

    expect(lines).toEqual([expect.objectContaining({ endUser: expect.stringMatching(/^[A-Za-z0-9_-]{12}$/) })]);
    expect(JSON.stringify(lines)).not.toContain('alice');
  });

  it('answers an Anthropic client in its own error shape', async () => {
    const gateway = gatewayWith(new MemoryRateWindows());
    const { key } = await keyWith({ requestsPerMinute: 1 });
    const messages = () => ({ ...request(key, '/v1/messages', { model: 'gpt-4o-mini', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }), headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01' } });

    expect((await gateway.handle(messages())).status).toBe(200);
    const refused = await gateway.handle(messages());

    expect(refused.status).toBe(429);
    expect(JSON.parse(String(refused.body))).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
    expect(refused.headers['retry-after']).toBe('40');
  });

  it('spends no place on a call refused before it could go upstream', async () => {
    const gateway = gatewayWith(new MemoryRateWindows());
    const { key } = await keyWith({ requestsPerMinute: 1 }, ['gpt-4o-mini']);

    const forbidden = await gateway.handle(chat(key, 'gpt-4o'));
    const unknown = await gateway.handle(chat(key, 'no-such-model'));
    const served = await gateway.handle(chat(key));

    expect([forbidden.status, unknown.status, served.status]).toEqual([403, 404, 200]);
  });

  it('counts a call\'s tokens, input and output, after it ended, and refuses once the minute\'s tokens reach the limit', async () => {
    const rates = new MemoryRateWindows();
    const gateway = gatewayWith(rates);
    const { key } = await keyWith({ tokensPerMinute: 80 });

    const first = await gateway.handle(chat(key));
    await gateway.drain();
    const second = await gateway.handle(chat(key));
    await gateway.drain();
    const third = await gateway.handle(chat(key));

    expect([first.status, second.status, third.status]).toEqual([200, 200, 429]);
    expect(JSON.parse(String(third.body)).error).toMatchObject({ code: 'tokens_rate_limit_exceeded', message: expect.stringContaining('80 tokens per minute') });
  });

  it('waits in drain() for token counts still being written', async () => {
    let written = 0;
    const slow: RateWindowStore = {
      take: async () => ({ admitted: true, counts: { requests: 1, tokens: 0 } }),
      giveBack: async () => {},
      addTokens: async () => {
        await new Promise((r) => setTimeout(r, 50));
        written++;
      },
    };
    const gateway = gatewayWith(slow);
    const { key } = await keyWith({ tokensPerMinute: 1_000 });

    await gateway.handle(chat(key));
    await gateway.drain();

    expect(written).toBe(1);
  });

  it('serves the call, and says so in the log, when the counters cannot be reached', async () => {
    const gateway = gatewayWith(failing('connect ECONNREFUSED'));
    const { key, id } = await keyWith({ requestsPerMinute: 1 });

    const res = await gateway.handle(chat(key));
    await gateway.drain();

    expect(res.status).toBe(200);
    expect(logged).toEqual([{ message: 'rate limit not checked: the store failed; request admitted', fields: expect.objectContaining({ scope: id }) }]);
  });

  it('never touches the counters for a key without limits', async () => {
    const gateway = gatewayWith(failing('must not be called'));
    const { key } = await keyWith({});

    expect((await gateway.handle(chat(key))).status).toBe(200);
    await gateway.drain();
    expect(logged).toEqual([]);
  });

  it('never touches the counters for a key without limits in a team without limits, and records the team', async () => {
    const teams = new MemoryTeamStore();
    const team = newTeam({ name: 'open' }, new Date(NOW));
    await teams.put(team);
    const minted = mintKey({ name: 'member', models: ['*'], teamId: team.id }, new Date(NOW));
    await keys.put(minted.record);
    const gateway = createGateway({ ...gatewayDeps(failing('must not be called')), teams });

    expect((await gateway.handle(chat(minted.key))).status).toBe(200);
    await gateway.drain();
    expect(logged).toEqual([]);
    expect(usage.records.map((r) => r.teamId)).toEqual([team.id]);
  });
});

describe('the gateway and per-key spend limits', () => {
  const NOW = Date.parse('2026-11-26T17:05:20Z');
  const DAY = { id: '2026-11-26' };
  const MONTH = { id: '2026-11' };
  let upstream: FakeOpenAI;
  let keys: MemoryKeyStore;
  let usage: MemoryUsageSink;
  beforeAll(async () => {
    upstream = await startFakeOpenAI({ apiKey: 'sk-up' });
  });
  afterAll(async () => upstream.close());
  beforeEach(() => {
    keys = new MemoryKeyStore();
    usage = new MemoryUsageSink();
    upstream.reset();
    upstream.reply(() => ({ kind: 'text', text: 'Hello there', usage: { prompt: 30, completion: 10 } }));
  });

  // $1 and $2 per million tokens: a token costs one or two micro-dollars.
  function gatewayWith(spend: SpendStore, logger = silentLogger): Gateway {
    const config = parseConfig({
      providers: [{ id: 'up', type: 'openai', baseUrl: upstream.url, accounts: [{ id: 'a', apiKey: { env: 'UP_KEY' } }] }],
      models: [
        { name: 'priced', price: { input: 1, output: 2 }, maxOutputTokens: 1_000, targets: [{ provider: 'up', model: 'gpt-4o-mini' }] },
        { name: 'dearer-backup', price: { input: 1, output: 2 }, targets: [{ provider: 'up', model: 'gpt-4o-mini' }, { provider: 'up', model: 'gpt-4o', price: { input: 1, output: 20 } }] },
        { name: 'unpriced', targets: [{ provider: 'up', model: 'gpt-4o-mini' }] },
      ],
      limits: { defaultMaxOutputTokens: 500 },
    });
    return createGateway({ config, keys, rates: new MemoryRateWindows(), spend, usage, now: () => NOW, logger, credentials: new LocalCredentials({ UP_KEY: 'sk-up' }) });
  }
  async function keyWith(limits: KeyLimits): Promise<{ key: string; id: string }> {
    const minted = mintKey({ name: 't', models: ['*'], limits }, new Date(NOW));
    await keys.put(minted.record);
    return { key: minted.key, id: minted.record.id };
  }
  const chat = (key: string, model: string, extra: object = {}) => request(key, '/v1/chat/completions', { model, messages: [{ role: 'user', content: 'hi' }], ...extra });

  it('records what every call cost at its target\'s price, with or without a budget', async () => {
    const gateway = gatewayWith(new MemorySpendStore());
    const { key } = await keyWith({});

    await gateway.handle(chat(key, 'priced'));
    await gateway.handle(chat(key, 'unpriced'));
    await gateway.drain();

    expect(usage.records.map((r) => r.costMicros)).toEqual([30 * 1 + 10 * 2, undefined]);
  });

  it('gives back what a call held in its budgets when its minute refuses it (both are asked at once)', async () => {
    const spend = new MemorySpendStore();
    const gateway = gatewayWith(spend);
    const { key, id } = await keyWith({ requestsPerMinute: 1, usdPerDay: 1 });

    const first = await gateway.handle(chat(key, 'priced', { max_tokens: 100 }));
    const second = await gateway.handle(chat(key, 'priced', { max_tokens: 100 }));
    await gateway.drain();

    expect([first.status, second.status]).toEqual([200, 429]);
    expect(spend.used(id, DAY)).toBe(50);
  });

  it('holds the worst case while a call runs, then keeps only what it cost', async () => {
    const spend = new MemorySpendStore();
    const gateway = gatewayWith(spend);
    const { key, id } = await keyWith({ usdPerDay: 1, usdPerMonth: 10 });
    let heldDuringCall = 0;
    upstream.reply(() => {
      heldDuringCall = spend.used(id, DAY);
      return { kind: 'text', text: 'Hello there', usage: { prompt: 30, completion: 10 } };
    });

    const res = await gateway.handle(chat(key, 'priced', { max_tokens: 100 }));
    await gateway.drain();

    expect(res.status).toBe(200);
    // The prompt as count_tokens estimates it, plus 100 output tokens at 2 micro-dollars.
    expect(heldDuringCall).toBeGreaterThan(200);
    expect(spend.used(id, DAY)).toBe(50);
    expect(spend.used(id, MONTH)).toBe(50);
    expect(usage.records[0]!.costMicros).toBe(50);
  });

  it.each([
    ['the request\'s max_tokens', { max_tokens: 2_000 }, 'priced', 4_000],
    ['max_completion_tokens, times n choices', { max_completion_tokens: 1_000, n: 3 }, 'priced', 6_000],
    ['the model\'s maxOutputTokens when the request names none', {}, 'priced', 2_000],
    ['the config\'s default otherwise', {}, 'dearer-backup', 500 * 20],
    ['the dearest target a failover could reach', { max_tokens: 100 }, 'dearer-backup', 100 * 20],
  ])('sizes a call\'s worst case by %s: refused without room for it, served with room', async (_name, extra, model, outputMicros) => {
    const spend = new MemorySpendStore();
    const gateway = gatewayWith(spend);
    // Room for the output alone, not for the prompt (~13 tokens at one micro-dollar) on top of it; then room for both.
    const tight = await keyWith({ usdPerDay: outputMicros / 1e6 });
    const roomy = await keyWith({ usdPerDay: (outputMicros + 100) / 1e6 });

    const refused = await gateway.handle(chat(tight.key, model, extra));
    await gateway.drain();
    const calledWhenRefused = upstream.requests.length;
    const served = await gateway.handle(chat(roomy.key, model, extra));
    await gateway.drain();

    expect(refused.status).toBe(429);
    expect(refused.headers['x-should-retry']).toBe('false');
    expect(JSON.parse(String(refused.body)).error).toMatchObject({ type: 'rate_limit_error', code: 'insufficient_quota', message: expect.stringContaining('a day (UTC)') });
    expect(calledWhenRefused).toBe(0);
    expect(spend.used(tight.id, DAY)).toBe(0);
    expect(usage.records[0]).toMatchObject({ status: 429, errorCode: 'insufficient_quota' });
    expect(served.status).toBe(200);
  });

  it('gives the day back when the month refuses the call', async () => {
    const spend = new MemorySpendStore();
    const gateway = gatewayWith(spend);
    const { key, id } = await keyWith({ usdPerDay: 1, usdPerMonth: 0.001 });

    const res = await gateway.handle(chat(key, 'priced', { max_tokens: 1_000 }));
    await gateway.drain();

    expect(res.status).toBe(429);
    expect(JSON.parse(String(res.body)).error.message).toContain('a month (UTC)');
    expect(spend.used(id, DAY)).toBe(0);
  });

  it('keeps nothing of a call the upstream failed', async () => {
    const spend = new MemorySpendStore();
    const gateway = gatewayWith(spend);
    const { key, id } = await keyWith({ usdPerDay: 1 });
    upstream.reply({ kind: 'error', status: 500 });

    const res = await gateway.handle(chat(key, 'priced'));
    await gateway.drain();

    expect(res.status).toBe(500);
    expect(spend.used(id, DAY)).toBe(0);
  });

  it('forbids a key with a budget a model that has no price, before the call takes a place in its minute', async () => {
    const gateway = gatewayWith(new MemorySpendStore());
    const { key } = await keyWith({ usdPerMonth: 5, requestsPerMinute: 1 });

    const res = await gateway.handle(chat(key, 'unpriced'));
    const calledWhenRefused = upstream.requests.length;
    const next = await gateway.handle(chat(key, 'priced'));

    expect(res.status).toBe(403);
    expect(JSON.parse(String(res.body)).error).toMatchObject({ code: 'model_not_priced', param: 'model' });
    expect(calledWhenRefused).toBe(0);
    expect(next.status).toBe(200);
  });

  it('refuses the call (503) when the budget cannot be checked, and says so in the log', async () => {
    const errors: string[] = [];
    const down: SpendStore = {
      reserve: async () => {
        throw new Error('connect ECONNREFUSED');
      },
      adjust: async () => undefined,
    };
    const gateway = gatewayWith(down, { ...silentLogger, error: (message: string) => void errors.push(message) });
    const { key } = await keyWith({ usdPerDay: 1 });

    const res = await gateway.handle(chat(key, 'priced'));

    expect(res.status).toBe(503);
    expect(JSON.parse(String(res.body)).error.code).toBe('spend_limit_unavailable');
    expect(upstream.requests).toHaveLength(0);
    expect(errors).toEqual(['spend limit not checked: the store failed; request refused']);
  });
});
