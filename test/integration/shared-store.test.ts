import OpenAI from 'openai';
import { parseConfig } from '../../lib/config/load';
import { LocalCredentials } from '../../lib/credentials/local';
import { startDynalite, type EmbeddedDynamo } from '../../lib/local/dynalite';
import { startLocalGateway, type LocalGateway } from '../../lib/local/start';
import { listUsage } from '../../lib/store/usage';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai';

/** Two gateway instances on one DynamoDB endpoint, as several Lambda instances share one table. */
describe('gateways sharing one store', () => {
  let dynamo: EmbeddedDynamo;
  let upstream: FakeOpenAI;
  let a: LocalGateway;
  let b: LocalGateway;

  beforeAll(async () => {
    dynamo = await startDynalite();
    upstream = await startFakeOpenAI({ apiKey: 'sk-up' });
    const config = parseConfig({
      providers: [{ id: 'up', type: 'openai', baseUrl: upstream.url, accounts: [{ id: 'a', apiKey: { env: 'UP' } }] }],
      models: [{ name: 'gpt-4o-mini', targets: [{ provider: 'up', model: 'gpt-4o-mini' }] }],
    });
    const start = () => startLocalGateway({ config, adminToken: 'admin', store: { endpoint: dynamo.endpoint }, tableName: 'shared', credentials: new LocalCredentials({ UP: 'sk-up' }) });
    a = await start();
    b = await start();
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await upstream.close();
    await dynamo.close();
  });

  it('accepts on one instance a key created on the other, and both record usage in the same table', async () => {
    const created = await fetch(`${a.url}/admin/keys`, { method: 'POST', headers: { authorization: 'Bearer admin' }, body: JSON.stringify({ name: 'shared' }) });
    const { key, id } = (await created.json()) as { key: string; id: string };

    const viaB = await new OpenAI({ apiKey: key, baseURL: `${b.url}/v1`, maxRetries: 0 }).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    await new OpenAI({ apiKey: key, baseURL: `${a.url}/v1`, maxRetries: 0 }).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    await a.gateway.drain();
    await b.gateway.drain();

    expect(viaB.choices[0]!.message.content).toBe('Echo: hi');
    expect(await listUsage(a.table, id, new Date().toISOString().slice(0, 10))).toHaveLength(2);
  });
});
