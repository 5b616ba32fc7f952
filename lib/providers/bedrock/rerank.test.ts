import { bedrockRerankBody, bedrockRerankFamily, decodeBedrockRerank } from './rerank';

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

describe('bedrockRerankBody', () => {
  it.each<{ name: string; model: string; request: Parameters<typeof bedrockRerankBody>[1]; body: Record<string, unknown> }>([
    {
      name: "Cohere's v2 body with api_version 2 and top_n",
      model: COHERE,
      request: { query: 'q', texts: ['a', 'b', 'c'], top_n: 2 },
      body: { query: 'q', documents: ['a', 'b', 'c'], top_n: 2, api_version: 2 },
    },
    {
      name: 'every document asked for when the client gave no top_n',
      model: COHERE,
      request: { query: 'q', texts: ['a', 'b'], top_n: null },
      body: { query: 'q', documents: ['a', 'b'], top_n: 2, api_version: 2 },
    },
    {
      name: "Cohere's max_tokens_per_doc",
      model: COHERE,
      request: { query: 'q', texts: ['a'], max_tokens_per_doc: 512 },
      body: { query: 'q', documents: ['a'], top_n: 1, max_tokens_per_doc: 512, api_version: 2 },
    },
    { name: "Amazon's body, without api_version", model: AMAZON, request: { query: 'q', texts: ['a', 'b'], top_n: 1 }, body: { query: 'q', documents: ['a', 'b'], top_n: 1 } },
    { name: 'a top_n past the documents cut to them', model: AMAZON, request: { query: 'q', texts: ['a'], top_n: 50 }, body: { query: 'q', documents: ['a'], top_n: 1 } },
    { name: 'rank_fields of the text alone, as the gateway ranks anyway', model: AMAZON, request: { query: 'q', texts: ['a'], rank_fields: ['text'] }, body: { query: 'q', documents: ['a'], top_n: 1 } },
    {
      name: 'the most documents a call takes',
      model: COHERE,
      request: { query: 'q', texts: texts(1000) },
      body: { query: 'q', documents: texts(1000), top_n: 1000, api_version: 2 },
    },
  ])('builds $name', ({ model, request, body }) => {
    expect(bedrockRerankBody(model, request)).toEqual(body);
  });

  it.each<{ name: string; model: string; request: Parameters<typeof bedrockRerankBody>[1]; param: string }>([
    { name: 'more than 1 000 documents', model: COHERE, request: { query: 'q', texts: texts(1001) }, param: 'documents' },
    { name: "max_tokens_per_doc on Amazon's model", model: AMAZON, request: { query: 'q', texts: ['a'], max_tokens_per_doc: 100 }, param: 'max_tokens_per_doc' },
    { name: 'rank_fields other than the text', model: COHERE, request: { query: 'q', texts: ['a'], rank_fields: ['title', 'text'] }, param: 'rank_fields' },
    { name: 'max_chunks_per_doc', model: COHERE, request: { query: 'q', texts: ['a'], max_chunks_per_doc: 10 }, param: 'max_chunks_per_doc' },
    { name: 'a model of no rerank family', model: 'cohere.embed-v4:0', request: { query: 'q', texts: ['a'] }, param: 'model' },
  ])('refuses $name with a 400 naming $param', ({ model, request, param }) => {
    expect(() => bedrockRerankBody(model, request)).toThrow(expect.objectContaining({ status: 400, param, message: expect.stringContaining(model) }));
  });
});

describe('decodeBedrockRerank', () => {
  it('reads the scores in the order they came', () => {
    const json = {
      results: [
        { index: 1, relevance_score: 0.9 },
        { index: 0, relevance_score: 0.2 },
      ],
    };

    expect(decodeBedrockRerank(COHERE, json, 2)).toEqual(json.results);
  });

  it.each<{ name: string; json: unknown; why: string }>([
    { name: 'an answer without results', json: { id: 'x' }, why: 'no `results`' },
    { name: 'an index past the documents', json: { results: [{ index: 2, relevance_score: 0.5 }] }, why: 'results[0].index' },
    { name: 'a negative index', json: { results: [{ index: -1, relevance_score: 0.5 }] }, why: 'results[0].index' },
    { name: 'a score that is not a number', json: { results: [{ index: 0, relevance_score: 'high' }] }, why: 'results[0].relevance_score' },
    { name: 'null', json: null, why: 'no `results`' },
  ])('refuses $name as a bad upstream answer', ({ json, why }) => {
    expect(() => decodeBedrockRerank(AMAZON, json, 2)).toThrow(expect.objectContaining({ status: 502, code: 'upstream_bad_response', message: expect.stringContaining(why) }));
  });
});
