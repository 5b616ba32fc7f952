import OpenAI from 'openai';
import { startFakeAzureOpenAI, type FakeAzureOpenAI } from '../fakes/azure-openai';
import { embeddingTokens, embeddingVector } from '../fakes/openai';
import { startHarness, eventually, UPSTREAM_KEY, type Harness } from './harness';
import { minuteClock } from '../minute-window';

/**
 * `POST /v1/embeddings` through the gateway with the official openai client (as Continue indexes
 * code): passthrough to OpenAI-dialect upstreams, failover, refusals, limits and usage. Bedrock
 * and Gemini targets, translated: `embeddings-translated.test.ts`.
 */
const PRICE = { input: 0.02, output: 0 };
const AZURE_KEY = 'azure-upstream-key';

let h: Harness;
/** The gateway's clock: the per-minute case moves it to the start of a minute. */
const clock = minuteClock();
let azure: FakeAzureOpenAI;
let embedder: { id: string; key: string };
let client: OpenAI;

beforeAll(async () => {
  azure = await startFakeAzureOpenAI({ apiKey: AZURE_KEY });
  h = await startHarness({
    now: clock.now,
    config: ({ upstream, backup }) => ({
      providers: [
        { id: 'primary', type: 'openai', baseUrl: upstream, accounts: [{ id: 'a', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
        { id: 'backup', type: 'openai-compatible', baseUrl: backup, accounts: [{ id: 'b', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
        // Anthropic has no embeddings API, and nothing to translate them to.
        { id: 'claude', type: 'anthropic', accounts: [{ id: 'c', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
        { id: 'az', type: 'azure-openai', baseUrl: azure.url, apiVersion: '2024-10-21', accounts: [{ id: 'z', apiKey: { env: 'AZURE_KEY' } }] },
        { id: 'az1', type: 'azure-openai', baseUrl: azure.url, accounts: [{ id: 'z', apiKey: { env: 'AZURE_KEY' } }] },
      ],
      models: [
        { name: 'text-embedding-3-small', price: PRICE, targets: [{ provider: 'primary', model: 'text-embedding-3-small' }] },
        { name: 'embed-failover', price: PRICE, targets: [{ provider: 'primary', model: 'text-embedding-3-small' }, { provider: 'backup', model: 'embed-backup' }] },
        { name: 'embed-claude', targets: [{ provider: 'claude', model: 'claude-sonnet-4-5' }] },
        { name: 'embed-mixed', targets: [{ provider: 'claude', model: 'claude-sonnet-4-5' }, { provider: 'backup', model: 'embed-backup' }] },
        { name: 'embed-azure', targets: [{ provider: 'az', model: 'emb-deploy' }] },
        { name: 'embed-azure-v1', targets: [{ provider: 'az1', model: 'emb-deploy' }] },
        { name: 'secret-embed', targets: [{ provider: 'primary', model: 'text-embedding-3-large' }] },
      ],
    }),
    credentials: { AZURE_KEY },
  });
  embedder = await h.createKey({ name: 'embedder', models: ['text-embedding-*', 'embed-*'] });
  client = h.openai({ apiKey: embedder.key });
});
afterAll(async () => {
  await h.close();
  await azure.close();
});
beforeEach(() => {
  h.upstream.reset();
  h.backup.reset();
  azure.reset();
  h.health.clear();
});

/** The vectors as the client decodes them: Float32Array values from base64, numbers from JSON. */
const vectors = (res: OpenAI.CreateEmbeddingResponse) => res.data.map((d) => Array.from(d.embedding));

describe('embeddings through the official openai client', () => {
  it('embeds a text with the client default (base64), decoded to the fake vector exactly, the bytes sent on untouched', async () => {
    // Act
    const res = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'function add(a, b) { return a + b; }' });

    // Assess
    expect(vectors(res)).toEqual([embeddingVector('function add(a, b) { return a + b; }')]);
    expect(res).toMatchObject({ object: 'list', model: 'text-embedding-3-small', usage: { prompt_tokens: 9, total_tokens: 9 } });
    const sent = h.upstream.requests[0]!;
    expect(sent.path).toBe('/v1/embeddings');
    expect(sent.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    expect(sent.body).toMatchObject({ encoding_format: 'base64' });
  });

  it('embeds an array of texts as floats, one vector per text in order', async () => {
    const input = ['const a = 1;', 'let b = 2;', 'class C {}'];

    const res = await client.embeddings.create({ model: 'text-embedding-3-small', input, encoding_format: 'float' });

    expect(res.data.map((d) => d.index)).toEqual([0, 1, 2]);
    expect(vectors(res)).toEqual(input.map((text) => embeddingVector(text)));
    expect((h.upstream.requests[0]!.body as { encoding_format: string }).encoding_format).toBe('float');
  });

  it('embeds token arrays, base64 and float alike', async () => {
    const input = [[1, 2, 3], [40, 50]];

    const [b64, floats] = await Promise.all([
      client.embeddings.create({ model: 'text-embedding-3-small', input }),
      client.embeddings.create({ model: 'text-embedding-3-small', input, encoding_format: 'float' }),
    ]);

    expect(vectors(b64)).toEqual(input.map((tokens) => embeddingVector(tokens)));
    expect(vectors(floats)).toEqual(vectors(b64));
  });

  it('passes dimensions and fields it does not know through to the upstream', async () => {
    const res = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'x', dimensions: 3, user: 'u-1', ...({ input_type: 'query' } as object) });

    expect(vectors(res)).toEqual([embeddingVector('x', 3)]);
    expect(h.upstream.requests[0]!.body).toEqual({ model: 'text-embedding-3-small', input: 'x', dimensions: 3, user: 'u-1', input_type: 'query', encoding_format: 'base64' });
  });

  it('answers with the upstream bytes, status and content type unchanged', async () => {
    const res = await fetch(`${h.gw.url}/v1/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${embedder.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'text-embedding-3-small', input: 'abc' }),
    });

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const text = await res.text();
    expect(text).toBe(`${JSON.stringify({ object: 'list', data: [{ object: 'embedding', index: 0, embedding: embeddingVector('abc') }], model: 'text-embedding-3-small', usage: { prompt_tokens: 1, total_tokens: 1 } }, null, 2)}\n`);
  });

  it('records one usage item with the input tokens and their cost at the input price', async () => {
    const input = ['x'.repeat(400), 'y'.repeat(800)];

    await client.embeddings.create({ model: 'text-embedding-3-small', input });

    const tokens = embeddingTokens(input);
    await eventually(async () => {
      const usage = (await h.usage(embedder.id)).filter((u) => u.inputTokens === tokens);
      expect(usage).toEqual([
        expect.objectContaining({ surface: 'openai-embeddings', model: 'text-embedding-3-small', provider: 'primary', upstreamModel: 'text-embedding-3-small', status: 200, outcome: 'ok', outputTokens: 0, attempts: 1, costMicros: Math.ceil(tokens * PRICE.input) }),
      ]);
    });
  });
});

describe('embeddings failover and refusals', () => {
  it('fails over to the second target on a 503, with the model swapped for the backup', async () => {
    h.upstream.reply({ kind: 'error', status: 503 });

    const res = await client.embeddings.create({ model: 'embed-failover', input: 'retry me' });

    expect(vectors(res)).toEqual([embeddingVector('retry me')]);
    expect(res.model).toBe('embed-backup');
    expect(h.upstream.requests).toHaveLength(1);
    expect(h.backup.requests[0]!.body).toMatchObject({ model: 'embed-backup', input: 'retry me' });
    await eventually(async () => {
      expect((await h.usage(embedder.id)).find((u) => u.model === 'embed-failover')).toMatchObject({ provider: 'backup', attempts: 2, status: 200 });
    });
  });

  it('passes an upstream 400 back in OpenAI shape with its status, without failing over', async () => {
    h.upstream.reply({ kind: 'error', status: 400, body: { error: { message: 'Too many tokens.', type: 'invalid_request_error', param: 'input', code: 'context_length_exceeded' } } });

    const error = await client.embeddings.create({ model: 'embed-failover', input: 'long' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, code: 'context_length_exceeded', param: 'input', message: expect.stringContaining('Too many tokens.') });
    expect(h.backup.requests).toHaveLength(0);
  });

  it('refuses an empty input with a 400 naming input, before any upstream', async () => {
    const error = await client.embeddings.create({ model: 'text-embedding-3-small', input: [] }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, param: 'input', type: 'invalid_request_error' });
    expect(h.upstream.requests).toHaveLength(0);
  });

  it('refuses a model the key may not use with a 403', async () => {
    const error = await client.embeddings.create({ model: 'secret-embed', input: 'x' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(error).toMatchObject({ status: 403, code: 'model_not_allowed' });
  });

  it('refuses a model whose only targets cannot embed with a 400 naming the provider type', async () => {
    const error = await client.embeddings.create({ model: 'embed-claude', input: 'x' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, code: 'unsupported_parameter', message: expect.stringContaining('provider type anthropic') });
  });

  it('skips a target that cannot embed when another can', async () => {
    const res = await client.embeddings.create({ model: 'embed-mixed', input: 'x' });

    expect(vectors(res)).toEqual([embeddingVector('x')]);
    expect(h.backup.requests).toHaveLength(1);
  });
});

describe('embeddings on Azure OpenAI', () => {
  it('addresses the deployment with the api-version and the key in api-key, model left out of the body', async () => {
    const res = await client.embeddings.create({ model: 'embed-azure', input: 'azure text' });

    expect(vectors(res)).toEqual([embeddingVector('azure text')]);
    const sent = azure.requests[0]!;
    expect(`${sent.path}${sent.search}`).toBe('/openai/deployments/emb-deploy/embeddings?api-version=2024-10-21');
    expect(sent.headers['api-key']).toBe(AZURE_KEY);
    expect(sent.body).not.toHaveProperty('model');
  });

  it('uses the v1 path with the deployment as model when there is no api-version', async () => {
    const res = await client.embeddings.create({ model: 'embed-azure-v1', input: ['a', 'b'], encoding_format: 'float' });

    expect(vectors(res)).toEqual([embeddingVector('a'), embeddingVector('b')]);
    expect(azure.requests[0]).toMatchObject({ path: '/openai/v1/embeddings', body: { model: 'emb-deploy' } });
  });
});

describe('embeddings and key limits', () => {
  it('refuses a key over its requests per minute with a 429', async () => {
    const limited = await h.createKey({ name: 'rpm-1', models: ['text-embedding-*'], limits: { requestsPerMinute: 1 } });
    const limitedClient = h.openai({ apiKey: limited.key });

    // Both calls in one minute's window, or the second is let through.
    clock.startMinute();

    const first = await limitedClient.embeddings.create({ model: 'text-embedding-3-small', input: 'call 1' });
    const second = await limitedClient.embeddings.create({ model: 'text-embedding-3-small', input: 'call 2' }).catch((e: unknown) => e);

    expect(first.data).toHaveLength(1);
    expect(second).toBeInstanceOf(OpenAI.RateLimitError);
    expect(second).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
  });

  it('refuses a call whose input alone could cost more than the budget left', async () => {
    const budget = await h.createKey({ name: 'tiny-budget', models: ['text-embedding-*'], limits: { usdPerDay: 0.000001 } });

    // 340 characters are estimated at 100 tokens, 2 micro-dollars at the input price: over a 1 micro-dollar day.
    const error = await h.openai({ apiKey: budget.key }).embeddings.create({ model: 'text-embedding-3-small', input: 'x'.repeat(340) }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error).toMatchObject({ status: 429, code: 'insufficient_quota' });
    expect(h.upstream.requests).toHaveLength(0);
  });
});
