/**
 * What a key holder is told when the gateway's own credentials or connections fail: the provider
 * and account (the operator's labels) and what failed, never the operator's infrastructure (a
 * role ARN, an Entra tenant and client, a service account, a host, a secret's or variable's name,
 * an upstream's words about the gateway's credentials). Those go to the request's access log line.
 * The callers speak OpenAI's, Anthropic's and Gemini's APIs through the local server, with raw
 * `fetch` so the whole body is read; STS, Entra and Google are fakes on loopback, and the
 * unreachable ones are ports nothing listens on.
 */
import { parseConfig } from '../../lib/config/load';
import { LocalCredentials } from '../../lib/credentials/local';
import { startLocalGateway, type LocalGateway } from '../../lib/local/start';
import type { GatewayLogger } from '../../lib/observe/logger';
import { startFakeEntra, type FakeEntra } from '../fakes/entra';
import { startFakeGoogleOAuth, testServiceAccount, type FakeGoogleOAuth } from '../fakes/google-oauth';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai';
import { startFakeSts, type FakeSts } from '../fakes/sts';
import { CLOSED_LOOPBACK_URLS } from '../fakes/closed-ports';

const REGION = 'eu-west-1';
const GATEWAY_AWS = { accessKeyId: 'AKIDGATEWAYOPERATOR1', secretAccessKey: 'gateway/operator+secret/0000' };
const ROLE = 'arn:aws:iam::666666666666:role/aigw-bedrock-deleted';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0';
const SA_EMAIL = 'aigw-old@aigw-prod-4821.iam.gserviceaccount.com';
const SA_DOWN_EMAIL = 'aigw-gateway@aigw-prod-4821.iam.gserviceaccount.com';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:aigw/openai-prod-AbCdEf';
const MISSING_ENV = 'AIGW_OPENAI_PROD_KEY';
const MISSING_AWS_ENV = 'AIGW_BEDROCK_ACCESS_KEY_ID';


describe('what a client is told of the operator’s credentials and connections', () => {
  let gw: LocalGateway;
  let key: string;
  let sts: FakeSts;
  let entra: FakeEntra;
  let google: FakeGoogleOAuth;
  let openai: FakeOpenAI;
  const dead: Record<'entra' | 'google' | 'openai', string> = { entra: '', google: '', openai: '' };
  const logged: string[] = [];
  const savedEnv = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

  beforeAll(async () => {
    // The gateway's own AWS identity (the SDK's default chain reads the environment first), which STS knows but no role trusts.
    process.env.AWS_ACCESS_KEY_ID = GATEWAY_AWS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = GATEWAY_AWS.secretAccessKey;
    sts = await startFakeSts({ ...GATEWAY_AWS, region: REGION, roles: {} });
    entra = await startFakeEntra({ tenantId: TENANT, clientId: CLIENT, clientSecret: 'the-rotated-secret' });
    google = await startFakeGoogleOAuth({ accounts: [] });
    openai = await startFakeOpenAI({ apiKey: 'sk-operator' });
    [dead.entra, dead.google, dead.openai] = CLOSED_LOOPBACK_URLS;
    const deleted = testServiceAccount(SA_EMAIL);
    const elsewhere = testServiceAccount(SA_DOWN_EMAIL);
    const principal = { tenantId: TENANT, clientId: CLIENT, clientSecret: { env: 'AZURE_CLIENT_SECRET' } };
    const record = (level: string) => (...args: unknown[]) => void logged.push(`${level} ${JSON.stringify(args)}`);
    const logger: GatewayLogger = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
    const one = (name: string, provider: string, model = 'm') => ({ name, targets: [{ provider, model }] });
    gw = await startLocalGateway({
      config: parseConfig({
        providers: [
          { id: 'bedrock-role', type: 'bedrock', region: REGION, baseUrl: dead.openai, stsEndpoint: sts.url, accounts: [{ id: 'gone', assumeRole: { roleArn: ROLE } }] },
          { id: 'bedrock-keys', type: 'bedrock', region: REGION, baseUrl: dead.openai, accounts: [{ id: 'keys', awsCredentials: { accessKeyId: { env: MISSING_AWS_ENV }, secretAccessKey: { env: MISSING_AWS_ENV } } }] },
          { id: 'azure-refused', type: 'azure-openai', baseUrl: dead.openai, apiVersion: '2024-10-21', accounts: [{ id: 'west', entra: { ...principal, authorityHost: entra.url } }] },
          { id: 'azure-down', type: 'azure-openai', baseUrl: dead.openai, apiVersion: '2024-10-21', accounts: [{ id: 'north', entra: { ...principal, authorityHost: dead.entra } }] },
          { id: 'vertex-deleted', type: 'vertex', project: 'aigw-prod-4821', region: 'us-east5', baseUrl: dead.openai, accounts: [{ id: 'old', serviceAccount: { env: 'SA_DELETED' } }] },
          { id: 'vertex-down', type: 'vertex', project: 'aigw-prod-4821', region: 'us-east5', baseUrl: dead.openai, accounts: [{ id: 'main', serviceAccount: { env: 'SA_DOWN' } }] },
          { id: 'openai-env', type: 'openai', baseUrl: dead.openai, accounts: [{ id: 'prod', apiKey: { env: MISSING_ENV } }] },
          { id: 'openai-secret', type: 'openai', baseUrl: dead.openai, accounts: [{ id: 'prod', apiKey: { secret: SECRET_ARN } }] },
          { id: 'openai-down', type: 'openai', baseUrl: dead.openai, accounts: [{ id: 'prod', apiKey: { env: 'OPENAI_KEY' } }] },
          { id: 'openai-up', type: 'openai', baseUrl: openai.url, accounts: [{ id: 'prod', apiKey: { env: 'OPENAI_KEY' } }] },
        ],
        models: [
          one('claude-role', 'bedrock-role', 'anthropic.claude-sonnet-4-5-20250929-v1:0'),
          one('claude-keys', 'bedrock-keys', 'anthropic.claude-sonnet-4-5-20250929-v1:0'),
          one('gpt-entra-refused', 'azure-refused', 'gpt4o'),
          one('gpt-entra-down', 'azure-down', 'gpt4o'),
          one('gemini-deleted', 'vertex-deleted', 'gemini-2.5-flash'),
          one('gemini-down', 'vertex-down', 'gemini-2.5-flash'),
          one('gpt-env', 'openai-env', 'gpt-4o'),
          one('gpt-secret', 'openai-secret', 'gpt-4o'),
          one('gpt-down', 'openai-down', 'gpt-4o'),
          one('gpt-up', 'openai-up', 'gpt-4o'),
          one('claude-up', 'openai-up', 'gpt-4o'),
        ],
      }),
      adminToken: 'admin',
      store: { embedded: undefined },
      shareHealth: false,
      logger,
      credentials: new LocalCredentials({ AZURE_CLIENT_SECRET: 'a-client-secret', SA_DELETED: deleted.keyJson(google.tokenUri), SA_DOWN: elsewhere.keyJson(`${dead.google}/token`), OPENAI_KEY: 'sk-operator' }),
    });
    const created = await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: { authorization: 'Bearer admin' }, body: '{"name":"holder"}' });
    key = ((await created.json()) as { key: string }).key;
  });
  afterAll(async () => {
    await gw.close();
    await Promise.all([sts.close(), entra.close(), google.close(), openai.close()]);
    process.env.AWS_ACCESS_KEY_ID = savedEnv.id;
    process.env.AWS_SECRET_ACCESS_KEY = savedEnv.secret;
    if (savedEnv.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
    if (savedEnv.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
  });

  /** One call in the caller's dialect: the status, the whole body and the request id. */
  async function ask(surface: 'openai' | 'anthropic' | 'gemini', model: string): Promise<{ status: number; body: string; requestId: string }> {
    const messages = [{ role: 'user', content: 'hi' }];
    const [path, headers, body] =
      surface === 'openai'
        ? ['/v1/chat/completions', { authorization: `Bearer ${key}` }, { model, messages }]
        : surface === 'anthropic'
          ? ['/v1/messages', { 'x-api-key': key, 'anthropic-version': '2023-06-01' }, { model, messages, max_tokens: 16 }]
          : [`/v1beta/models/${model}:generateContent`, { 'x-goog-api-key': key }, { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }];
    const res = await fetch(`${gw.url}${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: await res.text(), requestId: res.headers.get('x-request-id') ?? '' };
  }

  /** The access log line of one request (written on the turn after its answer). */
  async function accessLine(requestId: string): Promise<string> {
    await gw.gateway.drain();
    const line = logged.find((l) => l.includes('"request"') && l.includes(`"requestId":"${requestId}"`));
    if (!line) throw new Error(`no access log line for ${requestId}`);
    return line;
  }

  const host = (url: string) => new URL(url).host;

  it.each([
    ['an assumed role STS refuses', 'openai', 'claude-role', 'upstream_assume_role_denied', 'provider "bedrock-role" account "gone"', () => [ROLE, '666666666666']],
    ['an AWS access key whose variable is unset', 'anthropic', 'claude-keys', 'upstream_credentials_missing', 'provider "bedrock-keys" account "keys"', () => [MISSING_AWS_ENV]],
    ['an Entra principal refused', 'openai', 'gpt-entra-refused', 'upstream_credentials_missing', 'provider "azure-refused" account "west"', () => [TENANT, CLIENT, 'AADSTS']],
    ['an Entra endpoint unreachable', 'anthropic', 'gpt-entra-down', 'upstream_credentials_unavailable', 'provider "azure-down" account "north"', () => [TENANT, CLIENT, host(dead.entra)]],
    ['a service account Google refuses', 'gemini', 'gemini-deleted', 'upstream_credentials_missing', 'provider "vertex-deleted" account "old"', () => [SA_EMAIL, 'invalid_grant']],
    ['a Google token endpoint unreachable', 'gemini', 'gemini-down', 'upstream_credentials_unavailable', 'provider "vertex-down" account "main"', () => [SA_DOWN_EMAIL, host(dead.google)]],
    ['an API key whose variable is unset', 'openai', 'gpt-env', 'upstream_credentials_missing', 'provider "openai-env" account "prod"', () => [MISSING_ENV]],
    ['an API key in Secrets Manager (not read locally)', 'anthropic', 'gpt-secret', 'upstream_credentials_missing', 'provider "openai-secret" account "prod"', () => [SECRET_ARN]],
    ['an upstream unreachable', 'openai', 'gpt-down', 'upstream_unreachable', 'upstream provider', () => [host(dead.openai)]],
  ] as const)('tells the client of %s without the operator’s details, and logs them', async (_case, surface, model, code, named, hidden) => {
    // Act
    const { status, body, requestId } = await ask(surface, model);
    const line = await accessLine(requestId);

    // Assess
    expect(status).toBe(502);
    expect(requestId).not.toBe('');
    const error = (JSON.parse(body) as { error: { message: string; code?: unknown } }).error;
    if (surface === 'openai') expect(error.code).toBe(code);
    expect(error.message).toContain(named);
    for (const detail of hidden()) {
      expect(body).not.toContain(detail);
      expect(line).toContain(detail);
    }
    expect(line).toContain(`"errorCode":"${code}"`);
  });

  it.each([
    ['OpenAI’s (passed through)', 'gpt-up', '/v1/chat/completions', { authorization: 'Bearer KEY' }, {}],
    ['Anthropic’s (translated)', 'claude-up', '/v1/messages', { 'x-api-key': 'KEY', 'anthropic-version': '2023-06-01' }, { max_tokens: 64 }],
  ])('ends a stream the upstream broke off with a neutral in-band error in %s dialect, and logs the socket’s words', async (_case, model, path, headers, extra) => {
    // Prepare
    openai.reply({ kind: 'drop', afterChunks: 2 });
    const withKey = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.replace('KEY', key)]));

    // Act
    const res = await fetch(`${gw.url}${path}`, {
      method: 'POST',
      headers: { ...withKey, 'content-type': 'application/json' },
      body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'tell me a long story' }], ...extra }),
    });
    const body = await res.text();
    const line = await accessLine(res.headers.get('x-request-id') ?? '');

    // Assess
    expect(res.status).toBe(200);
    expect(body).toContain('The upstream provider broke off the stream.');
    expect(body).not.toContain(host(openai.url));
    expect(line).toContain('"errorCode":"upstream_interrupted"');
    expect(line).toMatch(/"errorDetail":"[^"]+"/);
  });
});
