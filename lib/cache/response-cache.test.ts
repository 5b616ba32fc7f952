import { mintKey, type KeyLimits } from '../access/api-key';
import { isErrorBody } from './response-cache';
import { parseConfig } from '../config/load';
import { LocalCredentials } from '../credentials/local';
import { createGateway, type Gateway } from '../gateway';
import { isStreamBody, type GatewayRequest, type GatewayResponse } from '../http/types';
import { MemoryKeyStore } from '../store/keys';
import { MemoryRateWindows } from '../store/rate-windows';
import { MemoryResponseCache } from '../store/response-cache';
import { MemorySpendStore } from '../store/spend';
import { MemoryUsageSink } from '../usage/record';
import { startFakeOpenAI, type FakeOpenAI } from '../../test/fakes/openai';
import { fuzzer } from '../../test/fuzz';

/** What the cache costs a call, counted at the store: the gateway with in-memory stores. */
const NO_QUERY = new URLSearchParams();
const request = (key: string, path: string, body: object, headers: Record<string, string> = {}): GatewayRequest => ({
  method: 'POST',
  path,
  query: NO_QUERY,
  headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
  body: Buffer.from(JSON.stringify(body)),
  sourceIp: '127.0.0.1',
  requestId: `r-${Math.random()}`,
});


async function read(res: GatewayResponse): Promise<void> {
  if (isStreamBody(res.body)) for await (const _chunk of res.body);
}

describe('the response cache in the gateway', () => {
  let upstream: FakeOpenAI;
  let store: MemoryResponseCache;
  let spend: MemorySpendStore;
  let gateway: Gateway;
  let keys: MemoryKeyStore;
  let usage: MemoryUsageSink;
  /** The gateway's clock, fixed: a case's calls share one per-minute rate window. */
  const NOW = Date.now();
  const keyWith = async (limits?: KeyLimits) => {
    const minted = mintKey({ name: 't', models: ['*'], ...(limits ? { limits } : {}) }, new Date());
    await keys.put(minted.record);
    return minted.key;
  };

  beforeAll(async () => {
    upstream = await startFakeOpenAI({ apiKey: 'sk-up' });
    keys = new MemoryKeyStore();
    store = new MemoryResponseCache();
    spend = new MemorySpendStore();
    const targets = [{ provider: 'up', model: 'gpt-4o-mini' }];
    const config = parseConfig({
      providers: [{ id: 'up', type: 'openai', baseUrl: upstream.url, accounts: [{ id: 'a', apiKey: { env: 'UP_KEY' } }] }],
      models: [
        { name: 'plain', price: { input: 1, output: 1 }, targets },
        { name: 'cached', price: { input: 1, output: 1 }, targets, cache: {} },
      ],
    });
    usage = new MemoryUsageSink();
    gateway = createGateway({ config, keys, rates: new MemoryRateWindows(), spend, usage, now: () => NOW, credentials: new LocalCredentials({ UP_KEY: 'sk-up' }), responseCache: store });
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });
  beforeEach(() => {
    store.gets = 0;
    store.puts = 0;
  });

  it('never reads or writes the cache for a model without `cache`, whatever the call (200 random calls)', async () => {
    const key = await keyWith();
    const { random: next, pick } = fuzzer(20261126, { names: [], scalars: [] });
    const seen = new Set<string | undefined>();
    const statuses = new Set<number>();

    for (let i = 0; i < 200; i++) {
      const text = `call ${Math.floor(next() * 5)}`;
      const stream = next() < 0.5;
      const headers = pick<Record<string, string>>([{}, { 'cache-control': 'no-cache' }, { 'cache-control': 'no-store' }]);
      const call = pick([
        () => request(key, '/v1/chat/completions', { model: 'plain', messages: [{ role: 'user', content: text }], stream, temperature: pick([0, 1]) }, headers),
        () => request(key, '/v1/completions', { model: 'plain', prompt: text, stream }, headers),
        () => request(key, '/v1/embeddings', { model: 'plain', input: text }, headers),
        () => request(key, '/v1/responses', { model: 'plain', input: text, stream }, headers),
      ]);
      const res = await gateway.handle(call());
      await read(res);
      seen.add(res.headers['x-aigw-cache']);
      statuses.add(res.status);
    }
    await gateway.drain();

    expect({ gets: store.gets, puts: store.puts, headers: [...seen], statuses: [...statuses] }).toEqual({ gets: 0, puts: 0, headers: [undefined], statuses: [200] });
  });

  it('costs a cached model one read per call, and one write after a miss only', async () => {
    const key = await keyWith();
    const body = { model: 'cached', messages: [{ role: 'user', content: 'count me' }] };

    const miss = await gateway.handle(request(key, '/v1/chat/completions', body));
    await gateway.drain();
    const hit = await gateway.handle(request(key, '/v1/chat/completions', body));
    await gateway.drain();

    expect([miss.headers['x-aigw-cache'], hit.headers['x-aigw-cache']]).toEqual(['miss', 'hit']);
    expect({ gets: store.gets, puts: store.puts }).toEqual({ gets: 2, puts: 1 });
  });

  it('counts a hit against requestsPerMinute', async () => {
    const key = await keyWith({ requestsPerMinute: 2 });
    const body = { model: 'cached', messages: [{ role: 'user', content: 'limited' }] };

    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const res = await gateway.handle(request(key, '/v1/chat/completions', body));
      await gateway.drain();
      statuses.push(`${res.status} ${res.headers['x-aigw-cache'] ?? ''}`.trim());
    }

    expect(statuses).toEqual(['200 miss', '200 hit', '429']);
  });

  it('holds no budget for a hit: a key with a budget reserves once, for the miss', async () => {
    const key = await keyWith({ usdPerDay: 5 });
    const body = { model: 'cached', messages: [{ role: 'user', content: 'budgeted' }] };
    const reserve = jest.spyOn(spend, 'reserve');

    await gateway.handle(request(key, '/v1/chat/completions', body));
    await gateway.drain();
    const hit = await gateway.handle(request(key, '/v1/chat/completions', body));
    await gateway.drain();

    expect(hit.headers['x-aigw-cache']).toBe('hit');
    expect(reserve).toHaveBeenCalledTimes(1);
    reserve.mockRestore();
  });

  it('does not serve the old model\'s answers once the config sends the name to another upstream model', async () => {
    const key = await keyWith();
    const body = { model: 'cached', messages: [{ role: 'user', content: 'rerouted' }] };
    const rerouted = parseConfig({
      providers: [{ id: 'up', type: 'openai', baseUrl: upstream.url, accounts: [{ id: 'a', apiKey: { env: 'UP_KEY' } }] }],
      models: [{ name: 'cached', price: { input: 1, output: 1 }, targets: [{ provider: 'up', model: 'gpt-4o' }], cache: {} }],
    });
    const after = createGateway({ config: rerouted, keys, rates: new MemoryRateWindows(), spend, usage: new MemoryUsageSink(), credentials: new LocalCredentials({ UP_KEY: 'sk-up' }), responseCache: store });

    await gateway.handle(request(key, '/v1/chat/completions', body));
    await gateway.drain();
    const before = upstream.requests.length;
    const res = await after.handle(request(key, '/v1/chat/completions', body));
    await after.close();

    expect(res.headers['x-aigw-cache']).toBe('miss');
    expect(upstream.requests.slice(before).map((r) => (r.body as { model?: string }).model)).toEqual(['gpt-4o']);
  });

  it('does not store a whole answer that is an error with status 200 (as some OpenAI-compatible upstreams send): the next call goes upstream', async () => {
    const key = await keyWith();
    const body = { model: 'cached', messages: [{ role: 'user', content: 'an error in a 200' }] };
    upstream.reply({ kind: 'raw', status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: { message: 'The server had an error while processing your request.', type: 'server_error' } }) });

    try {
      const first = await gateway.handle(request(key, '/v1/chat/completions', body));
      await gateway.drain();
      upstream.reset();
      const again = await gateway.handle(request(key, '/v1/chat/completions', body));

      expect([first.status, store.puts]).toEqual([200, 0]);
      expect([again.headers['x-aigw-cache'], String(again.body)]).toEqual(['miss', expect.stringContaining('Echo: an error in a 200')]);
    } finally {
      upstream.reset();
    }
  });

  it('books a replayed stream the client left after its first event as aborted, as it would a stream from the upstream', async () => {
    const key = await keyWith();
    const body = { model: 'cached', stream: true, messages: [{ role: 'user', content: 'one two three four five six seven eight' }] };
    await read(await gateway.handle(request(key, '/v1/chat/completions', body)));
    await gateway.drain();

    const hit = await gateway.handle(request(key, '/v1/chat/completions', body));
    const events = (hit.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    await events.next();
    await events.return?.();
    await gateway.drain();

    expect(hit.headers['x-aigw-cache']).toBe('hit');
    expect(usage.records.at(-1)).toMatchObject({ cache: 'hit', outcome: 'aborted', costMicros: 0 });
  });

  it('does not replay a stream without obfuscation padding to a client that did not turn it off', async () => {
    const key = await keyWith();
    const body = { model: 'cached', stream: true, messages: [{ role: 'user', content: 'padded or not' }] };
    const streamed = async (extra: object) => {
      const res = await gateway.handle(request(key, '/v1/chat/completions', { ...body, ...extra }));
      const parts: Buffer[] = [];
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) parts.push(Buffer.from(chunk));
      await gateway.drain();
      return { cache: res.headers['x-aigw-cache'], padded: Buffer.concat(parts).toString().includes('"obfuscation"') };
    };

    expect(await streamed({ stream_options: { include_obfuscation: false } })).toEqual({ cache: 'miss', padded: false });
    expect(await streamed({})).toEqual({ cache: 'miss', padded: true });
    expect(await streamed({})).toEqual({ cache: 'hit', padded: true });
  });

  it('serves an answer stored under a longer ttlSeconds only for the model\'s ttlSeconds now (an admin who shortens it)', async () => {
    const key = await keyWith();
    const body = { model: 'cached', messages: [{ role: 'user', content: 'shortened' }] };
    let clock = Date.now();
    const withTtl = (ttlSeconds: number) =>
      createGateway({
        config: parseConfig({
          providers: [{ id: 'up', type: 'openai', baseUrl: upstream.url, accounts: [{ id: 'a', apiKey: { env: 'UP_KEY' } }] }],
          models: [{ name: 'cached', price: { input: 1, output: 1 }, targets: [{ provider: 'up', model: 'gpt-4o-mini' }], cache: { ttlSeconds } }],
        }),
        keys,
        rates: new MemoryRateWindows(),
        spend,
        usage,
        credentials: new LocalCredentials({ UP_KEY: 'sk-up' }),
        responseCache: store,
        now: () => clock,
      });
    const before = withTtl(30 * 86_400);
    const after = withTtl(60);

    await before.handle(request(key, '/v1/chat/completions', body));
    await before.close();
    clock += 30_000;
    const within = await after.handle(request(key, '/v1/chat/completions', body));
    clock += 60_000;
    const past = await after.handle(request(key, '/v1/chat/completions', body));
    await after.close();

    expect([within.headers['x-aigw-cache'], past.headers['x-aigw-cache']]).toEqual(['hit', 'miss']);
  });

  it('answers a call whose cache read fails as a miss, from the upstream', async () => {
    const key = await keyWith();
    const get = jest.spyOn(store, 'get').mockRejectedValueOnce(new Error('table unreachable'));

    const res = await gateway.handle(request(key, '/v1/chat/completions', { model: 'cached', messages: [{ role: 'user', content: 'unlucky' }] }));

    expect([res.status, res.headers['x-aigw-cache']]).toEqual([200, 'miss']);
    get.mockRestore();
  });
});

describe('isErrorBody', () => {
  it.each([
    ['application/json', '{"error":{"message":"overloaded","type":"server_error"}}', true],
    ['application/json; charset=utf-8', '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}', true],
    ['application/json', '{\n  "error": {\n    "code": 503,\n    "status": "UNAVAILABLE"\n  }\n}', true],
    ['application/json', '{"object":"response","status":"completed","error":null}', false],
    ['application/json', '{"object":"chat.completion","choices":[]}', false],
    ['application/json', '[{"error":1}]', false],
    ['application/json', 'not json', false],
    ['text/plain', '{"error":"x"}', false],
  ])('reads %s %s as an error: %s', (contentType, text, error) => {
    expect(isErrorBody(contentType, Buffer.from(text))).toBe(error);
  });
});
