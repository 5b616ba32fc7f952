import OpenAI from 'openai';
import { parseConfig } from '../../lib/config/load';
import type { LocalGateway } from '../../lib/local/start';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai';
import { startInstances, type Instances } from './instances';
import { usageSince } from './usage-since';

/** Before any call: usage is read from this day on (`usageSince`). */
const STARTED_AT = Date.now();

/** Two gateway instances on one DynamoDB endpoint, as several Lambda instances share one table. */
describe('gateways sharing one store', () => {
  let upstream: FakeOpenAI;
  let instances: Instances;
  let a: LocalGateway;
  let b: LocalGateway;

  beforeAll(async () => {
    upstream = await startFakeOpenAI({ apiKey: 'sk-up' });
    const config = parseConfig({
      providers: [{ id: 'up', type: 'openai', baseUrl: upstream.url, accounts: [{ id: 'a', apiKey: { env: 'UP' } }] }],
      models: [{ name: 'gpt-4o-mini', targets: [{ provider: 'up', model: 'gpt-4o-mini' }] }],
    });
    instances = await startInstances({ config, count: 2, tableName: 'shared', credentials: { UP: 'sk-up' } });
    [a, b] = instances.gateways as [LocalGateway, LocalGateway];
  });
  afterAll(async () => {
    await instances.close();
    await upstream.close();
  });

  it('accepts on one instance a key created on the other, and both record usage in the same table', async () => {
    const { key, id } = await instances.createKey({ name: 'shared' });

    const viaB = await new OpenAI({ apiKey: key, baseURL: `${b.url}/v1`, maxRetries: 0 }).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    await new OpenAI({ apiKey: key, baseURL: `${a.url}/v1`, maxRetries: 0 }).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    await instances.drain();

    expect(viaB.choices[0]!.message.content).toBe('Echo: hi');
    expect(await usageSince(a.table, id, STARTED_AT)).toHaveLength(2);
  });
});
