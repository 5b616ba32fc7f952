import { createHash } from 'node:crypto';
import { bedrockAgentRuntimeTarget, bedrockModelUrl, bedrockTarget, signBedrockRequest } from './sign';

describe('bedrockModelUrl', () => {
  it.each([
    { name: 'a versioned model id keeps its colon percent-encoded', model: 'anthropic.claude-3-5-sonnet-20240620-v1:0', op: 'converse' as const, path: '/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse' },
    {
      name: 'an inference-profile ARN is one path segment',
      model: 'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0',
      op: 'converse-stream' as const,
      path: '/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-sonnet-4-20250514-v1%3A0/converse-stream',
    },
    { name: 'an invoke-with-response-stream URL', model: 'amazon.nova-pro-v1:0', op: 'invoke-with-response-stream' as const, path: '/model/amazon.nova-pro-v1%3A0/invoke-with-response-stream' },
  ])('$name', ({ model, op, path }) => {
    // Act & Assess
    expect(bedrockModelUrl('https://bedrock-runtime.us-east-1.amazonaws.com/', model, op)).toBe(`https://bedrock-runtime.us-east-1.amazonaws.com${path}`);
  });
});

describe('bedrockTarget', () => {
  it.each([
    { name: 'uses the public endpoint of the provider region', provider: { id: 'b', region: 'us-east-1' }, account: { id: 'a' }, expected: { endpoint: 'https://bedrock-runtime.us-east-1.amazonaws.com', region: 'us-east-1' } },
    { name: 'lets the account region win', provider: { id: 'b', region: 'us-east-1' }, account: { id: 'a', region: 'eu-west-1' }, expected: { endpoint: 'https://bedrock-runtime.eu-west-1.amazonaws.com', region: 'eu-west-1' } },
    { name: 'uses a base URL override and keeps signing for the region', provider: { id: 'b', region: 'us-east-1', baseUrl: 'http://127.0.0.1:9999/' }, account: { id: 'a' }, expected: { endpoint: 'http://127.0.0.1:9999', region: 'us-east-1' } },
  ])('$name', ({ provider, account, expected }) => {
    // Act & Assess
    expect(bedrockTarget(provider, account)).toEqual(expected);
  });

  it('refuses an account with no region anywhere', () => {
    // Act & Assess
    expect(() => bedrockTarget({ id: 'b' }, { id: 'a' })).toThrow(/no region/);
  });
});

describe('bedrockAgentRuntimeTarget', () => {
  it.each([
    { name: 'uses the public agent runtime endpoint of the provider region', provider: { id: 'b', region: 'us-east-1' }, account: { id: 'a' }, expected: { endpoint: 'https://bedrock-agent-runtime.us-east-1.amazonaws.com', region: 'us-east-1' } },
    { name: 'lets the account region win', provider: { id: 'b', region: 'us-east-1' }, account: { id: 'a', region: 'eu-west-1' }, expected: { endpoint: 'https://bedrock-agent-runtime.eu-west-1.amazonaws.com', region: 'eu-west-1' } },
    {
      name: 'uses agentRuntimeBaseUrl and keeps signing for the region',
      provider: { id: 'b', region: 'us-east-1', agentRuntimeBaseUrl: 'http://127.0.0.1:9998/' },
      account: { id: 'a', region: 'us-west-2' },
      expected: { endpoint: 'http://127.0.0.1:9998', region: 'us-west-2' },
    },
    { name: "ignores bedrock-runtime's baseUrl, another host", provider: { id: 'b', region: 'us-east-1', baseUrl: 'https://vpce-1.bedrock-runtime.us-east-1.vpce.amazonaws.com' }, account: { id: 'a', baseUrl: 'https://x.example.com' }, expected: { endpoint: 'https://bedrock-agent-runtime.us-east-1.amazonaws.com', region: 'us-east-1' } },
  ])('$name', ({ provider, account, expected }) => {
    expect(bedrockAgentRuntimeTarget(provider, account)).toEqual(expected);
  });

  it('refuses an account with no region anywhere', () => {
    expect(() => bedrockAgentRuntimeTarget({ id: 'b', agentRuntimeBaseUrl: 'http://127.0.0.1:1' }, { id: 'a' })).toThrow(/no region/);
  });
});

describe('signBedrockRequest', () => {
  const body = '{"messages":[]}';
  const url = bedrockModelUrl('https://bedrock-runtime.us-east-1.amazonaws.com', 'anthropic.claude-3-5-sonnet-20240620-v1:0', 'converse');

  it('adds host, the date, the body hash and an authorization scoped to bedrock in the region', async () => {
    // Act
    const headers = await signBedrockRequest({
      url,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      signingDate: new Date('2024-05-06T07:08:09Z'),
    });

    // Assess
    expect(headers).toMatchObject({
      host: 'bedrock-runtime.us-east-1.amazonaws.com',
      'content-type': 'application/json',
      'x-amz-date': '20240506T070809Z',
      'x-amz-content-sha256': createHash('sha256').update(body).digest('hex'),
    });
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20240506\/us-east-1\/bedrock\/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
  });

  it('signs the session token of temporary credentials', async () => {
    // Act
    const headers = await signBedrockRequest({ url, method: 'POST', headers: {}, body, region: 'us-east-1', credentials: { accessKeyId: 'ASIA1', secretAccessKey: 's', sessionToken: 'tok' } });

    // Assess
    expect(headers['x-amz-security-token']).toBe('tok');
    expect(headers.authorization).toContain('x-amz-security-token');
  });
});
