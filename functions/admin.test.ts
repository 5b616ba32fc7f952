import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { spendPeriods } from '../lib/access/spend-limits';
import type { TableRef } from '../lib/store/dynamo';
import { DynamoSpendStore } from '../lib/store/spend';
import { loadOnTable } from '../test/lambda';
import { clearOfUtcDayEnd } from '../test/minute-window';

let handler: (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
let close: () => Promise<void>;
let table: TableRef;

beforeAll(async () => {
  ({ module: { handler }, close, table } = await loadOnTable(() => require('./admin') as { handler: typeof handler }));
});

afterAll(async () => close());

/** A Function URL event as Lambda delivers it after IAM auth (no gateway token). */
function urlEvent(method: string, path: string, body?: unknown, options: { base64?: boolean } = {}): APIGatewayProxyEventV2 {
  const text = body === undefined ? undefined : JSON.stringify(body);
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', host: 'abc.lambda-url.eu-west-1.on.aws' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc',
      domainName: 'abc.lambda-url.eu-west-1.on.aws',
      domainPrefix: 'abc',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'test' },
      requestId: 'req-1',
      routeKey: '$default',
      stage: '$default',
      time: '01/Jan/2025:00:00:00 +0000',
      timeEpoch: 1735689600000,
    },
    ...(text === undefined ? {} : { body: options.base64 ? Buffer.from(text).toString('base64') : text }),
    isBase64Encoded: options.base64 ?? false,
  };
}

const context = { awsRequestId: 'aws-req-1', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

async function call(method: string, path: string, body?: unknown, options?: { base64?: boolean }) {
  const res = await handler(urlEvent(method, path, body, options), context);
  return { status: res.statusCode, headers: res.headers ?? {}, json: JSON.parse(res.body ?? 'null') as Record<string, unknown> };
}

describe('admin function', () => {
  it('shows where a team\'s budget stands, read from its spend counter', async () => {
    // Prepare
    const team = await call('POST', '/admin/teams', { name: 'budgeted', limits: { usdPerDay: 10 } });
    // The function reads the counter of the wall clock's day: write it on a day that lasts past the read.
    await clearOfUtcDayEnd();
    await new DynamoSpendStore(table).adjust(team.json.id as string, spendPeriods({ usdPerDay: 10 }, Date.now())[0]!, 2_500_000);

    // Act
    const res = await call('GET', `/admin/teams/${team.json.id as string}`);

    // Assess
    expect(res.json.spend).toEqual([expect.objectContaining({ kind: 'day', limitMicros: 10_000_000, usedMicros: 2_500_000, fraction: 0.25 })]);
  });

  it('creates a key without asking for a token, since IAM guards the URL', async () => {
    // Act
    const res = await call('POST', '/admin/keys', { name: 'ci', models: ['gpt-*'] });

    // Assess
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.json).toMatchObject({ name: 'ci', models: ['gpt-*'], status: 'active', key: expect.stringMatching(/^sk-gw-/) });
    expect(res.json).not.toHaveProperty('hash');
  });

  it('stores keys in DynamoDB, where listing and lookup find them', async () => {
    // Prepare
    const created = await call('POST', '/admin/keys', { name: 'listed' });

    // Act
    const list = await call('GET', '/admin/keys');
    const one = await call('GET', `/admin/keys/${created.json.id as string}`);

    // Assess
    expect(list.status).toBe(200);
    expect((list.json.data as { id: string }[]).map((k) => k.id)).toContain(created.json.id);
    expect(one.json).toMatchObject({ id: created.json.id, name: 'listed' });
  });

  it('revokes a key', async () => {
    // Prepare
    const created = await call('POST', '/admin/keys', { name: 'doomed' });

    // Act
    const res = await call('POST', `/admin/keys/${created.json.id as string}/revoke`);

    // Assess
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ id: created.json.id, status: 'revoked', revokedAt: expect.any(String) });
  });

  it('reads a base64-encoded body, as Function URLs send for some content types', async () => {
    const res = await call('POST', '/admin/keys', { name: 'encoded' }, { base64: true });
    expect(res.status).toBe(201);
    expect(res.json.name).toBe('encoded');
  });

  it('answers an unknown key with 404 in OpenAI error shape', async () => {
    // Act
    const res = await call('GET', '/admin/keys/key_missing');

    // Assess
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({ error: { code: 'key_not_found' } });
  });

  it('answers an invalid body with 400 naming the field', async () => {
    const res = await call('POST', '/admin/keys', { name: '' });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.json)).toContain('name');
  });
});
