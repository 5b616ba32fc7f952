import OpenAI from 'openai';
import { parseConfig } from '../../lib/config/load';
import { LocalCredentials } from '../../lib/credentials/local';
import { startLocalGateway, type LocalGateway } from '../../lib/local/start';
import { AccountHealth } from '../../lib/routing/health';
import { rendezvousOrder, stickyKeyOf } from '../../lib/routing/sticky';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai';
import { startInstances, type Instances } from './instances';

/**
 * A pool of two accounts (each its own fake upstream, so the one that served is known): a
 * conversation keeps to one account, conversations spread over both, and a resting account's
 * conversations move to its sibling and stay there.
 */
describe('routing over a pool of accounts', () => {
  let first: FakeOpenAI;
  let second: FakeOpenAI;
  let key: string;
  const gateways: LocalGateway[] = [];
  const health = new AccountHealth();

  async function start(sticky: boolean): Promise<LocalGateway> {
    const config = parseConfig({
      providers: [
        {
          id: 'pool',
          type: 'openai',
          baseUrl: first.url,
          accounts: [
            { id: 'one', baseUrl: first.url, apiKey: { env: 'UP' } },
            { id: 'two', baseUrl: second.url, apiKey: { env: 'UP' } },
          ],
        },
      ],
      models: [{ name: 'gpt-4o-mini', targets: [{ provider: 'pool', model: 'gpt-4o-mini' }] }],
      routing: { sticky },
    });
    const gw = await startLocalGateway({ config, adminToken: 'admin', store: { embedded: undefined }, health, shareHealth: false, credentials: new LocalCredentials({ UP: 'sk-up' }) });
    gateways.push(gw);
    return gw;
  }

  beforeAll(async () => {
    first = await startFakeOpenAI({ apiKey: 'sk-up' });
    second = await startFakeOpenAI({ apiKey: 'sk-up' });
  });
  afterAll(async () => {
    for (const gw of gateways) await gw.close();
    await first.close();
    await second.close();
  });
  beforeEach(() => {
    first.reset();
    second.reset();
    first.requests.length = 0;
    second.requests.length = 0;
    health.clear();
  });

  async function keyFor(gw: LocalGateway): Promise<string> {
    const res = await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: { authorization: 'Bearer admin' }, body: JSON.stringify({ name: 'routing' }) });
    return ((await res.json()) as { key: string }).key;
  }
  /** Which account served each of the calls made since the last reset. */
  const servedBy = () => [...first.requests.map(() => ({ by: 'one' })), ...second.requests.map(() => ({ by: 'two' }))];
  const conversation = (n: number, turns: number): OpenAI.ChatCompletionMessageParam[] => [
    { role: 'system', content: 'You are a careful coding assistant.' },
    { role: 'user', content: `Task ${n}: refactor the parser.` },
    ...Array.from({ length: turns }, (_, i): OpenAI.ChatCompletionMessageParam[] => [
      { role: 'assistant', content: `Step ${i} done.` },
      { role: 'user', content: `Continue with step ${i + 1}.` },
    ]).flat(),
  ];

  it('keeps every turn of a conversation on one account, and spreads conversations over both', async () => {
    const gw = await start(true);
    key = await keyFor(gw);
    const client = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });

    for (let turn = 0; turn < 8; turn++) await client.chat.completions.create({ model: 'gpt-4o-mini', messages: conversation(1, turn) });
    const oneConversation = new Set(servedBy().map((s) => s.by));
    first.requests.length = 0;
    second.requests.length = 0;
    for (let n = 0; n < 40; n++) await client.chat.completions.create({ model: 'gpt-4o-mini', messages: conversation(100 + n, 0) });

    expect(oneConversation.size).toBe(1);
    expect(first.requests.length).toBeGreaterThan(8);
    expect(second.requests.length).toBeGreaterThan(8);
  });

  it('keeps a user on one account across conversations when the client names the user', async () => {
    const gw = await start(true);
    const client = new OpenAI({ apiKey: await keyFor(gw), baseURL: `${gw.url}/v1`, maxRetries: 0 });

    for (let n = 0; n < 10; n++) await client.chat.completions.create({ model: 'gpt-4o-mini', user: 'dev-42', messages: conversation(n, 0) });

    expect(new Set(servedBy().map((s) => s.by)).size).toBe(1);
  });

  it('moves a conversation to the other account while its own rests, and keeps it there (its prompt cache is there now) once its own is healthy again', async () => {
    const gw = await start(true);
    const client = new OpenAI({ apiKey: await keyFor(gw), baseURL: `${gw.url}/v1`, maxRetries: 0 });
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: conversation(7, 0) });
    const home = first.requests.length ? first : second;
    const other = home === first ? second : first;
    // Another conversation at home on the same account: it shows the account serves again.
    const homeId = home === first ? 'one' : 'two';
    const accounts = [{ id: 'one', weight: 1 }, { id: 'two', weight: 1 }];
    const neighbour = [8, 9, 10, 11, 12, 13, 14, 15].find((n) => rendezvousOrder(accounts, stickyKeyOf('openai', {}, { messages: conversation(n, 0) })!)[0]!.id === homeId)!;
    home.reply({ kind: 'error', status: 429, headers: { 'retry-after': '30' } });

    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: conversation(7, 1) });
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: conversation(7, 2) });
    const homeCallsWhileResting = home.requests.length;
    home.reset(); // answers again (and forgets its requests)
    health.clear(); // as when the 30 s are over
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: conversation(7, 3) });
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: conversation(neighbour, 0) });

    expect(homeCallsWhileResting).toBe(2); // the first call, and the one refused with 429
    expect(other.requests).toHaveLength(3); // the refused call's failover, the call while resting, and the one after
    expect(home.requests).toHaveLength(1); // the neighbour's
  });

  it('draws an account by weight for every call when sticky routing is off', async () => {
    const gw = await start(false);
    const client = new OpenAI({ apiKey: await keyFor(gw), baseURL: `${gw.url}/v1`, maxRetries: 0 });

    for (let i = 0; i < 30; i++) await client.chat.completions.create({ model: 'gpt-4o-mini', messages: conversation(1, 0) });

    expect(first.requests.length).toBeGreaterThan(3);
    expect(second.requests.length).toBeGreaterThan(3);
  });
});

/** Two instances on one table: one instance's 429 spares the other its own. */
describe('resting accounts shared between instances', () => {
  let primary: FakeOpenAI;
  let backup: FakeOpenAI;
  let instances: Instances;
  let a: LocalGateway;
  let b: LocalGateway;
  let key: string;

  beforeAll(async () => {
    primary = await startFakeOpenAI({ apiKey: 'sk-up' });
    backup = await startFakeOpenAI({ apiKey: 'sk-up' });
    const config = parseConfig({
      providers: [
        { id: 'primary', type: 'openai', baseUrl: primary.url, accounts: [{ id: 'a', apiKey: { env: 'UP' } }] },
        { id: 'backup', type: 'openai', baseUrl: backup.url, accounts: [{ id: 'b', apiKey: { env: 'UP' } }] },
      ],
      models: [
        { name: 'gpt-4o', targets: [{ provider: 'primary', model: 'gpt-4o' }, { provider: 'backup', model: 'gpt-4o' }] },
        { name: 'other', targets: [{ provider: 'backup', model: 'other' }] },
      ],
    });
    instances = await startInstances({ config, count: 2, tableName: 'health', credentials: { UP: 'sk-up' } });
    [a, b] = instances.gateways as [LocalGateway, LocalGateway];
    key = (await instances.createKey({ name: 'shared' })).key;
  });
  afterAll(async () => {
    await instances.close();
    await primary.close();
    await backup.close();
  });

  it('tells the other instances, which then try the resting account last without having to fail on it', async () => {
    const ask = (gw: LocalGateway, model = 'gpt-4o') => new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 }).chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });
    primary.reply({ kind: 'error', status: 429, headers: { 'retry-after': '30' } });

    await ask(a);
    await a.gateway.drain(); // the rest is written
    await ask(b, 'other'); // b's first model call starts its read of the rests (it does not wait for it)
    await new Promise((resolve) => setTimeout(resolve, 200));
    const primaryCallsBefore = primary.requests.length;
    const answer = await ask(b);

    expect(primaryCallsBefore).toBe(1);
    expect(primary.requests).toHaveLength(1);
    expect(answer.choices[0]!.message.content).toBe('Echo: hi');
  });
});
