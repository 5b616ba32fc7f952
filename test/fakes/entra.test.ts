import { AzureOpenAI } from 'openai';
import { startFakeAzureOpenAI, type FakeAzureOpenAI } from './azure-openai';
import { COGNITIVE_SERVICES_SCOPE, startFakeEntra, type FakeEntra } from './entra';

const TENANT = 'contoso.onmicrosoft.com';
const CLIENT = '0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0';
const SECRET = 'fake-entra-secret';
const GRANT = { grant_type: 'client_credentials', client_id: CLIENT, client_secret: SECRET, scope: COGNITIVE_SERVICES_SCOPE };

async function askToken(entra: FakeEntra, form: Record<string, string>, tenant = TENANT) {
  const res = await fetch(`${entra.url}/${tenant}/oauth2/v2.0/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('fake Entra ID token endpoint', () => {
  let entra: FakeEntra;
  let azure: FakeAzureOpenAI;
  beforeAll(async () => {
    entra = await startFakeEntra({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, expiresInS: 60 });
    azure = await startFakeAzureOpenAI({ entra });
  });
  afterEach(() => entra.refuse(undefined));
  afterAll(async () => {
    await azure.close();
    await entra.close();
  });

  it('issues a Bearer token for the client-credentials grant, which Azure then accepts from the official client', async () => {
    // Act
    const { status, body } = await askToken(entra, GRANT);
    const client = new AzureOpenAI({ endpoint: azure.url, apiVersion: '2024-10-21', deployment: 'gpt4o', azureADTokenProvider: async () => body.access_token as string, maxRetries: 0, timeout: 5_000 });
    const completion = await client.chat.completions.create({ model: 'gpt4o', messages: [{ role: 'user', content: 'hi' }] });

    // Assess
    expect(status).toBe(200);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 60, ext_expires_in: 60 });
    expect(completion.choices[0]!.message.content).toBe('Echo: hi');
    expect(azure.requests.at(-1)!.headers.authorization).toBe(`Bearer ${body.access_token as string}`);
  });

  it.each([
    ['an unknown tenant', GRANT, 'other-tenant', 400, 'invalid_tenant', 90002],
    ['another grant type', { ...GRANT, grant_type: 'password' }, TENANT, 400, 'unsupported_grant_type', 70003],
    ['an unknown client', { ...GRANT, client_id: 'someone-else' }, TENANT, 400, 'unauthorized_client', 700016],
    ['a wrong secret', { ...GRANT, client_secret: 'wrong' }, TENANT, 401, 'invalid_client', 7000215],
    ['a scope without /.default', { ...GRANT, scope: 'https://cognitiveservices.azure.com' }, TENANT, 400, 'invalid_scope', 1002012],
    ['another resource', { ...GRANT, scope: 'https://management.azure.com/.default' }, TENANT, 400, 'invalid_resource', 500011],
  ])('refuses %s as Entra does', async (_what, form, tenant, status, error, code) => {
    // Act
    const answer = await askToken(entra, form, tenant);

    // Assess
    expect(answer.status).toBe(status);
    expect(answer.body).toMatchObject({ error, error_codes: [code] });
    expect(answer.body.error_description).toMatch(new RegExp(`^AADSTS${code}: .*\\r\\nTrace ID: `));
  });

  it('refuses every request when told to', async () => {
    // Act
    entra.refuse('unavailable');
    const down = await askToken(entra, GRANT);
    entra.refuse('invalid_client');
    const rotated = await askToken(entra, GRANT);

    // Assess
    expect([down.status, down.body.error]).toEqual([503, 'temporarily_unavailable']);
    expect([rotated.status, rotated.body.error]).toEqual([401, 'invalid_client']);
  });

  it('lets Azure refuse a revoked token, an unknown one and a key, as a resource with key auth disabled does', async () => {
    // Prepare
    const { body } = await askToken(entra, GRANT);
    const token = body.access_token as string;
    entra.revoke(token);
    const call = (headers: Record<string, string>) =>
      fetch(`${azure.url}/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"messages":[{"role":"user","content":"hi"}]}' });

    // Act
    const statuses = [(await call({ authorization: `Bearer ${token}` })).status, (await call({ authorization: 'Bearer forged' })).status];
    const keyed = await call({ 'api-key': 'some-key' });

    // Assess
    expect(statuses).toEqual([401, 401]);
    expect(keyed.status).toBe(403);
    expect(await keyed.json()).toMatchObject({ error: { code: 'AuthenticationTypeDisabled' } });
  });
});
