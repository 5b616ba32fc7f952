import { anthropicPassthroughRequest, type AnthropicPassthroughCall } from './passthrough';

const call = (over: Partial<AnthropicPassthroughCall> = {}): AnthropicPassthroughCall => ({
  body: {
    model: 'claude-sonnet-4-5',
    max_tokens: 32000,
    stream: true,
    system: [{ type: 'text', text: 'You are Claude Code.', cache_control: { type: 'ephemeral' } }],
    messages: [{ role: 'user', content: [{ type: 'text', text: 'hi', cache_control: { type: 'ephemeral' } }] }],
    thinking: { type: 'enabled', budget_tokens: 10000 },
    context_management: { edits: [{ type: 'clear_tool_uses_20250919' }] },
    some_future_field: { x: 1 },
  },
  headers: { 'anthropic-version': '2023-06-01', 'anthropic-beta': 'claude-code-20250219,interleaved-thinking-2025-05-14', authorization: 'Bearer gateway-key', 'x-api-key': 'gateway-key' },
  baseUrl: 'https://api.anthropic.com',
  apiKey: 'sk-ant-account',
  model: 'claude-sonnet-4-5-20250929',
  stream: true,
  timeouts: { headersMs: 10, idleMs: 20 },
  ...over,
});

describe('anthropicPassthroughRequest', () => {
  it('forwards the body untouched except the model', () => {
    // Act
    const req = anthropicPassthroughRequest(call());

    // Assess
    expect(JSON.parse(String(req.body))).toEqual({ ...call().body, model: 'claude-sonnet-4-5-20250929' });
  });

  it("forwards anthropic-beta and anthropic-version and replaces the client's credentials with the account key", () => {
    // Act
    const req = anthropicPassthroughRequest(call());

    // Assess
    expect(req.headers).toEqual({
      'content-type': 'application/json',
      accept: 'text/event-stream',
      'anthropic-version': '2023-06-01',
      'anthropic-beta': 'claude-code-20250219,interleaved-thinking-2025-05-14',
      'x-api-key': 'sk-ant-account',
    });
    expect(req).toMatchObject({ url: 'https://api.anthropic.com/v1/messages', method: 'POST', headersTimeoutMs: 10, idleTimeoutMs: 20 });
  });

  it.each([
    { name: 'the client version', headers: { 'anthropic-version': '2024-01-01' }, version: '2023-06-01', expected: '2024-01-01' },
    { name: 'the configured version when the client sent none', headers: {}, version: '2023-07-01', expected: '2023-07-01' },
    { name: 'the default version when neither did', headers: {}, version: undefined, expected: '2023-06-01' },
  ])('sends $name', ({ headers, version, expected }) => {
    expect(anthropicPassthroughRequest(call({ headers, ...(version ? { version } : {}) })).headers['anthropic-version']).toBe(expected);
  });

  it('addresses count_tokens', () => {
    expect(anthropicPassthroughRequest(call({ endpoint: 'count_tokens', stream: false, baseUrl: 'http://127.0.0.1:1/' })).url).toBe('http://127.0.0.1:1/v1/messages/count_tokens');
  });
});

describe('anthropicPassthroughRequest with the client’s bytes', () => {
  const raw = Buffer.from('{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"zz_new_field":{"a":1}}');
  const base = { headers: {}, baseUrl: 'https://api.anthropic.com', apiKey: 'k', stream: false, timeouts: { headersMs: 1, idleMs: 1 } };

  it('sends them as they came when the model name stays', () => {
    const req = anthropicPassthroughRequest({ ...base, body: JSON.parse(raw.toString()), raw, model: 'claude-sonnet-4-5' });

    expect(req.body).toBe(raw);
  });

  it('re-serialises only to swap the model', () => {
    const req = anthropicPassthroughRequest({ ...base, body: JSON.parse(raw.toString()), raw, model: 'claude-sonnet-4-5-20250929' });

    expect(JSON.parse(String(req.body))).toEqual({ ...JSON.parse(raw.toString()), model: 'claude-sonnet-4-5-20250929' });
  });
});
