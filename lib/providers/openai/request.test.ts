import type { OpenAIChatCall } from './request';
import { openAIOperationTarget, openAIPassthroughBody, openAIResponsesRequest, operationRequest, type OperationTarget } from './request';
import { azureOperationTarget, azureResponsesRequest } from '../azure-openai';

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

  it('adds the usage request to the client’s bytes on a stream that did not ask for it, without serialising the body again', () => {
    const out = openAIPassthroughBody(call({ stream: true }), true);

    expect(Buffer.isBuffer(out)).toBe(true);
    expect(out.toString()).toBe(`${raw.toString().slice(0, -2)} ,"stream_options":{"include_usage":true}}`);
    expect(JSON.parse(out.toString())).toEqual({ ...(JSON.parse(raw.toString()) as object), stream_options: { include_usage: true } });
  });

  it.each([
    ['the upstream knows the model by another id', { model: 'gpt-4o-2024-08-06' }, true, { model: 'gpt-4o-2024-08-06' }],
    ['a stream must ask for usage under the client’s other stream options', { stream: true, body: { ...(JSON.parse(raw.toString()) as object), stream_options: { include_obfuscation: false } } }, true, { model: 'gpt-4o', stream_options: { include_obfuscation: false, include_usage: true } }],
    ['a stream of another model id must ask for usage', { stream: true, model: 'gpt-4o-2024-08-06' }, true, { model: 'gpt-4o-2024-08-06', stream_options: { include_usage: true } }],
    ['the URL names the deployment (Azure)', {}, false, { messages: [{ role: 'user', content: 'café' }] }],
  ] as const)('re-serialises the body when %s', (_why, over, modelInBody, expected) => {
    const out = openAIPassthroughBody(call(over), modelInBody);

    expect(typeof out).toBe('string');
    expect(JSON.parse(out as string)).toMatchObject({ ...expected, zeta: 1, alpha: 2 });
    if (!modelInBody) expect(JSON.parse(out as string)).not.toHaveProperty('model');
  });
});

/** How many times the text names `stream_options` as a member. */
const usageMembers = (out: string | Uint8Array) => Buffer.from(out).toString().split('"stream_options"').length - 1;

describe('openAIPassthroughBody asks a stream for usage exactly once, whatever stream_options the client sent', () => {
  const streamCall = (text: string, over: Partial<OpenAIChatCall> = {}) => call({ raw: Buffer.from(text), body: JSON.parse(text) as Record<string, unknown>, stream: true, ...over });

  it.each([
    ['stream_options null', '{"model":"gpt-4o","stream":true,"stream_options":null}', { include_usage: true }],
    ['include_usage false (the client still gets no usage chunk; the gateway meters it)', '{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":false}}', { include_usage: true }],
    ['vLLM\'s continuous_usage_stats beside it', '{"model":"gpt-4o","stream":true,"stream_options":{"continuous_usage_stats":true}}', { continuous_usage_stats: true, include_usage: true }],
    ['a duplicate whose last value is null (JSON.parse, and the upstream, read the last)', '{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"stream_options":null}', { include_usage: true }],
  ])('re-serialises %s, with one stream_options that asks for usage', (_name, text, expected) => {
    const out = openAIPassthroughBody(streamCall(text), true);

    expect(typeof out).toBe('string');
    expect(usageMembers(out)).toBe(1);
    expect((JSON.parse(out as string) as { stream_options: unknown }).stream_options).toEqual(expected);
  });

  it.each([
    ['the client’s bytes, the member added', {}, true],
    ['a body the parameter policy or mending re-serialised (its new raw), the member added', { raw: Buffer.from(JSON.stringify({ model: 'gpt-4o', stream: true, temperature: 1 })), body: { model: 'gpt-4o', stream: true, temperature: 1 } }, true],
    ['the model swapped for the upstream’s id', { model: 'gpt-4o-2024-08-06' }, true],
    ['Azure’s deployment in the URL', { model: 'deploy' }, false],
  ] as const)('names stream_options once in %s', (_name, over, modelInBody) => {
    const out = openAIPassthroughBody(streamCall('{"model":"gpt-4o","stream":true}', over), modelInBody);

    expect(usageMembers(out)).toBe(1);
    expect(JSON.parse(Buffer.from(out).toString())).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('sends the bytes as they are when the last of duplicate stream_options asks for usage (what JSON.parse and the upstream read)', () => {
    const text = '{"model":"gpt-4o","stream":true,"stream_options":null,"stream_options":{"include_usage":true}}';
    const sent = streamCall(text);

    expect(openAIPassthroughBody(sent, true)).toBe(sent.raw);
  });
});

const embeddingsRaw = Buffer.from('{"model": "text-embedding-3-small", "input": ["a", "b"], "dimensions": 8, "stream": true}');
/** The chat call above, carrying an embeddings body instead. */
const embeddingsCall = (over: Partial<OpenAIChatCall>): OpenAIChatCall =>
  call({ model: 'text-embedding-3-small', body: JSON.parse(embeddingsRaw.toString()) as Record<string, unknown>, raw: embeddingsRaw, provider: { id: 'p', type: 'openai', baseUrl: 'http://x/v1/', accounts: [] } as OpenAIChatCall['provider'], ...over });

const azure = (apiVersion?: string): Partial<OpenAIChatCall> => ({
  provider: { id: 'az', type: 'azure-openai', baseUrl: 'https://res.openai.azure.com/', accounts: [], ...(apiVersion ? { apiVersion } : {}) } as OpenAIChatCall['provider'],
  model: 'emb-deploy',
});

/** An embeddings call as `openAIOnlyCall` sends it: to the account's target, never a stream. */
const embeddingsRequest = (c: OpenAIChatCall, targetOf: (c: OpenAIChatCall, operation: 'embeddings') => OperationTarget) => operationRequest({ ...c, stream: false }, targetOf(c, 'embeddings'));

describe('embeddings requests to OpenAI-dialect upstreams', () => {
  it.each<{ name: string; build: () => ReturnType<typeof operationRequest>; url: string; auth: Record<string, string>; body: Record<string, unknown> | 'raw' }>([
    { name: 'OpenAI, same model: the client bytes', build: () => embeddingsRequest(embeddingsCall({}), openAIOperationTarget), url: 'http://x/v1/embeddings', auth: { authorization: 'Bearer k' }, body: 'raw' },
    {
      name: 'OpenAI, another model id: only the model swapped',
      build: () => embeddingsRequest(embeddingsCall({ model: 'emb-2' }), openAIOperationTarget),
      url: 'http://x/v1/embeddings',
      auth: { authorization: 'Bearer k' },
      body: { model: 'emb-2', input: ['a', 'b'], dimensions: 8, stream: true },
    },
    {
      name: 'Azure with an api-version: the deployment in the URL, no model in the body',
      build: () => embeddingsRequest(embeddingsCall(azure('2024-10-21')), azureOperationTarget),
      url: 'https://res.openai.azure.com/openai/deployments/emb-deploy/embeddings?api-version=2024-10-21',
      auth: { 'api-key': 'k' },
      body: { input: ['a', 'b'], dimensions: 8, stream: true },
    },
    {
      name: 'Azure without one: the v1 path, the deployment as model',
      build: () => embeddingsRequest(embeddingsCall(azure()), azureOperationTarget),
      url: 'https://res.openai.azure.com/openai/v1/embeddings',
      auth: { 'api-key': 'k' },
      body: { model: 'emb-deploy', input: ['a', 'b'], dimensions: 8, stream: true },
    },
  ])('$name', ({ build, url, auth, body }) => {
    // Act
    const req = build();

    // Assess
    expect(req).toMatchObject({ url, method: 'POST', headers: expect.objectContaining(auth) });
    if (body === 'raw') expect(req.body).toBe(embeddingsRaw);
    else expect(JSON.parse(req.body as string)).toEqual(body);
  });
});

const responsesRaw = Buffer.from('{"model": "gpt-4.1", "input": "Hi", "stream": true, "include": ["reasoning.encrypted_content"]}');
const responsesCall = (over: Partial<OpenAIChatCall>): OpenAIChatCall =>
  call({ model: 'gpt-4.1', body: JSON.parse(responsesRaw.toString()) as Record<string, unknown>, raw: responsesRaw, stream: true, ...over });

describe('Responses API requests passed through', () => {
  it.each<{ name: string; build: () => ReturnType<typeof openAIResponsesRequest>; url: string; auth: Record<string, string>; body: Record<string, unknown> | 'raw' }>([
    { name: 'OpenAI, same model: the client bytes, even on a stream (its usage comes anyway)', build: () => openAIResponsesRequest(responsesCall({})), url: 'http://x/v1/responses', auth: { authorization: 'Bearer k' }, body: 'raw' },
    {
      name: 'OpenAI, another model id: only the model swapped',
      build: () => openAIResponsesRequest(responsesCall({ model: 'gpt-4.1-2025-04-14' })),
      url: 'http://x/v1/responses',
      auth: { authorization: 'Bearer k' },
      body: { model: 'gpt-4.1-2025-04-14', input: 'Hi', stream: true, include: ['reasoning.encrypted_content'] },
    },
    {
      name: 'Azure, even with an api-version for chat: the v1 responses path, the deployment as model',
      build: () => azureResponsesRequest(responsesCall({ ...azure('2024-10-21'), model: 'dep-41' })),
      url: 'https://res.openai.azure.com/openai/v1/responses',
      auth: { 'api-key': 'k' },
      body: { model: 'dep-41', input: 'Hi', stream: true, include: ['reasoning.encrypted_content'] },
    },
  ])('$name', ({ build, url, auth, body }) => {
    // Act
    const req = build();

    // Assess
    expect(req).toMatchObject({ url, method: 'POST', headers: expect.objectContaining(auth) });
    if (body === 'raw') expect(req.body).toBe(responsesRaw);
    else expect(JSON.parse(req.body as string)).toEqual(body);
  });
});
