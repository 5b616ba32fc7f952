import OpenAI from 'openai';
import { parseConfig } from '../../lib/config/load';
import { LocalCredentials } from '../../lib/credentials/local';
import type { GatewayLogger } from '../../lib/observe/logger';
import { startLocalGateway, type LocalGateway } from '../../lib/local/start';
import { AccountHealth } from '../../lib/routing/health';
import { startFakeAzureOpenAI, type FakeAzureOpenAI } from '../fakes/azure-openai';
import { startFakeEntra, type FakeEntra } from '../fakes/entra';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0';
const CLIENT_SECRET = 'Xq8Q~entra.client-secret_value';
const AZURE_KEY = 'azure-key-0123456789';
/** Tokens live two seconds here (the cache's margins shrink with the lifetime). */
const TOKEN_LIFETIME_S = 2;

describe('Azure OpenAI with Microsoft Entra ID, through the gateway', () => {
  let entra: FakeEntra;
  /** A second authority whose principal the gateway holds a stale secret for: every token request is refused. */
  let refusing: FakeEntra;
  /** A third authority that is unwell (503 temporarily_unavailable) while a test says so. */
  let flaky: FakeEntra;
  /** A resource with key auth disabled: Entra tokens only. */
  let azure: FakeAzureOpenAI;
  /** A resource that takes its key, the failover target. */
  let keyed: FakeAzureOpenAI;
  let gw: LocalGateway;
  let client: OpenAI;
  const logged: string[] = [];
  const health = new AccountHealth();
  /**
   * The gateway's clock, which the fake Entra's tokens expire by too. It stands still until a test
   * moves it: a token lapses when the test says so, not when a loaded machine gets round to a
   * timer, and none lapses between the gateway taking it and Azure checking it.
   */
  let nowMs = Date.now();
  const clock = () => nowMs;

  beforeAll(async () => {
    entra = await startFakeEntra({ tenantId: TENANT, clientId: CLIENT, clientSecret: CLIENT_SECRET, expiresInS: TOKEN_LIFETIME_S, now: clock });
    refusing = await startFakeEntra({ tenantId: TENANT, clientId: CLIENT, clientSecret: 'the-rotated-secret' });
    flaky = await startFakeEntra({ tenantId: TENANT, clientId: CLIENT, clientSecret: CLIENT_SECRET });
    azure = await startFakeAzureOpenAI({ entra });
    keyed = await startFakeAzureOpenAI({ apiKey: AZURE_KEY });
    const principal = { tenantId: TENANT, clientId: CLIENT, clientSecret: { env: 'AZURE_CLIENT_SECRET' } };
    const record = (level: string) => (...args: unknown[]) => void logged.push(`${level} ${JSON.stringify(args)}`);
    const logger: GatewayLogger = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
    gw = await startLocalGateway({
      config: parseConfig({
        providers: [
          // The principal as the provider's default, on the deployments path.
          { id: 'azure', type: 'azure-openai', baseUrl: azure.url, apiVersion: '2024-10-21', entra: { ...principal, authorityHost: entra.url }, accounts: [{ id: 'east' }] },
          // The principal on the account, on the v1 path.
          { id: 'azure-v1', type: 'azure-openai', baseUrl: azure.url, accounts: [{ id: 'v1', entra: { ...principal, authorityHost: entra.url } }] },
          { id: 'azure-refused', type: 'azure-openai', baseUrl: azure.url, apiVersion: '2024-10-21', accounts: [{ id: 'west', entra: { ...principal, authorityHost: refusing.url } }] },
          { id: 'azure-flaky', type: 'azure-openai', baseUrl: azure.url, apiVersion: '2024-10-21', accounts: [{ id: 'north', entra: { ...principal, authorityHost: flaky.url } }] },
          { id: 'azure-key', type: 'azure-openai', baseUrl: keyed.url, apiVersion: '2024-10-21', accounts: [{ id: 'key', apiKey: { env: 'AZURE_KEY' } }] },
        ],
        models: [
          { name: 'gpt-4o', targets: [{ provider: 'azure', model: 'gpt4o' }] },
          { name: 'gpt-4o-v1', targets: [{ provider: 'azure-v1', model: 'gpt4o' }] },
          { name: 'text-embedding-3-small', targets: [{ provider: 'azure', model: 'embed-small' }] },
          { name: 'gpt-4o-flaky', targets: [{ provider: 'azure-flaky', model: 'gpt4o' }] },
          { name: 'gpt-4o-refused', targets: [{ provider: 'azure-refused', model: 'gpt4o' }] },
          { name: 'gpt-4o-failover', targets: [{ provider: 'azure-refused', model: 'gpt4o' }, { provider: 'azure-key', model: 'gpt4o' }] },
        ],
      }),
      adminToken: 'admin',
      now: clock,
      store: { embedded: undefined },
      shareHealth: false,
      health,
      logger,
      credentials: new LocalCredentials({ AZURE_CLIENT_SECRET: CLIENT_SECRET, AZURE_KEY }),
    });
    const created = await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: { authorization: 'Bearer admin' }, body: '{"name":"entra"}' });
    client = new OpenAI({ apiKey: ((await created.json()) as { key: string }).key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await gw.close();
    await Promise.all([entra.close(), refusing.close(), flaky.close(), azure.close(), keyed.close()]);
  });

  /** The Bearer tokens the Azure resource received, oldest first. */
  const bearersAtAzure = () => azure.requests.map((r) => /^Bearer (.+)$/.exec(r.headers.authorization ?? '')?.[1]);

  it('answers a chat call with a token from Entra, sent as a Bearer token and never as api-key', async () => {
    // Act
    const completion = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });

    // Assess
    expect(completion.choices[0]!.message.content).toBe('Echo: hi');
    const [sent] = azure.requests.slice(-1);
    expect(sent!.path).toBe('/openai/deployments/gpt4o/chat/completions');
    expect(sent!.headers['api-key']).toBeUndefined();
    expect(bearersAtAzure().at(-1)).toBe(entra.issued.at(-1));
    const [asked] = entra.requests;
    expect(Object.fromEntries(new URLSearchParams(asked!.rawBody))).toEqual({
      grant_type: 'client_credentials',
      client_id: CLIENT,
      client_secret: CLIENT_SECRET,
      scope: 'https://cognitiveservices.azure.com/.default',
    });
  });

  it('streams a chat call on the v1 path with the account’s own principal', async () => {
    // Act
    const stream = await client.chat.completions.create({ model: 'gpt-4o-v1', messages: [{ role: 'user', content: 'stream me' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';

    // Assess
    expect(text).toBe('Echo: stream me');
    expect(azure.requests.at(-1)!.path).toBe('/openai/v1/chat/completions');
    expect(entra.issued).toContain(bearersAtAzure().at(-1));
  });

  it('embeds with the same token: concurrent calls share one token request', async () => {
    // Prepare: let the cached token lapse so the calls below all need a new one.
    nowMs += TOKEN_LIFETIME_S * 1000;
    const before = entra.requests.length;

    // Act
    const answers = await Promise.all(Array.from({ length: 4 }, (_, i) => client.embeddings.create({ model: 'text-embedding-3-small', input: `text ${i}` })));

    // Assess
    expect(answers.every((a) => a.data[0]!.embedding.length > 0)).toBe(true);
    expect(entra.requests.length - before).toBe(1);
    expect(new Set(bearersAtAzure().slice(-4))).toEqual(new Set([entra.issued.at(-1)]));
  });

  it('fetches a new token when the last one expired between two calls', async () => {
    // Prepare
    await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'first' }] });
    const first = bearersAtAzure().at(-1)!;

    // Act: the token's life runs out.
    nowMs += TOKEN_LIFETIME_S * 1000;
    const later = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'second' }] });

    // Assess
    const second = bearersAtAzure().at(-1)!;
    expect(later.choices[0]!.message.content).toBe('Echo: second');
    expect(second).not.toBe(first);
    expect(entra.accepts(first)).toBe(false);
    expect(entra.issued.at(-1)).toBe(second);
  });

  it('drops a token Azure refuses (revoked), so the next call fetches a fresh one', async () => {
    // Prepare
    await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'before' }] });
    const revoked = bearersAtAzure().at(-1)!;
    entra.revoke(revoked);

    // Act
    const refused = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'refused' }] }).catch((e: unknown) => e);
    const after = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'after' }] });

    // Assess
    expect(refused).toMatchObject({ status: 502, code: 'upstream_auth_failed' });
    expect(after.choices[0]!.message.content).toBe('Echo: after');
    expect(bearersAtAzure().slice(-2)).toEqual([revoked, entra.issued.at(-1)]);
  });

  it('reports a refused token request to the client without the principal, and logs Entra’s reason, never the secret', async () => {
    // Act
    const err = await client.chat.completions.create({ model: 'gpt-4o-refused', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);

    // Assess
    expect(err).toMatchObject({ status: 502 });
    const message = (err as Error).message;
    expect(message).toContain('The gateway has no usable credentials for provider "azure-refused" account "west"');
    for (const operators of [CLIENT, TENANT, CLIENT_SECRET]) expect(message).not.toContain(operators);
    const requestId = (err as InstanceType<typeof OpenAI.APIError>).requestID;
    await gw.gateway.drain();
    const line = logged.find((l) => l.includes('"request"') && l.includes(`"requestId":"${requestId}"`));
    expect(line).toContain(`Entra ID refused the token request of client ${CLIENT} in tenant ${TENANT} (401 invalid_client: AADSTS7000215: Invalid client secret provided.`);
    expect(refusing.refused).toEqual(['invalid_client']);
  });

  it('fails over from an account whose token is refused to a key account, and lets the refused one rest', async () => {
    // Prepare: every account healthy, so the refused one is tried first.
    health.clear();
    const asked = refusing.requests.length;
    keyed.reset();

    // Act
    const first = await client.chat.completions.create({ model: 'gpt-4o-failover', messages: [{ role: 'user', content: 'one' }] });
    const askedByFirst = refusing.requests.length - asked;
    const second = await client.chat.completions.create({ model: 'gpt-4o-failover', messages: [{ role: 'user', content: 'two' }] });

    // Assess
    expect([first.choices[0]!.message.content, second.choices[0]!.message.content]).toEqual(['Echo: one', 'Echo: two']);
    expect(keyed.requests.map((r) => r.headers['api-key'])).toEqual([AZURE_KEY, AZURE_KEY]);
    expect(askedByFirst).toBe(1);
    // The refused account rests: the second call went to the key account first and Entra was not asked again.
    expect(refusing.requests.length - asked).toBe(1);
    expect(logged.some((line) => line.includes('account resting') && line.includes('"account":"west"') && line.includes('"failure":"auth"'))).toBe(true);
  });

  it('rests an account whose token endpoint is unwell (503) as a failing one, not for a minute as one with a refused secret', async () => {
    // Prepare
    health.clear();
    flaky.refuse('unavailable');
    const failed = jest.spyOn(health, 'failed');

    // Act
    const err = await client.chat.completions.create({ model: 'gpt-4o-flaky', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    const rests = [...failed.mock.calls];
    failed.mockRestore();
    flaky.refuse(undefined);

    // Assess
    expect(err).toMatchObject({ status: 502, code: 'upstream_credentials_unavailable' });
    expect((err as Error).message).toContain('its identity provider could not be reached or did not answer');
    expect(logged.some((l) => l.includes('upstream attempt failed') && l.includes('503 temporarily_unavailable'))).toBe(true);
    expect(flaky.refused).toEqual(['temporarily_unavailable']);
    expect(rests).toEqual([['azure-flaky/north', 'error', undefined]]);
  });

  it('logs neither the client secret nor a token', () => {
    // Assess: the cases above logged refusals, rests and access lines.
    expect(logged.length).toBeGreaterThan(0);
    const all = logged.join('\n');
    expect(all).not.toContain(CLIENT_SECRET);
    for (const token of [...entra.issued, ...refusing.issued]) expect(all).not.toContain(token);
  });
});
