import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { loadOnTable } from '../test/lambda';

let handler: (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
let close: () => Promise<void>;

beforeAll(async () => {
  // As the stack sets it for a config with rule sets and parameter policies.
  process.env.GATEWAY_POLICY_NAMES = JSON.stringify({ guardrailSets: ['strict'], paramPolicies: ['ci'] });
  ({ module: { handler }, close } = await loadOnTable(() => require('./admin') as { handler: typeof handler }));
});

afterAll(async () => {
  delete process.env.GATEWAY_POLICY_NAMES;
  await close();
});

function post(body: unknown): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/admin/keys',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', host: 'abc.lambda-url.eu-west-1.on.aws' },
    requestContext: { http: { method: 'POST', path: '/admin/keys', protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'test' }, requestId: 'req-1', timeEpoch: 1735689600000 } as APIGatewayProxyEventV2['requestContext'],
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
}

const context = { awsRequestId: 'aws-req-1', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

describe('the admin function with the config\'s names', () => {
  it('gives a key a rule set and a policy the config has, and refuses one it has not with a 400', async () => {
    const created = await handler(post({ name: 'ci', guardrails: 'strict', params: 'ci' }), context);
    const refused = await handler(post({ name: 'typo', guardrails: 'stritc' }), context);

    expect(created.statusCode).toBe(201);
    expect(JSON.parse(created.body!)).toMatchObject({ guardrails: 'strict', params: 'ci' });
    expect(refused.statusCode).toBe(400);
    expect(JSON.parse(refused.body!).error.code).toBe('guardrail_set_unknown');
  });
});
