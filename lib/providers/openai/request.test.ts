import type { OpenAIChatCall } from './request';
import { openAIPassthroughBody } from './request';

const raw = Buffer.from('{ "model" : "gpt-4o",\n  "messages": [{"role":"user","content":"caf\\u00e9"}], "zeta": 1, "alpha": 2 }');
const call = (over: Partial<OpenAIChatCall>): OpenAIChatCall =>
  ({
    provider: { id: 'p', type: 'openai', baseUrl: 'http://x/v1', accounts: [] },
    account: { id: 'a', weight: 1 },
    apiKey: 'k',
    model: 'gpt-4o',
    body: JSON.parse(raw.toString()) as Record<string, unknown>,
    raw,
    stream: false,
    timeouts: { headersMs: 1, idleMs: 1 },
    ...over,
  }) as OpenAIChatCall;

describe('openAIPassthroughBody', () => {
  it('sends the client’s own bytes when nothing has to change', () => {
    expect(openAIPassthroughBody(call({}), true)).toBe(raw);
  });

  it('sends them on a stream whose client already asked for usage', () => {
    const withUsage = Buffer.from('{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[]}');

    expect(openAIPassthroughBody(call({ raw: withUsage, body: JSON.parse(withUsage.toString()), stream: true }), true)).toBe(withUsage);
  });

  it.each([
    ['the upstream knows the model by another id', { model: 'gpt-4o-2024-08-06' }, true, { model: 'gpt-4o-2024-08-06' }],
    ['a stream must ask for usage', { stream: true }, true, { model: 'gpt-4o', stream_options: { include_usage: true } }],
    ['the URL names the deployment (Azure)', {}, false, { messages: [{ role: 'user', content: 'café' }] }],
  ] as const)('re-serialises the body when %s', (_why, over, modelInBody, expected) => {
    const out = openAIPassthroughBody(call(over), modelInBody);

    expect(typeof out).toBe('string');
    expect(JSON.parse(out as string)).toMatchObject({ ...expected, zeta: 1, alpha: 2 });
    if (!modelInBody) expect(JSON.parse(out as string)).not.toHaveProperty('model');
  });
});
