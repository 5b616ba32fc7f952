import Anthropic from '@anthropic-ai/sdk';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import OpenAI from 'openai';
import { mintKey } from '../lib/access/api-key';
import { parseConfig } from '../lib/config/load';
import { resolveForAws } from '../lib/config/resolve-for-aws';
import type { Gateway } from '../lib/gateway';
import { silentLogger } from '../lib/observe/logger';
import { DynamoKeyStore } from '../lib/store/keys';
import { browserFetch } from '../test/browser-fetch';
import { clearOfMinuteEnd } from '../test/minute-window';
import { startTestTable } from '../test/dynalite';
import { startFakeOpenAI, type FakeOpenAI } from '../test/fakes/openai';
import { RecordingStream, functionUrlEvent, lambdaContext, type StreamHandler } from '../test/lambda';
import { createProxyHandler, proxyFromEnvironment, type ProxyInstance } from './proxy';

const PAGE = 'https://chat.example.com';
const OPENAI_SECRET = 'aigw/Aigw/openai/main';
const FUNCTION_URL = 'https://abcdefghij.lambda-url.eu-west-1.on.aws';

// Provider keys come from here; the table is a real dynalite.
const sm = mockClient(SecretsManagerClient);

/**
 * A `fetch` whose server is the proxy handler behind its function URL (with no CORS of its own):
 * each request becomes a Function URL event, and the answer is what the handler streamed, status
 * and headers from its prelude.
 */
function functionUrlFetch(handler: StreamHandler): typeof fetch {
  return (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => (headers[name] = value));
    const body = init.body == null ? '' : Buffer.from(await new Response(init.body).arrayBuffer()).toString('base64');
    const method = init.method ?? 'GET';
    const event = {
      version: '2.0',
      routeKey: '$default',
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      headers,
      requestContext: { http: { method, path: url.pathname, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'browser' }, requestId: 'r' },
      body,
      isBase64Encoded: true,
    } as unknown as APIGatewayProxyEventV2;
    const stream = new RecordingStream();
    await handler(event, stream, lambdaContext(60_000));
    const status = stream.prelude?.statusCode ?? 200;
    return new Response(status === 204 ? null : stream.body, { status, headers: stream.prelude?.headers ?? {} });
  }) as typeof fetch;
}

describe('the Lambda proxy with cors in its baked config', () => {
  let db: Awaited<ReturnType<typeof startTestTable>>;
  let openai: FakeOpenAI;
  let instance: ProxyInstance;
  let handler: StreamHandler;
  let key: string;
  let environment: NodeJS.ProcessEnv;

  beforeAll(async () => {
    db = await startTestTable();
    openai = await startFakeOpenAI({ apiKey: 'sk-from-secrets-manager' });
    // What the stack bakes in: the operator's config with its credentials moved to Secrets Manager.
    const baked = resolveForAws(
      parseConfig({
        providers: [{ id: 'openai', type: 'openai', baseUrl: openai.url, accounts: [{ id: 'main', apiKey: { env: 'OPENAI_API_KEY' } }] }],
        models: [{ name: 'gpt-4o-mini', targets: [{ provider: 'openai', model: 'gpt-4o-mini' }] }],
        cors: { allowOrigins: [PAGE] },
      }),
      'Aigw',
    ).config;
    sm.on(GetSecretValueCommand, { SecretId: OPENAI_SECRET }).resolves({ Name: OPENAI_SECRET, SecretString: 'sk-from-secrets-manager' });
    environment = { GATEWAY_CONFIG_JSON: JSON.stringify(baked), GATEWAY_TABLE_NAME: db.table.tableName, DYNAMODB_ENDPOINT: db.dynamo.endpoint };
    instance = proxyFromEnvironment(environment);
    handler = createProxyHandler(() => instance.gateway, silentLogger, () => instance.cors) as unknown as StreamHandler;
    const minted = mintKey({ name: 'page', models: ['*'] }, new Date());
    key = minted.key;
    await new DynamoKeyStore(db.table).put(minted.record);
  });
  afterAll(async () => {
    await instance.gateway.close();
    await openai.close();
    await db.close();
    sm.restore();
  });
  beforeEach(() => {
    openai.reset();
    // The deployed logger writes JSON lines to stdout: kept out of the test's output.
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterEach(() => jest.restoreAllMocks());

  const browserOpenAI = (apiKey = key) => {
    const browser = browserFetch(PAGE, functionUrlFetch(handler));
    return { client: new OpenAI({ apiKey, baseURL: `${FUNCTION_URL}/v1`, maxRetries: 0, dangerouslyAllowBrowser: true, fetch: browser.fetch }), log: browser.log };
  };
  const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Say hello' }];

  it('answers a preflight itself, 204, without a key and without touching the table', async () => {
    // Prepare
    const send = jest.spyOn(DynamoDBClient.prototype, 'send');

    // Act
    const res = await functionUrlFetch(handler)(`${FUNCTION_URL}/v1/messages`, {
      method: 'OPTIONS',
      headers: { origin: PAGE, 'access-control-request-method': 'POST', 'access-control-request-headers': 'anthropic-dangerous-direct-browser-access,anthropic-version,content-type,x-api-key' },
    });
    await instance.gateway.drain();

    // Assess
    expect(res.status).toBe(204);
    expect(Object.fromEntries(res.headers)).toEqual({
      'access-control-allow-origin': PAGE,
      'access-control-allow-methods': 'GET, HEAD, POST, DELETE',
      'access-control-allow-headers': 'anthropic-dangerous-direct-browser-access, anthropic-version, content-type, x-api-key',
      'access-control-max-age': '7200',
      vary: 'origin, access-control-request-headers, access-control-request-private-network',
    });
    expect(send).not.toHaveBeenCalled();
  });

  it('answers a preflight on a cold instance without building its gateway: no provider secret read, the first call builds it', async () => {
    // Prepare: a fresh instance, as a cold start makes it.
    sm.resetHistory();
    const cold = proxyFromEnvironment(environment);
    const coldHandler = createProxyHandler(() => cold.gateway, silentLogger, () => cold.cors) as unknown as StreamHandler;
    const client = new OpenAI({ apiKey: key, baseURL: `${FUNCTION_URL}/v1`, maxRetries: 0, dangerouslyAllowBrowser: true, fetch: browserFetch(PAGE, functionUrlFetch(coldHandler)).fetch });
    openai.reply({ kind: 'text', text: 'built now' });

    // Act
    const preflight = await functionUrlFetch(coldHandler)(`${FUNCTION_URL}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: { origin: PAGE, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    const readByPreflight = sm.commandCalls(GetSecretValueCommand).length;
    const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages });

    // Assess
    expect(preflight.status).toBe(204);
    expect(readByPreflight).toBe(0);
    expect(completion.choices[0]!.message.content).toBe('built now');
    expect(sm.commandCalls(GetSecretValueCommand).length).toBeGreaterThan(0);
    await cold.gateway.close();
  });

  it('serves the OpenAI client in a browser, whole answers and streams, the request id readable', async () => {
    // Prepare
    const { client, log } = browserOpenAI();
    openai.reply({ kind: 'text', text: 'Hello from Lambda' });

    // Act
    const { data, response } = await client.chat.completions.create({ model: 'gpt-4o-mini', messages }).withResponse();
    openai.reply({ kind: 'text', text: 'streamed from Lambda' });
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';

    // Assess
    expect(data.choices[0]!.message.content).toBe('Hello from Lambda');
    expect(response.headers.get('x-request-id')).toBe('lambda-req-1');
    expect(text).toBe('streamed from Lambda');
    expect(log.preflights.map((p) => p.status)).toEqual([204, 204]);
    expect(log.answers.map((a) => a.headers.get('access-control-allow-origin'))).toEqual([PAGE, PAGE]);
  });

  it('lets the page read a 401 as the SDK’s AuthenticationError', async () => {
    // Act
    const error = await browserOpenAI('sk-not-ours').client.chat.completions.create({ model: 'gpt-4o-mini', messages }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('lets the page read a 429 as a RateLimitError, with its retry-after', async () => {
    // Prepare: a key allowed one request a minute, spent.
    const minted = mintKey({ name: 'one a minute', models: ['*'], limits: { requestsPerMinute: 1 } }, new Date());
    await new DynamoKeyStore(db.table).put(minted.record);
    const { client } = browserOpenAI(minted.key);
    // The deployed gateway runs on the real clock: both calls in one minute's window, or the second is let through.
    await clearOfMinuteEnd();
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages });

    // Act
    const error = await client.chat.completions.create({ model: 'gpt-4o-mini', messages }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(Number((error as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('serves the Anthropic client in a browser', async () => {
    // Prepare
    const browser = browserFetch(PAGE, functionUrlFetch(handler));
    const client = new Anthropic({ apiKey: key, baseURL: FUNCTION_URL, maxRetries: 0, dangerouslyAllowBrowser: true, fetch: browser.fetch });
    openai.reply({ kind: 'text', text: 'Hi, page' });

    // Act
    const message = await client.messages.create({ model: 'gpt-4o-mini', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });

    // Assess
    expect(message.content).toEqual([expect.objectContaining({ type: 'text', text: 'Hi, page' })]);
  });

  it('puts no CORS on /admin paths, which the proxy does not serve', async () => {
    // Act
    const res = await functionUrlFetch(handler)(`${FUNCTION_URL}/admin/keys`, { method: 'OPTIONS', headers: { origin: PAGE, 'access-control-request-method': 'GET' } });

    // Assess
    expect(res.status).not.toBe(204);
    expect([...res.headers.keys()].filter((name) => name.startsWith('access-control-') || name === 'vary')).toEqual([]);
  });

  it('answers in the caller’s dialect, readable by the page, when the gateway itself throws', async () => {
    // Prepare: a gateway breaking its contract.
    const broken = { ...instance.gateway, handle: async () => Promise.reject(new Error('a bug')) } as Gateway;
    const brokenHandler = createProxyHandler(() => broken, silentLogger, () => instance.cors) as unknown as StreamHandler;
    const client = new Anthropic({ apiKey: key, baseURL: FUNCTION_URL, maxRetries: 0, dangerouslyAllowBrowser: true, fetch: browserFetch(PAGE, functionUrlFetch(brokenHandler)).fetch });

    // Act
    const error = await client.messages.create({ model: 'gpt-4o-mini', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(Anthropic.InternalServerError);
    expect((error as InstanceType<typeof Anthropic.InternalServerError>).error).toEqual({ type: 'error', error: { type: 'api_error', message: 'The gateway failed to handle this request.' } });
  });

  it.each([
    ['the OpenAI client', '/v1/chat/completions', { error: { message: 'The gateway failed to handle this request.', type: 'server_error', param: null, code: null } }],
    ['the Anthropic client', '/v1/messages', { type: 'error', error: { type: 'api_error', message: 'The gateway failed to handle this request.' } }],
  ])('lets the page read the 500 for an event the door cannot read as a request (%s)', async (_client, path, body) => {
    // Prepare: an event without its requestContext, which the door cannot turn into a request.
    const event = { version: '2.0', rawPath: path, rawQueryString: '', headers: { Origin: PAGE, 'content-type': 'application/json' }, body: '{}', isBase64Encoded: false } as unknown as APIGatewayProxyEventV2;
    const stream = new RecordingStream();

    // Act
    await handler(event, stream, lambdaContext(60_000));

    // Assess
    expect(stream.prelude?.statusCode).toBe(500);
    expect(stream.prelude?.headers).toMatchObject({ 'access-control-allow-origin': PAGE, 'access-control-expose-headers': expect.stringContaining('x-request-id'), 'x-request-id': 'lambda-req-1' });
    expect(JSON.parse(stream.body)).toEqual(body);
  });

  it('answers the 500 of an instance whose config cannot be built without CORS, and without failing the invocation', async () => {
    // Prepare: the policy itself cannot be read (a config that fails at cold start).
    const failing = createProxyHandler(() => instance.gateway, silentLogger, () => {
      throw new Error('the deployed gateway config is invalid');
    }) as unknown as StreamHandler;
    const stream = new RecordingStream();

    // Act
    await failing(functionUrlEvent({ model: 'gpt-4o-mini', messages: [] }, { origin: PAGE }), stream, lambdaContext(60_000));

    // Assess
    expect(stream.prelude?.statusCode).toBe(500);
    expect(Object.keys(stream.prelude?.headers ?? {}).filter((name) => name.startsWith('access-control-'))).toEqual([]);
  });
});

describe('the Lambda proxy without cors', () => {
  it('sends no CORS headers, and leaves an OPTIONS to the gateway, as before', async () => {
    // Prepare: the handler without a policy, as a config without `cors` makes it.
    const gateway = { handle: async () => ({ status: 405, headers: { allow: 'POST' }, body: '{}' }), drain: async () => {} } as unknown as Gateway;
    const handler = createProxyHandler(() => gateway, silentLogger) as unknown as StreamHandler;

    // Act
    const res = await functionUrlFetch(handler)(`${FUNCTION_URL}/v1/chat/completions`, { method: 'OPTIONS', headers: { origin: PAGE, 'access-control-request-method': 'POST' } });

    // Assess
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect([...res.headers.keys()].filter((name) => name.startsWith('access-control-') || name === 'vary')).toEqual([]);
  });
});
