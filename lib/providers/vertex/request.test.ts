import { vertexClaudeBody, vertexClaudeCountTokensRequest, vertexClaudePassthroughRequest, vertexGeminiPassthroughRequest, vertexHost, vertexModelUrl, vertexPublisher, vertexTarget } from './request';

const timeouts = { headersMs: 1_000, idleMs: 2_000 };
const target = { base: 'https://us-east5-aiplatform.googleapis.com', project: 'my-project', region: 'us-east5' };

describe('vertexPublisher', () => {
  it.each([
    ['claude-sonnet-4-5@20250929', 'anthropic'],
    ['claude-opus-4-6', 'anthropic'],
    ['gemini-2.5-pro', 'google'],
    ['gemini-3-flash-preview', 'google'],
  ])('names %s’s publisher %s', (model, publisher) => {
    expect(vertexPublisher(model)).toBe(publisher);
  });
});

describe('vertexHost', () => {
  it.each([
    ['us-east5', 'https://us-east5-aiplatform.googleapis.com'],
    ['europe-west1', 'https://europe-west1-aiplatform.googleapis.com'],
    ['global', 'https://aiplatform.googleapis.com'],
    ['us', 'https://aiplatform.us.rep.googleapis.com'],
    ['eu', 'https://aiplatform.eu.rep.googleapis.com'],
  ])('serves %s from %s', (region, host) => {
    expect(vertexHost(region)).toBe(host);
  });
});

describe('vertexTarget', () => {
  it.each([
    ['the provider’s project and region', {}, { base: 'https://us-east5-aiplatform.googleapis.com', project: 'prov-project', region: 'us-east5' }],
    ['the account’s over the provider’s', { project: 'acct-project', region: 'europe-west1' }, { base: 'https://europe-west1-aiplatform.googleapis.com', project: 'acct-project', region: 'europe-west1' }],
    ['the account’s global endpoint', { region: 'global' }, { base: 'https://aiplatform.googleapis.com', project: 'prov-project', region: 'global' }],
    ['a base URL over the region’s host', { baseUrl: 'http://127.0.0.1:9/' }, { base: 'http://127.0.0.1:9', project: 'prov-project', region: 'us-east5' }],
  ])('takes %s', (_case, account, expected) => {
    expect(vertexTarget({ id: 'vertex', project: 'prov-project', region: 'us-east5' }, { id: 'a', ...account })).toEqual(expected);
  });

  it('refuses an account with no project anywhere (a config the schema would not pass)', () => {
    expect(() => vertexTarget({ id: 'vertex', region: 'us-east5' }, { id: 'a' })).toThrow('Vertex AI provider "vertex" account "a" has no project');
  });
});

describe('vertexModelUrl', () => {
  it('addresses a publisher model’s method, keeping the @ of a versioned id', () => {
    expect(vertexModelUrl(target, 'anthropic', 'claude-sonnet-4-5@20250929', 'streamRawPredict')).toBe(
      'https://us-east5-aiplatform.googleapis.com/v1/projects/my-project/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929:streamRawPredict',
    );
  });
});

describe('vertexClaudeBody', () => {
  it('leaves the model out, puts Vertex’s version in, and keeps every other field', () => {
    // Act
    const body = JSON.parse(String(vertexClaudeBody({ model: 'claude-x', max_tokens: 5, stream: true, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [], anthropic_version: 'bedrock-2023-05-31' }))) as object;

    // Assess
    expect(body).toEqual({ max_tokens: 5, stream: true, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [], anthropic_version: 'vertex-2023-10-16' });
  });

  it('puts the version in the model’s place in the client’s bytes when they open with the model, the rest as sent', () => {
    // Prepare
    const text = '{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"h\u00e9"}],  "max_tokens":5}';

    // Act
    const out = vertexClaudeBody(JSON.parse(text) as Record<string, unknown>, Buffer.from(text));

    // Assess
    expect(Buffer.from(out).toString()).toBe('{"anthropic_version":"vertex-2023-10-16","messages":[{"role":"user","content":"h\u00e9"}],  "max_tokens":5}');
  });

  it.each([
    ['the model not first', '{"max_tokens":5,"model":"claude-x","messages":[]}'],
    ['spaces after the brace', '{ "model": "claude-x", "max_tokens": 5, "messages": [] }'],
    ['a version already in the body', '{"model":"claude-x","anthropic_version":"x","max_tokens":5,"messages":[]}'],
  ])('serialises the body again when the bytes have %s', (_case, text) => {
    // Act
    const out = vertexClaudeBody(JSON.parse(text) as Record<string, unknown>, Buffer.from(text));

    // Assess
    expect(typeof out).toBe('string');
    expect(JSON.parse(out as string)).toMatchObject({ anthropic_version: 'vertex-2023-10-16', max_tokens: 5 });
    expect(JSON.parse(out as string)).not.toHaveProperty('model');
  });
});

describe('Vertex passthrough requests', () => {
  const call = { target, model: 'claude-sonnet-4-5@20250929', token: 'ya29.t', stream: false, accountHeaders: { 'x-goog-user-project': 'billing' }, timeouts };

  it('sends an Anthropic body to rawPredict with the token as Bearer and the client’s betas as a header', () => {
    // Act
    const req = vertexClaudePassthroughRequest({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [] }, { 'anthropic-beta': 'context-1m-2025-08-07', 'anthropic-version': '2023-06-01', 'x-api-key': 'client-key' }, call);

    // Assess
    expect(req.url).toBe(`${target.base}/v1/projects/my-project/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict`);
    expect(req.headers).toEqual({ 'x-goog-user-project': 'billing', 'content-type': 'application/json', accept: 'application/json', 'anthropic-beta': 'context-1m-2025-08-07', authorization: 'Bearer ya29.t' });
    expect(JSON.parse(String(req.body))).toEqual({ max_tokens: 5, messages: [], anthropic_version: 'vertex-2023-10-16' });
  });

  it.each([
    ['Claude Code’s own flags left out', 'claude-code-20250219,oauth-2025-04-20,interleaved-thinking-2025-05-14', undefined, 'interleaved-thinking-2025-05-14'],
    ['nothing when Vertex takes none of them', 'claude-code-20250219,prompt-caching-scope-2026-01-05', undefined, undefined],
    ['the provider’s list instead of the default', 'claude-code-20250219,new-beta-2026-01-01', ['new-beta-2026-01-01'] as const, 'new-beta-2026-01-01'],
    ['everything with "all"', 'claude-code-20250219, oauth-2025-04-20', 'all' as const, 'claude-code-20250219,oauth-2025-04-20'],
  ])('sends the client’s betas Vertex takes: %s', (_case, header, betas, sent) => {
    // Act
    const message = vertexClaudePassthroughRequest({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [] }, { 'anthropic-beta': header }, { ...call, ...(betas ? { betas } : {}) });
    const count = vertexClaudeCountTokensRequest({ model: 'claude-sonnet-4-5', messages: [] }, { 'anthropic-beta': header }, { ...call, ...(betas ? { betas } : {}) });

    // Assess
    expect(message.headers['anthropic-beta']).toBe(sent);
    expect(count.headers['anthropic-beta']).toBe(sent);
  });

  it('counts Claude tokens on count-tokens:rawPredict, naming the Vertex model in the body', () => {
    // Act
    const req = vertexClaudeCountTokensRequest({ model: 'claude-sonnet-4-5', messages: [] }, {}, call);

    // Assess
    expect(req.url).toBe(`${target.base}/v1/projects/my-project/locations/us-east5/publishers/anthropic/models/count-tokens:rawPredict`);
    expect(JSON.parse(String(req.body))).toEqual({ model: 'claude-sonnet-4-5@20250929', messages: [], anthropic_version: 'vertex-2023-10-16' });
  });

  it.each([
    [false, undefined, ':generateContent'],
    [true, undefined, ':streamGenerateContent?alt=sse'],
    [false, 'countTokens' as const, ':countTokens'],
  ])('sends a Gemini client’s bytes as they are (stream %s, %s)', (stream, method, suffix) => {
    // Prepare
    const raw = Buffer.from('{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}');

    // Act
    const req = vertexGeminiPassthroughRequest(raw, { ...call, model: 'gemini-2.5-flash', stream }, method);

    // Assess
    expect(req.url).toBe(`${target.base}/v1/projects/my-project/locations/us-east5/publishers/google/models/gemini-2.5-flash${suffix}`);
    expect(req.body).toBe(raw);
    expect(req.headers.authorization).toBe('Bearer ya29.t');
  });
});
