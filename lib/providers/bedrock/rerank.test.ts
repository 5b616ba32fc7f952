import { bedrockRerankBody, bedrockRerankFamily, bedrockRerankModelArn, decodeBedrockRerank } from './rerank';

const COHERE = 'cohere.rerank-v3-5:0';
const AMAZON = 'amazon.rerank-v1:0';
const texts = (n: number) => Array.from({ length: n }, (_, i) => `doc ${i}`);

describe('bedrockRerankFamily', () => {
  it.each([
    { model: COHERE, family: 'cohere-rerank' },
    { model: AMAZON, family: 'amazon-rerank' },
    { model: 'arn:aws:bedrock:us-west-2::foundation-model/cohere.rerank-v3-5:0', family: 'cohere-rerank' },
    { model: 'arn:aws:bedrock:us-west-2::foundation-model/amazon.rerank-v1:0', family: 'amazon-rerank' },
  ])('reads $model as $family', ({ model, family }) => {
    expect(bedrockRerankFamily(model)).toBe(family);
  });

  it.each(['cohere.embed-english-v3', 'anthropic.claude-3-5-sonnet-20240620-v1:0', 'amazon.titan-embed-text-v2:0', 'mycohere.rerank-v3-5:0'])('refuses %s with a 400 naming the model', (model) => {
    expect(() => bedrockRerankFamily(model)).toThrow(expect.objectContaining({ status: 400, param: 'model', message: expect.stringContaining(model) }));
  });
});

describe('bedrockRerankModelArn', () => {
  it.each([
    { model: COHERE, region: 'us-west-2', arn: 'arn:aws:bedrock:us-west-2::foundation-model/cohere.rerank-v3-5:0' },
    { model: AMAZON, region: 'cn-north-1', arn: 'arn:aws-cn:bedrock:cn-north-1::foundation-model/amazon.rerank-v1:0' },
    { model: AMAZON, region: 'us-gov-west-1', arn: 'arn:aws-us-gov:bedrock:us-gov-west-1::foundation-model/amazon.rerank-v1:0' },
    { model: 'arn:aws:bedrock:eu-central-1::foundation-model/amazon.rerank-v1:0', region: 'us-west-2', arn: 'arn:aws:bedrock:eu-central-1::foundation-model/amazon.rerank-v1:0' },
  ])('names $model in $region as $arn', ({ model, region, arn }) => {
    expect(bedrockRerankModelArn(model, region)).toBe(arn);
  });
});

/** Rerank's body as AWS documents it, for a model in us-west-2. */
function rerankBody(model: string, query: string, documents: string[], numberOfResults: number, extra: { additionalModelRequestFields?: object; nextToken?: string } = {}) {
  return {
    queries: [{ type: 'TEXT', textQuery: { text: query } }],
    sources: documents.map((text) => ({ type: 'INLINE', inlineDocumentSource: { type: 'TEXT', textDocument: { text } } })),
    rerankingConfiguration: {
      type: 'BEDROCK_RERANKING_MODEL',
      bedrockRerankingConfiguration: {
        numberOfResults,
        modelConfiguration: { modelArn: `arn:aws:bedrock:us-west-2::foundation-model/${model}`, ...(extra.additionalModelRequestFields ? { additionalModelRequestFields: extra.additionalModelRequestFields } : {}) },
      },
    },
    ...(extra.nextToken ? { nextToken: extra.nextToken } : {}),
  };
}

describe('bedrockRerankBody', () => {
  it.each<{ name: string; model: string; request: Parameters<typeof bedrockRerankBody>[2]; nextToken?: string; body: Record<string, unknown> }>([
    { name: "Cohere's model with numberOfResults from top_n", model: COHERE, request: { query: 'q', texts: ['a', 'b', 'c'], top_n: 2 }, body: rerankBody(COHERE, 'q', ['a', 'b', 'c'], 2) },
    { name: 'every document asked for when the client gave no top_n', model: COHERE, request: { query: 'q', texts: ['a', 'b'], top_n: null }, body: rerankBody(COHERE, 'q', ['a', 'b'], 2) },
    {
      name: "Cohere's max_tokens_per_doc in additionalModelRequestFields",
      model: COHERE,
      request: { query: 'q', texts: ['a'], max_tokens_per_doc: 512 },
      body: rerankBody(COHERE, 'q', ['a'], 1, { additionalModelRequestFields: { max_tokens_per_doc: 512 } }),
    },
    { name: "Amazon's model", model: AMAZON, request: { query: 'q', texts: ['a', 'b'], top_n: 1 }, body: rerankBody(AMAZON, 'q', ['a', 'b'], 1) },
    { name: 'a top_n past the documents cut to them', model: AMAZON, request: { query: 'q', texts: ['a'], top_n: 50 }, body: rerankBody(AMAZON, 'q', ['a'], 1) },
    { name: 'rank_fields of the text alone, as the gateway ranks anyway', model: AMAZON, request: { query: 'q', texts: ['a'], rank_fields: ['text'] }, body: rerankBody(AMAZON, 'q', ['a'], 1) },
    { name: 'the next page with its token', model: AMAZON, request: { query: 'q', texts: ['a'] }, nextToken: 'page-2', body: rerankBody(AMAZON, 'q', ['a'], 1, { nextToken: 'page-2' }) },
    { name: 'the most documents a call takes', model: COHERE, request: { query: 'q', texts: texts(1000) }, body: rerankBody(COHERE, 'q', texts(1000), 1000) },
    { name: 'texts of the longest length', model: COHERE, request: { query: 'q'.repeat(32_000), texts: ['d'.repeat(32_000)] }, body: rerankBody(COHERE, 'q'.repeat(32_000), ['d'.repeat(32_000)], 1) },
  ])('builds $name', ({ model, request, nextToken, body }) => {
    expect(bedrockRerankBody(model, 'us-west-2', request, nextToken)).toEqual(body);
  });

  it.each<{ name: string; model: string; request: Parameters<typeof bedrockRerankBody>[2]; param: string }>([
    { name: 'more than 1 000 documents', model: COHERE, request: { query: 'q', texts: texts(1001) }, param: 'documents' },
    { name: "max_tokens_per_doc on Amazon's model", model: AMAZON, request: { query: 'q', texts: ['a'], max_tokens_per_doc: 100 }, param: 'max_tokens_per_doc' },
    { name: 'rank_fields other than the text', model: COHERE, request: { query: 'q', texts: ['a'], rank_fields: ['title', 'text'] }, param: 'rank_fields' },
    { name: 'max_chunks_per_doc', model: COHERE, request: { query: 'q', texts: ['a'], max_chunks_per_doc: 10 }, param: 'max_chunks_per_doc' },
    { name: 'an empty document', model: AMAZON, request: { query: 'q', texts: ['a', ''] }, param: 'documents[1]' },
    { name: 'a document over 32 000 characters', model: COHERE, request: { query: 'q', texts: ['d'.repeat(32_001)] }, param: 'documents[0]' },
    { name: 'a query over 32 000 characters', model: AMAZON, request: { query: 'q'.repeat(32_001), texts: ['a'] }, param: 'query' },
    { name: 'a model of no rerank family', model: 'cohere.embed-v4:0', request: { query: 'q', texts: ['a'] }, param: 'model' },
  ])('refuses $name with a 400 naming $param', ({ model, request, param }) => {
    expect(() => bedrockRerankBody(model, 'us-west-2', request)).toThrow(expect.objectContaining({ status: 400, param, message: expect.stringContaining(model) }));
  });
});

describe('decodeBedrockRerank', () => {
  it('reads the scores in the order they came, leaving echoed documents aside', () => {
    const json = {
      results: [
        { index: 1, relevanceScore: 0.9, document: { type: 'TEXT', textDocument: { text: 'b' } } },
        { index: 0, relevanceScore: 0.2 },
      ],
    };

    expect(decodeBedrockRerank(COHERE, json, 2)).toEqual({
      scores: [
        { index: 1, relevance_score: 0.9 },
        { index: 0, relevance_score: 0.2 },
      ],
    });
  });

  it("reads a page's nextToken", () => {
    expect(decodeBedrockRerank(AMAZON, { results: [{ index: 0, relevanceScore: 0.5 }], nextToken: 'abc' }, 1)).toEqual({ scores: [{ index: 0, relevance_score: 0.5 }], nextToken: 'abc' });
  });

  it.each<{ name: string; json: unknown; why: string }>([
    { name: 'an answer without results', json: { nextToken: 'x' }, why: 'no `results`' },
    { name: 'an index past the documents', json: { results: [{ index: 2, relevanceScore: 0.5 }] }, why: 'results[0].index' },
    { name: 'a negative index', json: { results: [{ index: -1, relevanceScore: 0.5 }] }, why: 'results[0].index' },
    { name: 'a score that is not a number', json: { results: [{ index: 0, relevanceScore: 'high' }] }, why: 'results[0].relevanceScore' },
    { name: "InvokeModel's relevance_score", json: { results: [{ index: 0, relevance_score: 0.5 }] }, why: 'results[0].relevanceScore' },
    { name: 'an empty nextToken', json: { results: [], nextToken: '' }, why: '`nextToken`' },
    { name: 'null', json: null, why: 'no `results`' },
  ])('refuses $name as a bad upstream answer', ({ json, why }) => {
    expect(() => decodeBedrockRerank(AMAZON, json, 2)).toThrow(expect.objectContaining({ status: 502, code: 'upstream_bad_response', message: expect.stringContaining(why) }));
  });
});
