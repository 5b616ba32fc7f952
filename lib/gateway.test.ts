import { mintKey } from './access/api-key';
import { parseConfig } from './config/load';
import { LocalCredentials } from './credentials/local';
import { createGateway, type Gateway } from './gateway';
import type { GatewayRequest } from './http/types';
import { MemoryKeyStore } from './store/keys';
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
    gateway = createGateway({ config, keys, usage, credentials: new LocalCredentials({ UP_KEY: 'sk-up' }) });
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
