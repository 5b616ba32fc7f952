import { rerankInputTokens } from '../../lib/surfaces/rerank';
import { startFakeBedrock, type FakeBedrock } from '../fakes/bedrock';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai';
import { pageToken, rankDocuments, rerankTokens } from '../fakes/rerank-wire';
import { eventually, startHarness, UPSTREAM_KEY, type Harness } from './harness';

/**
 * `POST /v1/rerank` (and `/v2/rerank`, `/rerank`) through the gateway, called with plain `fetch`
 * in Cohere's shape (the `cohere-ai` client is not installed): passed through to OpenAI-compatible
 * rerank servers (Jina's and vLLM's answer with `usage`, Cohere's with `meta.billed_units`),
 * translated for Cohere Rerank 3.5 and Amazon Rerank 1.0 on Bedrock (the agent runtime's Rerank
 * operation, paged answers followed), failover between them, model
 * permissions, budgets, and the usage record with its search units and cost.
 */
const AWS = { accessKeyId: 'AKIDRERANK', secretAccessKey: 'rerank-secret', region: 'us-west-2' };
const PER_SEARCH = { perRequest: 0.002 };
const COHERE_BEDROCK = 'cohere.rerank-v3-5:0';
const AMAZON_BEDROCK = 'amazon.rerank-v1:0';
const QUERY = 'What is the capital of France?';
const DOCUMENTS = ['Berlin is the capital of Germany.', 'Paris is the capital of France.', 'France exports wine and cheese.', 'The capital of Spain is Madrid.'];

let h: Harness;
let bedrock: FakeBedrock;
let cohere: FakeOpenAI;
let key: string;
let keyId: string;

beforeAll(async () => {
  bedrock = await startFakeBedrock(AWS);
  cohere = await startFakeOpenAI({ apiKey: UPSTREAM_KEY, rerank: 'cohere' });
  h = await startHarness({
    config: ({ upstream, backup }) => ({
      providers: [
        // A Jina- or vLLM-style rerank server (the harness's upstream answers rerank as they do).
        { id: 'jina', type: 'openai-compatible', baseUrl: upstream, accounts: [{ id: 'j', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
        { id: 'cohere', type: 'openai-compatible', baseUrl: cohere.url, accounts: [{ id: 'c', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
        { id: 'oai', type: 'openai', baseUrl: backup, accounts: [{ id: 'o', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
        // The fake serves bedrock-runtime and the agent runtime's Rerank alike; rerank must go to the second.
        { id: 'aws', type: 'bedrock', region: AWS.region, baseUrl: `${bedrock.url}/runtime-not-used-by-rerank`, agentRuntimeBaseUrl: bedrock.url, accounts: [{ id: 'b', awsCredentials: { accessKeyId: { env: 'AWS_ID' }, secretAccessKey: { env: 'AWS_SECRET' } } }] },
      ],
      models: [
        { name: 'jina-reranker', price: PER_SEARCH, targets: [{ provider: 'jina', model: 'jina-reranker-v2-base-multilingual' }] },
        { name: 'rerank-v3.5', price: PER_SEARCH, targets: [{ provider: 'cohere', model: 'rerank-v3.5' }] },
        { name: 'bedrock-cohere', price: PER_SEARCH, targets: [{ provider: 'aws', model: COHERE_BEDROCK }] },
        { name: 'bedrock-amazon', price: { perRequest: 0.001 }, targets: [{ provider: 'aws', model: AMAZON_BEDROCK }] },
        { name: 'bedrock-then-jina', price: PER_SEARCH, targets: [{ provider: 'aws', model: COHERE_BEDROCK }, { provider: 'jina', model: 'jina-reranker-v2-base-multilingual' }] },
        { name: 'jina-by-token', price: { input: 1, output: 0 }, targets: [{ provider: 'jina', model: 'jina-reranker-v2-base-multilingual' }] },
        { name: 'jina-then-bedrock', price: PER_SEARCH, targets: [{ provider: 'jina', model: 'jina-reranker-v2-base-multilingual' }, { provider: 'aws', model: COHERE_BEDROCK }] },
        { name: 'openai-then-jina', price: PER_SEARCH, targets: [{ provider: 'oai', model: 'gpt-4o-mini' }, { provider: 'jina', model: 'jina-reranker-v2-base-multilingual' }] },
        { name: 'gpt-4o-mini', targets: [{ provider: 'oai', model: 'gpt-4o-mini' }] },
      ],
    }),
    credentials: { AWS_ID: AWS.accessKeyId, AWS_SECRET: AWS.secretAccessKey },
  });
  ({ key, id: keyId } = await h.createKey({ name: 'rag', models: ['*'] }));
});
afterAll(async () => {
  await h.close();
  await bedrock.close();
  await cohere.close();
});
beforeEach(() => {
  h.upstream.reset();
  h.backup.reset();
  cohere.reset();
  bedrock.reset();
  h.health.clear();
});

/** A rerank call as Cohere's clients (and Continue, Open WebUI, LangChain) make it. */
async function rerank(body: Record<string, unknown>, options: { path?: string; apiKey?: string } = {}) {
  const res = await fetch(`${h.gw.url}${options.path ?? '/v1/rerank'}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${options.apiKey ?? key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, body: (await res.json()) as Answer };
}

/** An answer as the tests read it: a rerank answer (of any server's dialect), or OpenAI's error shape. */
interface Answer {
  results: { index: number; relevance_score: number; document?: { text: string } }[];
  meta?: unknown;
  error?: { message: string; type: string; param: string | null; code: string | null };
  [field: string]: unknown;
}

/** The usage record of the last call of `model`, once written. */
async function usageOf(model: string, id = keyId) {
  let found: Awaited<ReturnType<Harness['usage']>>[number] | undefined;
  await eventually(async () => {
    found = (await h.usage(id)).filter((u) => u.model === model).at(-1);
    expect(found).toBeDefined();
  });
  return found!;
}

describe('rerank passed through to OpenAI-compatible servers', () => {
  it("sends Cohere's request on to {baseUrl}/rerank untouched but for the model, and answers with the server's own answer", async () => {
    // Act
    const res = await rerank({ model: 'jina-reranker', query: QUERY, documents: DOCUMENTS, top_n: 2, return_documents: true, truncation: true });

    // Assess
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      model: 'jina-reranker-v2-base-multilingual',
      usage: { total_tokens: rerankTokens(QUERY, DOCUMENTS), prompt_tokens: rerankTokens(QUERY, DOCUMENTS) },
      results: rankDocuments(QUERY, DOCUMENTS, 2).map((r) => ({ index: r.index, document: { text: DOCUMENTS[r.index] }, relevance_score: r.relevance_score })),
    });
    expect(res.body.results[0]!.index).toBe(1);
    expect(h.upstream.requests).toHaveLength(1);
    expect(h.upstream.requests[0]).toMatchObject({ method: 'POST', path: '/v1/rerank', headers: { authorization: `Bearer ${UPSTREAM_KEY}` } });
    expect(h.upstream.requests[0]!.body).toEqual({ model: 'jina-reranker-v2-base-multilingual', query: QUERY, documents: DOCUMENTS, top_n: 2, return_documents: true, truncation: true });
  });

  it("passes documents the gateway does not read (Jina's images) on as they came", async () => {
    const documents = [{ image: 'https://example.com/paris.png' }, { text: 'Paris is the capital of France.' }];

    const res = await rerank({ model: 'jina-reranker', query: QUERY, documents });

    expect(res.status).toBe(200);
    expect(h.upstream.requests[0]!.body).toMatchObject({ documents });
  });

  it.each(['/v2/rerank', '/rerank'])('serves %s as /v1/rerank', async (path) => {
    const res = await rerank({ model: 'jina-reranker', query: QUERY, documents: DOCUMENTS }, { path });

    expect(res.status).toBe(200);
    expect(res.body.results).toHaveLength(DOCUMENTS.length);
    expect(h.upstream.requests[0]!.path).toBe('/v1/rerank');
  });

  it("records the server's token count, one search unit and its price", async () => {
    await rerank({ model: 'jina-reranker', query: QUERY, documents: DOCUMENTS });

    const usage = await usageOf('jina-reranker');
    expect(usage).toMatchObject({ surface: 'rerank', provider: 'jina', upstreamModel: 'jina-reranker-v2-base-multilingual', status: 200, outcome: 'ok', inputTokens: rerankTokens(QUERY, DOCUMENTS), outputTokens: 0, billedUnits: 1, costMicros: 2_000 });
    expect(usage).not.toHaveProperty('estimated');
  });

  it("passes Cohere's answer through and records its search units, the tokens estimated where Cohere counts none", async () => {
    const documents = Array.from({ length: 150 }, (_, i) => `Document ${i} about ${i % 2 ? 'Paris' : 'Berlin'}.`);

    const res = await rerank({ model: 'rerank-v3.5', query: QUERY, documents, top_n: 3 });

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: expect.any(String), results: rankDocuments(QUERY, documents, 3), meta: { api_version: { version: '2' }, billed_units: { search_units: 2 } } });
    expect(await usageOf('rerank-v3.5')).toMatchObject({ provider: 'cohere', inputTokens: rerankInputTokens({ query: QUERY, documents }), billedUnits: 2, costMicros: 4_000, estimated: true });
  });

  it('skips targets of OpenAI, which has no rerank API, for one that has', async () => {
    const res = await rerank({ model: 'openai-then-jina', query: QUERY, documents: DOCUMENTS });

    expect(res.status).toBe(200);
    expect(h.backup.requests).toHaveLength(0);
    expect(h.upstream.requests).toHaveLength(1);
    expect(await usageOf('openai-then-jina')).toMatchObject({ provider: 'jina', attempts: 1 });
  });
});

/** The Rerank body AWS documents, as the gateway should send it for `model` in the fake's Region. */
function rerankBody(model: string, documents: string[], numberOfResults: number, extra: { additionalModelRequestFields?: object; nextToken?: string } = {}) {
  return {
    queries: [{ type: 'TEXT', textQuery: { text: QUERY } }],
    sources: documents.map((text) => ({ type: 'INLINE', inlineDocumentSource: { type: 'TEXT', textDocument: { text } } })),
    rerankingConfiguration: {
      type: 'BEDROCK_RERANKING_MODEL',
      bedrockRerankingConfiguration: {
        numberOfResults,
        modelConfiguration: { modelArn: `arn:aws:bedrock:${AWS.region}::foundation-model/${model}`, ...(extra.additionalModelRequestFields ? { additionalModelRequestFields: extra.additionalModelRequestFields } : {}) },
      },
    },
    ...(extra.nextToken ? { nextToken: extra.nextToken } : {}),
  };
}

describe('rerank on Bedrock, translated', () => {
  it("asks Cohere Rerank 3.5 through the agent runtime's Rerank, signed, and answers in Cohere v2 shape under a fresh id", async () => {
    // Act
    const res = await rerank({ model: 'bedrock-cohere', query: QUERY, documents: DOCUMENTS, top_n: 2 });

    // Assess
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), results: rankDocuments(QUERY, DOCUMENTS, 2), meta: { api_version: { version: '2' }, billed_units: { search_units: 1 } } });
    expect(bedrock.requests).toHaveLength(1);
    expect(bedrock.requests[0]).toMatchObject({ path: '/rerank', modelId: COHERE_BEDROCK, operation: 'rerank', signatureValid: true });
    expect(bedrock.requests[0]!.body).toEqual(rerankBody(COHERE_BEDROCK, DOCUMENTS, 2));
  });

  it("sends Cohere's max_tokens_per_doc in additionalModelRequestFields", async () => {
    const res = await rerank({ model: 'bedrock-cohere', query: QUERY, documents: DOCUMENTS, max_tokens_per_doc: 512 });

    expect(res.status).toBe(200);
    expect(bedrock.requests[0]!.body).toEqual(rerankBody(COHERE_BEDROCK, DOCUMENTS, DOCUMENTS.length, { additionalModelRequestFields: { max_tokens_per_doc: 512 } }));
  });

  it("fills in each document's text when return_documents asks, from Cohere v1's and Jina's {text} objects too", async () => {
    const documents = DOCUMENTS.map((text, i) => (i % 2 ? { text, source: `doc-${i}` } : text));

    const res = await rerank({ model: 'bedrock-amazon', query: QUERY, documents, top_n: 3, return_documents: true });

    expect(res.status).toBe(200);
    expect(res.body.results).toEqual(rankDocuments(QUERY, DOCUMENTS, 3).map((r) => ({ ...r, document: { text: DOCUMENTS[r.index] } })));
    expect(bedrock.requests[0]!.body).toEqual(rerankBody(AMAZON_BEDROCK, DOCUMENTS, 3));
  });

  it('answers every document, best first, when the client names no top_n', async () => {
    const res = await rerank({ model: 'bedrock-amazon', query: QUERY, documents: DOCUMENTS });

    expect(res.body.results.map((r) => r.index)).toEqual(rankDocuments(QUERY, DOCUMENTS).map((r) => r.index));
    expect(bedrock.requests[0]!.body).toMatchObject({ rerankingConfiguration: { bedrockRerankingConfiguration: { numberOfResults: DOCUMENTS.length } } });
  });

  it('follows a paged answer by its nextToken, the same body each time, and answers all its pages in order', async () => {
    // Prepare: pages of 3 results; 8 documents, top 7 asked.
    const documents = Array.from({ length: 8 }, (_, i) => `${DOCUMENTS[i % DOCUMENTS.length]} (${i})`);
    bedrock.reply({ kind: 'rerank', pageSize: 3 });

    // Act
    const res = await rerank({ model: 'bedrock-amazon', query: QUERY, documents, top_n: 7 });

    // Assess
    expect(res.status).toBe(200);
    expect(res.body.results).toEqual(rankDocuments(QUERY, documents, 7));
    expect(bedrock.requests).toHaveLength(3);
    expect(bedrock.requests.every((r) => r.signatureValid)).toBe(true);
    expect(bedrock.requests[0]!.body).toEqual(rerankBody(AMAZON_BEDROCK, documents, 7));
    expect(bedrock.requests[1]!.body).toEqual(rerankBody(AMAZON_BEDROCK, documents, 7, { nextToken: expect.any(String) as string }));
    expect((bedrock.requests[2]!.body as { nextToken: string }).nextToken).not.toBe((bedrock.requests[1]!.body as { nextToken: string }).nextToken);
    expect(await usageOf('bedrock-amazon')).toMatchObject({ status: 200, billedUnits: 1, estimated: true });
  });

  it('gives up on an answer that keeps paging past 10 pages with a 502, as a bad upstream answer', async () => {
    // Prepare: 11 pages of one result each.
    const documents = Array.from({ length: 11 }, (_, i) => `passage ${i}`);
    bedrock.reply({ kind: 'rerank', pageSize: 1 });

    // Act
    const res = await rerank({ model: 'bedrock-amazon', query: QUERY, documents });

    // Assess
    expect(res.status).toBe(502);
    expect(res.body.error).toMatchObject({ code: 'upstream_bad_response', message: expect.stringContaining('still paging after 10 pages') });
    expect(bedrock.requests).toHaveLength(10);
  });

  it.each([
    { name: 'on one page', pages: [{ results: [{ index: 1, relevanceScore: 0.9 }, { index: 1, relevanceScore: 0.8 }] }] },
    { name: 'across pages', pages: [{ results: [{ index: 1, relevanceScore: 0.9 }], nextToken: pageToken(1) }, { results: [{ index: 1, relevanceScore: 0.9 }] }] },
  ])('refuses an answer that scores a document twice $name with a 502, as a bad upstream answer', async ({ pages }) => {
    let sent = 0;
    bedrock.reply(() => ({ kind: 'raw', status: 200, headers: { 'content-type': 'application/json' }, body: [JSON.stringify(pages[sent++])] }));

    const res = await rerank({ model: 'bedrock-amazon', query: QUERY, documents: DOCUMENTS });

    expect(res.status).toBe(502);
    expect(res.body.error).toMatchObject({ code: 'upstream_bad_response', message: expect.stringContaining('document 1 scored twice') });
    expect(bedrock.requests).toHaveLength(pages.length);
  });

  it('records the estimated tokens (Rerank counts none), the search units of 250 documents and their price', async () => {
    const documents = Array.from({ length: 250 }, (_, i) => `passage ${i}`);

    const res = await rerank({ model: 'bedrock-cohere', query: QUERY, documents, top_n: 5 });

    expect(res.body.meta).toEqual({ api_version: { version: '2' }, billed_units: { search_units: 3 } });
    expect(await usageOf('bedrock-cohere')).toMatchObject({ provider: 'aws', upstreamModel: COHERE_BEDROCK, inputTokens: rerankInputTokens({ query: QUERY, documents }), billedUnits: 3, costMicros: 6_000, estimated: true });
  });

  it.each([
    { name: 'more than 1 000 documents', model: 'bedrock-cohere', body: { documents: Array.from({ length: 1001 }, (_, i) => `d${i}`) }, param: 'documents' },
    { name: "max_tokens_per_doc on Amazon's model", model: 'bedrock-amazon', body: { documents: DOCUMENTS, max_tokens_per_doc: 256 }, param: 'max_tokens_per_doc' },
    { name: 'a document without text (an image)', model: 'bedrock-cohere', body: { documents: ['a', { image: 'https://example.com/a.png' }] }, param: 'documents[1].text' },
    { name: 'an empty document', model: 'bedrock-amazon', body: { documents: ['a', ''] }, param: 'documents[1]' },
    { name: 'a document over 32 000 characters', model: 'bedrock-cohere', body: { documents: ['x'.repeat(32_001)] }, param: 'documents[0]' },
    { name: 'rank_fields other than the text', model: 'bedrock-cohere', body: { documents: [{ text: 'a', title: 't' }], rank_fields: ['title'] }, param: 'rank_fields' },
  ])('refuses $name with a 400 naming $param, before any upstream call', async ({ model, body, param }) => {
    const res = await rerank({ model, query: QUERY, ...body });

    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ type: 'invalid_request_error', param, message: expect.stringContaining(param) });
    expect(bedrock.requests).toHaveLength(0);
  });

  it.each([
    { type: 'AccessDeniedException', status: 502, code: 'upstream_auth_failed' },
    { type: 'ValidationException', status: 400, code: 'validation_exception' },
    { type: 'ServiceQuotaExceededException', status: 429, code: 'service_quota_exceeded' },
    { type: 'DependencyFailedException', status: 502, code: 'dependency_failed_exception' },
    { type: 'BadGatewayException', status: 502, code: 'bad_gateway_exception' },
  ])("answers Rerank's $type as a $status ($code)", async ({ type, status, code }) => {
    bedrock.reply({ kind: 'error', type, message: `${type} from Rerank` });

    const res = await rerank({ model: 'bedrock-amazon', query: QUERY, documents: DOCUMENTS });

    expect(res.status).toBe(status);
    expect(res.body.error).toMatchObject({ code });
  });
});

describe('rerank failing over, refused, and limited', () => {
  it('fails over from a rerank server answering 503 to Cohere on Bedrock', async () => {
    h.upstream.reply({ kind: 'error', status: 503 });

    const res = await rerank({ model: 'jina-then-bedrock', query: QUERY, documents: DOCUMENTS, top_n: 1, return_documents: true });

    expect(res.status).toBe(200);
    expect(res.body.results).toEqual([{ ...rankDocuments(QUERY, DOCUMENTS, 1)[0], document: { text: DOCUMENTS[1] } }]);
    expect(h.upstream.requests).toHaveLength(1);
    expect(bedrock.requests).toHaveLength(1);
    expect(await usageOf('jina-then-bedrock')).toMatchObject({ provider: 'aws', attempts: 2, status: 200, billedUnits: 1, costMicros: 2_000 });
  });

  it("fails over from a Bedrock account out of its quota (ServiceQuotaExceededException, sent as a 400) to the next target, and lets the account rest", async () => {
    bedrock.reply({ kind: 'error', type: 'ServiceQuotaExceededException', message: 'Your request exceeds the service quota for your account.' });

    const res = await rerank({ model: 'bedrock-then-jina', query: QUERY, documents: DOCUMENTS });

    expect(res.status).toBe(200);
    expect(bedrock.requests).toHaveLength(1);
    expect(h.upstream.requests).toHaveLength(1);
    expect(h.health.isCooling('aws/b')).toBe(true);
    expect(await usageOf('bedrock-then-jina')).toMatchObject({ provider: 'jina', attempts: 2, status: 200 });
  });

  it('answers a throttled Bedrock-only model with a 429 in OpenAI shape and lets the account rest', async () => {
    bedrock.reply({ kind: 'error', type: 'ThrottlingException', message: 'Too many requests, please wait before trying again.' });

    const res = await rerank({ model: 'bedrock-cohere', query: QUERY, documents: DOCUMENTS });

    expect(res.status).toBe(429);
    expect(res.body.error).toMatchObject({ code: 'rate_limit_exceeded', message: expect.stringContaining('Too many requests') });
    expect(h.health.isCooling('aws/b')).toBe(true);
  });

  it('refuses a model the key may not use with a 403, calling no upstream', async () => {
    const narrow = await h.createKey({ name: 'narrow', models: ['jina-reranker'] });

    const res = await rerank({ model: 'bedrock-cohere', query: QUERY, documents: DOCUMENTS }, { apiKey: narrow.key });

    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'model_not_allowed', param: 'model' });
    expect(bedrock.requests).toHaveLength(0);
    expect(await usageOf('bedrock-cohere', narrow.id)).toMatchObject({ status: 403, outcome: 'error' });
  });

  it('refuses a model whose targets cannot rerank with a 400 naming their type', async () => {
    const res = await rerank({ model: 'gpt-4o-mini', query: QUERY, documents: DOCUMENTS });

    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ param: 'model', message: expect.stringContaining('provider type openai') });
    expect(res.body.error!.message).toContain('only openai-compatible, bedrock providers serve them');
    expect(h.backup.requests).toHaveLength(0);
  });

  it.each([
    { name: 'no query', body: { model: 'jina-reranker', documents: DOCUMENTS }, param: 'query' },
    { name: 'no documents', body: { model: 'jina-reranker', query: QUERY, documents: [] }, param: 'documents' },
    { name: 'a zero top_n', body: { model: 'jina-reranker', query: QUERY, documents: DOCUMENTS, top_n: 0 }, param: 'top_n' },
  ])('refuses $name with a 400 naming $param', async ({ body, param }) => {
    const res = await rerank(body);

    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ param, code: 'invalid_value' });
    expect(h.upstream.requests).toHaveLength(0);
  });

  it("refuses a call whose search units could cost more than the key's budget left, before any upstream call", async () => {
    // 250 documents are three search units, $0.006 at worst: over a $0.005 day.
    const tight = await h.createKey({ name: 'tight', models: ['bedrock-cohere'], limits: { usdPerDay: 0.005 } });
    const documents = Array.from({ length: 250 }, (_, i) => `passage ${i}`);

    const over = await rerank({ model: 'bedrock-cohere', query: QUERY, documents }, { apiKey: tight.key });
    const within = await rerank({ model: 'bedrock-cohere', query: QUERY, documents: documents.slice(0, 200) }, { apiKey: tight.key });

    expect(over.status).toBe(429);
    expect(over.body.error).toMatchObject({ code: 'insufficient_quota' });
    expect(within.status).toBe(200);
    expect(bedrock.requests).toHaveLength(1);
    expect(await usageOf('bedrock-cohere', tight.id)).toMatchObject({ status: 200, billedUnits: 2, costMicros: 4_000 });
  });

  it("holds a passthrough's documents whole whatever max_tokens_per_doc says: a server that ignores it reads (and charges) every token", async () => {
    // Prepare: ten documents of ~1 000 tokens at $1 a million tokens, ~$0.01, against a $0.005 day; Jina and vLLM do not cut at max_tokens_per_doc.
    const tight = await h.createKey({ name: 'tight-tokens', models: ['jina-by-token'], limits: { usdPerDay: 0.005 } });
    const documents = Array.from({ length: 10 }, (_, i) => `passage ${i} `.repeat(400));

    // Act
    const res = await rerank({ model: 'jina-by-token', query: QUERY, documents, max_tokens_per_doc: 1 }, { apiKey: tight.key });

    // Assess
    expect(rerankTokens(QUERY, documents)).toBeGreaterThan(5_000);
    expect(res.status).toBe(429);
    expect(res.body.error).toMatchObject({ code: 'insufficient_quota' });
    expect(h.upstream.requests).toHaveLength(0);
  });
});
