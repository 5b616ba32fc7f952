import OpenAI from 'openai';
import { embeddingsInputTokens } from '../../lib/surfaces/openai-embeddings';
import { costOf } from '../../lib/usage/cost';
import { NO_TOKENS } from '../../lib/usage/tokens';
import { startFakeBedrock, type FakeBedrock } from '../fakes/bedrock';
import { bedrockEmbedding, titanTokens } from '../fakes/bedrock-embeddings';
import { geminiEmbedding, startFakeGemini, type FakeGemini } from '../fakes/gemini';
import { embeddingVector } from '../fakes/openai';
import { eventually, startHarness, type Harness } from './harness';

/**
 * `POST /v1/embeddings` on Bedrock (Titan, Cohere) and Gemini targets, translated, through the
 * gateway with the official openai client as caller: the answer in OpenAI's shape (base64, the
 * client's default, and floats), batching, dimensions, refusals, failover across dialects, usage.
 */
const AWS = { accessKeyId: 'AKIDEMBED', secretAccessKey: 'embed-secret', region: 'eu-west-1' };
const GEMINI_KEY = 'AIza-embed-test';
const PRICE = { input: 0.1, output: 0 };
const TITAN_V2 = 'amazon.titan-embed-text-v2:0';
const TITAN_V1 = 'amazon.titan-embed-text-v1';
const COHERE_V3 = 'cohere.embed-english-v3';
const COHERE_V4 = 'cohere.embed-v4:0';

let h: Harness;
let bedrock: FakeBedrock;
let gemini: FakeGemini;
let client: OpenAI;
let keyId: string;

beforeAll(async () => {
  bedrock = await startFakeBedrock(AWS);
  gemini = await startFakeGemini({ apiKey: GEMINI_KEY });
  h = await startHarness({
    config: ({ upstream }) => ({
      providers: [
        { id: 'oai', type: 'openai', baseUrl: upstream, accounts: [{ id: 'a', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
        { id: 'aws', type: 'bedrock', region: AWS.region, baseUrl: bedrock.url, accounts: [{ id: 'b', awsCredentials: { accessKeyId: { env: 'AWS_ID' }, secretAccessKey: { env: 'AWS_SECRET' } } }] },
        { id: 'gem', type: 'gemini', baseUrl: gemini.url, accounts: [{ id: 'g', apiKey: { env: 'GEMINI_KEY' } }] },
      ],
      models: [
        { name: 'titan', price: PRICE, targets: [{ provider: 'aws', model: TITAN_V2 }] },
        { name: 'titan-v1', price: PRICE, targets: [{ provider: 'aws', model: TITAN_V1 }] },
        { name: 'cohere', price: PRICE, targets: [{ provider: 'aws', model: COHERE_V3 }] },
        { name: 'cohere-v4', price: PRICE, targets: [{ provider: 'aws', model: COHERE_V4 }] },
        { name: 'gemini-embed', price: PRICE, targets: [{ provider: 'gem', model: 'gemini-embedding-001' }] },
        { name: 'openai-then-bedrock', price: PRICE, targets: [{ provider: 'oai', model: 'text-embedding-3-small' }, { provider: 'aws', model: TITAN_V2 }] },
        { name: 'bedrock-then-openai', price: PRICE, targets: [{ provider: 'aws', model: TITAN_V2 }, { provider: 'oai', model: 'text-embedding-3-small' }] },
        { name: 'claude-on-bedrock', targets: [{ provider: 'aws', model: 'anthropic.claude-sonnet-4-5-20250929-v1:0' }] },
      ],
    }),
    credentials: { AWS_ID: AWS.accessKeyId, AWS_SECRET: AWS.secretAccessKey, GEMINI_KEY },
  });
  const indexer = await h.createKey({ name: 'indexer', models: ['*'] });
  keyId = indexer.id;
  client = h.openai({ apiKey: indexer.key });
});
afterAll(async () => {
  await h.close();
  await bedrock.close();
  await gemini.close();
});
beforeEach(() => {
  h.upstream.reset();
  bedrock.reset();
  gemini.reset();
  h.health.clear();
});

/** The vectors as the client decodes them: Float32Array values from base64, numbers from JSON. */
const vectors = (res: OpenAI.CreateEmbeddingResponse) => res.data.map((d) => Array.from(d.embedding));
const unitFloat32 = (v: number[]) => v.map((x) => Math.fround(x / Math.sqrt(v.reduce((a, b) => a + b * b, 0))));
const texts = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag} chunk ${i}: export function f${i}() { return ${i}; }`);
const cost = (tokens: number) => costOf({ ...NO_TOKENS, input: tokens }, PRICE);

/** The usage record of a call of `model` that counted `inputTokens`, once written. */
async function usageOf(model: string, inputTokens: number) {
  let found: Awaited<ReturnType<Harness['usage']>>[number] | undefined;
  await eventually(async () => {
    found = (await h.usage(keyId)).find((u) => u.model === model && u.inputTokens === inputTokens);
    expect(found).toBeDefined();
  });
  return found!;
}

describe('embeddings on Amazon Titan (Bedrock)', () => {
  it("embeds a text with the client's default (base64), signed, the vector Titan made, under the client's model name", async () => {
    // Act
    const res = await client.embeddings.create({ model: 'titan', input: 'function add(a, b) { return a + b; }' });

    // Assess
    expect(res).toMatchObject({ object: 'list', model: 'titan', usage: { prompt_tokens: titanTokens('function add(a, b) { return a + b; }'), total_tokens: titanTokens('function add(a, b) { return a + b; }') } });
    expect(vectors(res)).toEqual([bedrockEmbedding(TITAN_V2, 'function add(a, b) { return a + b; }')]);
    expect(bedrock.requests).toHaveLength(1);
    expect(bedrock.requests[0]).toMatchObject({ modelId: TITAN_V2, operation: 'invoke', signatureValid: true, body: { inputText: 'function add(a, b) { return a + b; }', normalize: true } });
  });

  it('embeds several texts as floats with one call each, answered in input order, tokens summed', async () => {
    const input = texts(13, 'titan');

    const res = await client.embeddings.create({ model: 'titan', input, encoding_format: 'float' });

    expect(res.data.map((d) => d.index)).toEqual(input.map((_, i) => i));
    expect(vectors(res)).toEqual(input.map((t) => bedrockEmbedding(TITAN_V2, t)));
    expect(res.usage.prompt_tokens).toBe(input.reduce((sum, t) => sum + titanTokens(t), 0));
    expect(bedrock.requests.map((r) => (r.body as { inputText: string }).inputText).sort()).toEqual([...input].sort());
  });

  it('asks Titan V2 for the dimensions the client asked for', async () => {
    const res = await client.embeddings.create({ model: 'titan', input: 'short', dimensions: 256, encoding_format: 'float' });

    expect(vectors(res)).toEqual([bedrockEmbedding(TITAN_V2, 'short', 256)]);
    expect(res.data[0]!.embedding).toHaveLength(256);
    expect(bedrock.requests[0]!.body).toEqual({ inputText: 'short', dimensions: 256, normalize: true });
  });

  it.each([
    { model: 'titan', dimensions: 768 },
    { model: 'titan-v1', dimensions: 256 },
    { model: 'cohere', dimensions: 512 },
  ])('refuses $dimensions dimensions on $model with a 400 naming dimensions, before any upstream call', async ({ model, dimensions }) => {
    const error = await client.embeddings.create({ model, input: 'x', dimensions }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, param: 'dimensions' });
    expect(bedrock.requests).toHaveLength(0);
  });

  it('embeds on Titan V1 with the text alone, its 1536 dimensions', async () => {
    const res = await client.embeddings.create({ model: 'titan-v1', input: ['one', 'two'] });

    expect(vectors(res)).toEqual([bedrockEmbedding(TITAN_V1, 'one'), bedrockEmbedding(TITAN_V1, 'two')]);
    expect(res.data[0]!.embedding).toHaveLength(1536);
    expect(bedrock.requests.map((r) => r.body)).toEqual(expect.arrayContaining([{ inputText: 'one' }, { inputText: 'two' }]));
  });

  it.each([
    { name: 'a token array', input: [1, 2, 3] },
    { name: 'token arrays', input: [[1, 2], [3]] },
  ])('refuses $name with a 400 naming input, before any upstream call', async ({ input }) => {
    const error = await client.embeddings.create({ model: 'titan', input }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, param: 'input' });
    expect(bedrock.requests).toHaveLength(0);
  });

  it('refuses a Bedrock model of no embedding family with a 400 naming the model', async () => {
    const error = await client.embeddings.create({ model: 'claude-on-bedrock', input: 'x' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, param: 'model', message: expect.stringContaining('anthropic.claude-sonnet-4-5-20250929-v1:0') });
    expect(bedrock.requests).toHaveLength(0);
  });

  it("records Titan's own token count and its cost, not marked estimated", async () => {
    const input = texts(3, 'usage');
    const tokens = input.reduce((sum, t) => sum + titanTokens(t), 0);

    await client.embeddings.create({ model: 'titan', input });

    const usage = await usageOf('titan', tokens);
    expect(usage).toMatchObject({ surface: 'openai-embeddings', provider: 'aws', upstreamModel: TITAN_V2, status: 200, outcome: 'ok', outputTokens: 0, attempts: 1, costMicros: cost(tokens) });
    expect(usage.estimated).toBeUndefined();
  });
});

describe('embeddings on Cohere Embed (Bedrock)', () => {
  it('batches 200 texts into calls of 96, 96 and 8, answered in input order, and records the estimate as estimated', async () => {
    // Prepare
    const input = texts(200, 'cohere');

    // Act
    const res = await client.embeddings.create({ model: 'cohere', input });

    // Assess
    expect(vectors(res)).toEqual(input.map((t) => bedrockEmbedding(COHERE_V3, t)));
    const sent = bedrock.requests.map((r) => r.body as { texts: string[]; input_type: string });
    expect(sent.map((b) => b.texts.length).sort((a, b) => b - a)).toEqual([96, 96, 8]);
    expect(sent.every((b) => b.input_type === 'search_document')).toBe(true);
    expect(bedrock.requests.every((r) => r.signatureValid)).toBe(true);
    const tokens = embeddingsInputTokens(input);
    expect(res.usage).toEqual({ prompt_tokens: tokens, total_tokens: tokens });
    expect(await usageOf('cohere', tokens)).toMatchObject({ provider: 'aws', upstreamModel: COHERE_V3, estimated: true, costMicros: cost(tokens) });
  });

  it("reads Cohere v4's vectors by type, with output_dimension from dimensions", async () => {
    const res = await client.embeddings.create({ model: 'cohere-v4', input: ['a', 'b'], dimensions: 512, encoding_format: 'float' });

    expect(vectors(res)).toEqual([bedrockEmbedding(COHERE_V4, 'a', 512), bedrockEmbedding(COHERE_V4, 'b', 512)]);
    expect(bedrock.requests[0]!.body).toEqual({ texts: ['a', 'b'], input_type: 'search_document', embedding_types: ['float'], output_dimension: 512 });
  });
});

describe('embeddings on Gemini', () => {
  it('batches 150 texts into batchEmbedContents calls of 100 and 50 with the key in x-goog-api-key, in order, estimated', async () => {
    const input = texts(150, 'gemini');

    const res = await client.embeddings.create({ model: 'gemini-embed', input, dimensions: 64 });

    // Google leaves vectors cut to outputDimensionality short of unit length; the client gets them at unit length, as OpenAI's, in float32.
    expect(vectors(res)).toEqual(input.map((t) => unitFloat32(geminiEmbedding('gemini-embedding-001', t, 64))));
    for (const v of vectors(res)) expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    expect(res.model).toBe('gemini-embed');
    expect(gemini.requests.map((r) => r.path)).toEqual(['/v1beta/models/gemini-embedding-001:batchEmbedContents', '/v1beta/models/gemini-embedding-001:batchEmbedContents']);
    expect(gemini.requests.map((r) => (r.body as { requests: unknown[] }).requests.length).sort((a, b) => b - a)).toEqual([100, 50]);
    expect(gemini.requests[0]!.headers['x-goog-api-key']).toBe(GEMINI_KEY);
    const tokens = embeddingsInputTokens(input);
    expect(await usageOf('gemini-embed', tokens)).toMatchObject({ provider: 'gem', estimated: true, costMicros: cost(tokens) });
  });

  it("passes Google's 429 on as a 429 with the retry delay of its body as retry-after", async () => {
    gemini.reply({ kind: 'error', status: 429, retryDelay: '7s' });

    const error = await client.embeddings.create({ model: 'gemini-embed', input: 'x' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after')).toBe('7');
  });
});

describe('embeddings failing over between dialects', () => {
  it('fails over from OpenAI on a 503 to Titan on Bedrock', async () => {
    h.upstream.reply({ kind: 'error', status: 503 });

    const res = await client.embeddings.create({ model: 'openai-then-bedrock', input: 'retry me', encoding_format: 'float' });

    expect(vectors(res)).toEqual([bedrockEmbedding(TITAN_V2, 'retry me')]);
    expect(res.model).toBe('openai-then-bedrock');
    expect(h.upstream.requests).toHaveLength(1);
    expect(await usageOf('openai-then-bedrock', titanTokens('retry me'))).toMatchObject({ provider: 'aws', attempts: 2, status: 200, costMicros: cost(titanTokens('retry me')) });
  });

  it("fails over from Bedrock's ThrottlingException to OpenAI, passed through, and lets the account rest", async () => {
    bedrock.reply({ kind: 'error', type: 'ThrottlingException', message: 'Too many requests, please wait before trying again.' });

    const res = await client.embeddings.create({ model: 'bedrock-then-openai', input: 'throttled' });

    expect(vectors(res)).toEqual([embeddingVector('throttled')]);
    expect(bedrock.requests).toHaveLength(1);
    expect(h.upstream.requests[0]!.body).toMatchObject({ model: 'text-embedding-3-small', input: 'throttled' });
    expect(h.health.isCooling('aws/b')).toBe(true);
    await eventually(async () => {
      expect((await h.usage(keyId)).find((u) => u.model === 'bedrock-then-openai')).toMatchObject({ provider: 'oai', attempts: 2, status: 200 });
    });
  });

  it('answers a throttled Bedrock-only model with a 429 in OpenAI shape, the rest of the batch not sent', async () => {
    bedrock.reply({ kind: 'error', type: 'ThrottlingException', message: 'Too many requests, please wait before trying again.' });

    const error = await client.embeddings.create({ model: 'titan', input: texts(40, 'throttle') }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error).toMatchObject({ status: 429, code: 'rate_limit_exceeded', message: expect.stringContaining('Too many requests') });
    expect(bedrock.requests.length).toBeLessThan(40);
  });
});

describe('embeddings on translated targets and budgets', () => {
  it('refuses a call whose input alone could cost more than the budget left, before any upstream call', async () => {
    const budget = await h.createKey({ name: 'tiny', models: ['titan', 'gemini-embed'], limits: { usdPerDay: 0.000001 } });

    // 340 characters are estimated at 100 tokens, 10 micro-dollars at the input price: over a 1 micro-dollar day.
    const errors = await Promise.all(['titan', 'gemini-embed'].map((model) => h.openai({ apiKey: budget.key }).embeddings.create({ model, input: 'x'.repeat(340) }).catch((e: unknown) => e)));

    for (const error of errors) expect(error).toMatchObject({ status: 429, code: 'insufficient_quota' });
    // By its input: a batch chunk of the throttle test above, already on its way when that test ended, can reach the fake after its reset on a loaded machine.
    const ours = (requests: { rawBody: string }[]) => requests.filter((r) => r.rawBody.includes('x'.repeat(340)));
    expect(ours(bedrock.requests)).toHaveLength(0);
    expect(ours(gemini.requests)).toHaveLength(0);
  });
});
