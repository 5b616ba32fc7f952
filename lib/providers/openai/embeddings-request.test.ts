import { azureEmbeddingsRequest } from '../azure-openai';
import type { OpenAIChatCall } from './request';
import { openAIEmbeddingsRequest } from './request';

const raw = Buffer.from('{"model": "text-embedding-3-small", "input": ["a", "b"], "dimensions": 8, "stream": true}');
const call = (over: Partial<OpenAIChatCall>): OpenAIChatCall =>
  ({
    provider: { id: 'p', type: 'openai', baseUrl: 'http://x/v1/', accounts: [] },
    account: { id: 'a', weight: 1 },
    apiKey: 'k',
    model: 'text-embedding-3-small',
    body: JSON.parse(raw.toString()) as Record<string, unknown>,
    raw,
    stream: false,
    timeouts: { headersMs: 1, idleMs: 1 },
    ...over,
  }) as OpenAIChatCall;
const azure = (apiVersion?: string): Partial<OpenAIChatCall> => ({
  provider: { id: 'az', type: 'azure-openai', baseUrl: 'https://res.openai.azure.com/', accounts: [], ...(apiVersion ? { apiVersion } : {}) } as OpenAIChatCall['provider'],
  model: 'emb-deploy',
});

describe('embeddings requests to OpenAI-dialect upstreams', () => {
  it.each<{ name: string; build: () => ReturnType<typeof openAIEmbeddingsRequest>; url: string; auth: Record<string, string>; body: Record<string, unknown> | 'raw' }>([
    { name: 'OpenAI, same model: the client bytes', build: () => openAIEmbeddingsRequest(call({})), url: 'http://x/v1/embeddings', auth: { authorization: 'Bearer k' }, body: 'raw' },
    {
      name: 'OpenAI, another model id: only the model swapped',
      build: () => openAIEmbeddingsRequest(call({ model: 'emb-2' })),
      url: 'http://x/v1/embeddings',
      auth: { authorization: 'Bearer k' },
      body: { model: 'emb-2', input: ['a', 'b'], dimensions: 8, stream: true },
    },
    {
      name: 'Azure with an api-version: the deployment in the URL, no model in the body',
      build: () => azureEmbeddingsRequest(call(azure('2024-10-21'))),
      url: 'https://res.openai.azure.com/openai/deployments/emb-deploy/embeddings?api-version=2024-10-21',
      auth: { 'api-key': 'k' },
      body: { input: ['a', 'b'], dimensions: 8, stream: true },
    },
    {
      name: 'Azure without one: the v1 path, the deployment as model',
      build: () => azureEmbeddingsRequest(call(azure())),
      url: 'https://res.openai.azure.com/openai/v1/embeddings',
      auth: { 'api-key': 'k' },
      body: { model: 'emb-deploy', input: ['a', 'b'], dimensions: 8, stream: true },
    },
  ])('$name', ({ build, url, auth, body }) => {
    // Act
    const req = build();

    // Assess
    expect(req).toMatchObject({ url, method: 'POST', headers: expect.objectContaining(auth) });
    if (body === 'raw') expect(req.body).toBe(raw);
    else expect(JSON.parse(req.body as string)).toEqual(body);
  });
});
