/**
 * Two upstream messages the gateway relays in its own words, and what they must not carry to a
 * key holder: AWS's words about the gateway's credentials in an exception frame of a Claude
 * stream passed through from Bedrock (they name the role ARN and account), and the project a
 * Gemini quota message names (`project_number:…`, `projects/…`). Both go to the request's access
 * log line instead. Bedrock and Gemini are fakes on loopback speaking their wire formats.
 */
import { parseConfig } from '../../lib/config/load';
import { LocalCredentials } from '../../lib/credentials/local';
import { startLocalGateway, type LocalGateway } from '../../lib/local/start';
import type { GatewayLogger } from '../../lib/observe/logger';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic';
import { startFakeBedrock, type FakeBedrock } from '../fakes/bedrock';
import { googleErrors } from '../fakes/gemini-wire';
import { startFakeGemini, type FakeGemini } from '../fakes/gemini';

const AWS = { accessKeyId: 'AKIDRELAYEDDETAILS01', secretAccessKey: 'relayed/details+secret/0000' };
const ROLE_WORDS = 'User: arn:aws:sts::444455556666:assumed-role/aigw-bedrock/aigw-aws-main is not authorized to perform: bedrock:InvokeModelWithResponseStream on resource: arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0';
const PROJECT_NUMBER = '987654321012';
const QUOTA_WORDS = `Quota exceeded for quota metric 'Generate Content API requests per minute' and limit 'GenerateContent request limit per minute for a region' of service 'generativelanguage.googleapis.com' for consumer 'project_number:${PROJECT_NUMBER}'.`;

describe('relayed upstream messages without the operator’s details', () => {
  let gw: LocalGateway;
  let key: string;
  let bedrock: FakeBedrock;
  let gemini: FakeGemini;
  let anthropic: FakeAnthropic;
  const logged: string[] = [];

  beforeAll(async () => {
    bedrock = await startFakeBedrock({ ...AWS, region: 'us-east-1' });
    gemini = await startFakeGemini({ apiKey: 'gemini-key' });
    anthropic = await startFakeAnthropic({ apiKey: 'sk-ant-operator' });
    const record = (level: string) => (...args: unknown[]) => void logged.push(`${level} ${JSON.stringify(args)}`);
    const logger: GatewayLogger = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
    gw = await startLocalGateway({
      config: parseConfig({
        providers: [
          { id: 'aws', type: 'bedrock', region: 'us-east-1', baseUrl: bedrock.url, accounts: [{ id: 'main', awsCredentials: { accessKeyId: { env: 'AWS_ID' }, secretAccessKey: { env: 'AWS_SECRET' } } }] },
          { id: 'google', type: 'gemini', baseUrl: gemini.url, accounts: [{ id: 'main', apiKey: { env: 'GEMINI_KEY' } }] },
          { id: 'anth', type: 'anthropic', baseUrl: anthropic.url, accounts: [{ id: 'main', apiKey: { env: 'ANTHROPIC_KEY' } }] },
        ],
        models: [
          { name: 'claude-aws', targets: [{ provider: 'aws', model: 'anthropic.claude-sonnet-4-5-20250929-v1:0' }] },
          { name: 'gemini-2.5-flash', targets: [{ provider: 'google', model: 'gemini-2.5-flash' }] },
          { name: 'claude-direct', targets: [{ provider: 'anth', model: 'claude-sonnet-4-5' }] },
        ],
      }),
      adminToken: 'admin',
      store: { embedded: undefined },
      shareHealth: false,
      logger,
      credentials: new LocalCredentials({ AWS_ID: AWS.accessKeyId, AWS_SECRET: AWS.secretAccessKey, GEMINI_KEY: 'gemini-key', ANTHROPIC_KEY: 'sk-ant-operator' }),
    });
    const created = await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: { authorization: 'Bearer admin' }, body: '{"name":"holder"}' });
    key = ((await created.json()) as { key: string }).key;
  });
  afterAll(async () => {
    await gw.close();
    await Promise.all([bedrock.close(), gemini.close(), anthropic.close()]);
  });
  beforeEach(() => {
    bedrock.reset();
    gemini.reset();
    anthropic.reset();
  });

  /** The access log line of one request (written on the turn after its answer). */
  async function accessLine(requestId: string): Promise<string> {
    await gw.gateway.drain();
    const line = logged.find((l) => l.includes('"request"') && l.includes(`"requestId":"${requestId}"`));
    if (!line) throw new Error(`no access log line for ${requestId}`);
    return line;
  }

  async function claudeStream(): Promise<{ body: string; line: string }> {
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-aws', stream: true, max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
    const body = await res.text();
    return { body, line: await accessLine(res.headers.get('x-request-id') ?? '') };
  }

  /** The data of the stream's `event: error`. */
  const errorEvent = (body: string) => JSON.parse(/event: error\ndata: (.*)\n/.exec(body)?.[1] ?? 'null') as { error: { type: string; message: string } } | null;

  it.each(['accessDeniedException', 'unrecognizedClientException', 'expiredTokenException'])('ends a passed-through Claude stream on Bedrock’s %s without AWS’s words, and logs them', async (type) => {
    // Prepare
    bedrock.reply({ kind: 'exception', type, afterEvents: 2, message: ROLE_WORDS });

    // Act
    const { body, line } = await claudeStream();

    // Assess
    const event = errorEvent(body);
    expect(event?.error.message).toMatch(/^The upstream provider "aws" rejected the gateway's AWS credentials \(\w+Exception\)\.$/);
    expect(body).not.toContain('444455556666');
    expect(body).not.toContain('arn:aws');
    expect(line).toContain('444455556666:assumed-role/aigw-bedrock');
  });

  it('keeps AWS’s words on a throttling exception mid-stream, which speak of the call', async () => {
    bedrock.reply({ kind: 'exception', type: 'throttlingException', afterEvents: 2, message: 'Too many tokens, please wait before trying again.' });

    const { body } = await claudeStream();

    expect(errorEvent(body)?.error).toEqual({ type: 'rate_limit_error', message: 'Too many tokens, please wait before trying again.' });
  });

  it.each([
    ['an OpenAI client (translated)', 'openai'],
    ['a Gemini client (the same dialect, re-encoded in Google’s shape)', 'gemini'],
  ] as const)('tells %s of a Gemini quota without the project, and logs it', async (_case, surface) => {
    // Prepare
    gemini.reply({ kind: 'error', status: 429, body: googleErrors.body(429, 'RESOURCE_EXHAUSTED', QUOTA_WORDS, [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '9s' }]) });
    const [path, headers, request] =
      surface === 'openai'
        ? ['/v1/chat/completions', { authorization: `Bearer ${key}` }, { model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }] }]
        : ['/v1beta/models/gemini-2.5-flash:generateContent', { 'x-goog-api-key': key }, { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }];

    // Act
    const res = await fetch(`${gw.url}${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(request) });
    const body = await res.text();
    const line = await accessLine(res.headers.get('x-request-id') ?? '');

    // Assess
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('9');
    expect(body).not.toContain(PROJECT_NUMBER);
    expect((JSON.parse(body) as { error: { message: string } }).error.message).toBe(QUOTA_WORDS.replace(`project_number:${PROJECT_NUMBER}`, 'the provider account'));
    expect(line).toContain(`project_number:${PROJECT_NUMBER}`);
  });
  it('tells an OpenAI client of Anthropic refusing the gateway’s key mid-stream without Anthropic’s words, and logs them', async () => {
    // Prepare
    const said = 'invalid x-api-key (organization org-operator-4821 disabled)';
    anthropic.reply({ kind: 'stream-error', afterEvents: 2, errorType: 'authentication_error', message: said });

    // Act
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-direct', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const body = await res.text();
    const line = await accessLine(res.headers.get('x-request-id') ?? '');

    // Assess
    expect(body).toContain('rejected the gateway\'s credentials (authentication_error)');
    expect(body).not.toContain('org-operator-4821');
    expect(line).toContain('org-operator-4821');
  });

  it('logs Anthropic’s words when it refuses the gateway’s key inside a passed-through Claude stream', async () => {
    // Prepare
    const said = 'invalid x-api-key (organization org-operator-4821 disabled)';
    anthropic.reply({ kind: 'stream-error', afterEvents: 2, errorType: 'authentication_error', message: said });

    // Act
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-direct', stream: true, max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }),
    });
    await res.text();
    const line = await accessLine(res.headers.get('x-request-id') ?? '');

    // Assess: the stream's bytes are Anthropic's own (relayed as they are); the log keeps what it said.
    expect(line).toContain('org-operator-4821');
  });
});
