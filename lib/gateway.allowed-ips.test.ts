import { mintKey } from './access/api-key';
import { parseConfig } from './config/load';
import { LocalCredentials } from './credentials/local';
import { createGateway, type Gateway } from './gateway';
import type { GatewayRequest } from './http/types';
import { MemoryKeyStore } from './store/keys';
import { MemoryRateWindows } from './store/rate-windows';
import { MemorySpendStore } from './store/spend';
import { MemoryUsageSink } from './usage/record';
import { startFakeOpenAI, type FakeOpenAI } from '../test/fakes/openai';

const NO_QUERY = new URLSearchParams();
const CHAT = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };
const MESSAGES = { model: 'gpt-4o-mini', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };

/** A request by `key` from `sourceIp`: a body makes it a POST. */
function request(key: string, sourceIp: string, path: string, body?: object, headers: Record<string, string> = {}): GatewayRequest {
  return {
    method: body ? 'POST' : 'GET',
    path,
    query: NO_QUERY,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: Buffer.from(body ? JSON.stringify(body) : ''),
    sourceIp,
    requestId: `r-${Math.random()}`,
  };
}

const errorOf = (res: { body: unknown }) => JSON.parse(String(res.body)) as { error: { type: string; code?: string; message: string } };

describe('the gateway and a key\'s address list', () => {
  let upstream: FakeOpenAI;
  let keys: MemoryKeyStore;
  let usage: MemoryUsageSink;
  let gateway: Gateway;
  /** The gateway's clock, fixed: a case's calls share one per-minute rate window. */
  const NOW = Date.now();
  beforeAll(async () => {
    upstream = await startFakeOpenAI({ apiKey: 'sk-up' });
  });
  afterAll(async () => upstream.close());
  beforeEach(() => {
    upstream.reset();
    keys = new MemoryKeyStore();
    usage = new MemoryUsageSink();
    const config = parseConfig({
      providers: [{ id: 'up', type: 'openai', baseUrl: upstream.url, accounts: [{ id: 'a', apiKey: { env: 'UP_KEY' } }] }],
      models: [{ name: 'gpt-4o-mini', targets: [{ provider: 'up', model: 'gpt-4o-mini' }] }],
    });
    gateway = createGateway({ config, keys, rates: new MemoryRateWindows(), spend: new MemorySpendStore(), usage, now: () => NOW, credentials: new LocalCredentials({ UP_KEY: 'sk-up' }) });
  });
  afterEach(async () => gateway.close());

  async function keyAllowedFrom(allowedIps: string[], limits = {}): Promise<{ key: string; id: string }> {
    const minted = mintKey({ name: 't', models: ['*'], allowedIps, limits }, new Date());
    await keys.put(minted.record);
    return { key: minted.key, id: minted.record.id };
  }

  // Every route a gateway key opens: the list holds on each. Model calls and token counts book
  // a refusal to the key (as they do the key's other refusals); model lists leave no usage record.
  const ROUTES: [string, (key: string, ip: string) => GatewayRequest, { booked: boolean }][] = [
    ['a chat completion', (key, ip) => request(key, ip, '/v1/chat/completions', CHAT), { booked: true }],
    ['a Messages API call', (key, ip) => request(key, ip, '/v1/messages', MESSAGES, { 'anthropic-version': '2023-06-01' }), { booked: true }],
    ['a token count', (key, ip) => request(key, ip, '/v1/messages/count_tokens', MESSAGES, { 'anthropic-version': '2023-06-01' }), { booked: true }],
    ['the model list', (key, ip) => request(key, ip, '/v1/models'), { booked: false }],
  ];

  it.each(ROUTES)('serves %s from inside the list, an IPv4 client on a dual-stack socket included', async (_name, make) => {
    const { key } = await keyAllowedFrom(['10.0.0.0/8', '2001:db8::/32']);

    const v4 = await gateway.handle(make(key, '10.1.2.3'));
    const mapped = await gateway.handle(make(key, '::ffff:10.1.2.3'));
    const v6 = await gateway.handle(make(key, '2001:db8::7'));

    expect([v4.status, mapped.status, v6.status]).toEqual([200, 200, 200]);
  });

  it.each(ROUTES)('refuses %s from outside the list with 403, naming the address, before anything goes upstream', async (_name, make, { booked }) => {
    const { key, id } = await keyAllowedFrom(['10.0.0.0/8']);

    const res = await gateway.handle(make(key, '192.0.2.44'));
    await gateway.drain();

    expect(res.status).toBe(403);
    expect(errorOf(res).error).toMatchObject({ type: 'permission_error', message: 'This API key may not be used from the address 192.0.2.44.' });
    expect(upstream.requests).toHaveLength(0);
    expect(usage.records.map((r) => [r.keyId, r.status, r.errorCode])).toEqual(booked ? [[id, 403, 'ip_not_allowed']] : []);
  });

  it('answers each client in its own error shape', async () => {
    const { key } = await keyAllowedFrom(['10.0.0.0/8']);

    const openai = await gateway.handle(request(key, '192.0.2.44', '/v1/chat/completions', CHAT));
    const anthropic = await gateway.handle(request(key, '192.0.2.44', '/v1/messages', MESSAGES, { 'anthropic-version': '2023-06-01' }));

    expect(errorOf(openai)).toEqual({ error: { message: 'This API key may not be used from the address 192.0.2.44.', type: 'permission_error', param: null, code: 'ip_not_allowed' } });
    expect(JSON.parse(String(anthropic.body))).toMatchObject({ type: 'error', error: { type: 'permission_error', message: 'This API key may not be used from the address 192.0.2.44.' } });
  });

  it('records a refused model call against its key, like its other refusals, and spends none of its per-minute place', async () => {
    const { key, id } = await keyAllowedFrom(['10.0.0.0/8'], { requestsPerMinute: 1 });

    const refused = await gateway.handle(request(key, '192.0.2.44', '/v1/chat/completions', CHAT));
    const served = await gateway.handle(request(key, '10.0.0.1', '/v1/chat/completions', CHAT));
    await gateway.drain();

    expect([refused.status, served.status]).toEqual([403, 200]);
    expect(usage.records.map((r) => [r.keyId, r.status, r.errorCode ?? null])).toEqual([
      [id, 403, 'ip_not_allowed'],
      [id, 200, null],
    ]);
  });

  it('does not take the address from X-Forwarded-For, which any client can write', async () => {
    const { key } = await keyAllowedFrom(['10.0.0.0/8']);

    const res = await gateway.handle(request(key, '192.0.2.44', '/v1/chat/completions', CHAT, { 'x-forwarded-for': '10.1.2.3' }));

    expect(res.status).toBe(403);
  });

  it('sees a change to the list once the cached key has been read again', async () => {
    const { key, id } = await keyAllowedFrom(['10.0.0.0/8']);
    const short = createGateway({
      config: parseConfig({
        providers: [{ id: 'up', type: 'openai', baseUrl: upstream.url, accounts: [{ id: 'a', apiKey: { env: 'UP_KEY' } }] }],
        models: [{ name: 'gpt-4o-mini', targets: [{ provider: 'up', model: 'gpt-4o-mini' }] }],
        keyCache: { ttlSeconds: 0 },
      }),
      keys,
      rates: new MemoryRateWindows(),
      spend: new MemorySpendStore(),
      usage,
      credentials: new LocalCredentials({ UP_KEY: 'sk-up' }),
    });

    const before = await short.handle(request(key, '192.0.2.44', '/v1/models'));
    await keys.update(id, { allowedIps: ['192.0.2.0/24'] });
    const after = await short.handle(request(key, '192.0.2.44', '/v1/models'));
    await keys.update(id, { allowedIps: null });
    const removed = await short.handle(request(key, '198.51.100.1', '/v1/models'));
    await short.close();

    expect([before.status, after.status, removed.status]).toEqual([403, 200, 200]);
  });
});
