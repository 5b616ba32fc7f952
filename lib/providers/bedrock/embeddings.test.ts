import { GatewayError } from '../../http/errors';
import { bedrockEmbeddingBodies, bedrockEmbeddingFamily, decodeBedrockEmbeddings } from './embeddings';

const texts = (n: number) => Array.from({ length: n }, (_, i) => `text ${i}`);

describe('bedrockEmbeddingFamily', () => {
  it.each([
    { model: 'amazon.titan-embed-text-v2:0', family: 'titan-v2' },
    { model: 'amazon.titan-embed-text-v1', family: 'titan-v1' },
    { model: 'cohere.embed-english-v3', family: 'cohere-v3' },
    { model: 'cohere.embed-multilingual-v3', family: 'cohere-v3' },
    { model: 'cohere.embed-v4:0', family: 'cohere-v4' },
    { model: 'us.cohere.embed-v4:0', family: 'cohere-v4' },
    { model: 'arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0', family: 'titan-v2' },
  ])('reads $model as $family', ({ model, family }) => {
    expect(bedrockEmbeddingFamily(model)).toBe(family);
  });

  it.each(['anthropic.claude-3-5-sonnet-20240620-v1:0', 'amazon.titan-embed-image-v1', 'amazon.nova-pro-v1:0', 'myamazon.titan-embed-text-v2'])('refuses %s with a 400 naming the model', (model) => {
    expect(() => bedrockEmbeddingFamily(model)).toThrow(expect.objectContaining({ status: 400, param: 'model', message: expect.stringContaining(model) }));
  });
});

describe('bedrockEmbeddingBodies', () => {
  it.each<{ name: string; model: string; texts: string[]; dimensions?: number | null; expected: { body: Record<string, unknown>; texts: number }[] }>([
    {
      name: 'one Titan V2 call per text, normalized as OpenAI vectors are',
      model: 'amazon.titan-embed-text-v2:0',
      texts: ['a', 'b'],
      expected: [
        { body: { inputText: 'a', normalize: true }, texts: 1 },
        { body: { inputText: 'b', normalize: true }, texts: 1 },
      ],
    },
    { name: 'Titan V2 dimensions', model: 'amazon.titan-embed-text-v2:0', texts: ['a'], dimensions: 256, expected: [{ body: { inputText: 'a', dimensions: 256, normalize: true }, texts: 1 }] },
    { name: 'null dimensions as none', model: 'amazon.titan-embed-text-v2:0', texts: ['a'], dimensions: null, expected: [{ body: { inputText: 'a', normalize: true }, texts: 1 }] },
    { name: 'Titan V1 with the text alone', model: 'amazon.titan-embed-text-v1', texts: ['a'], expected: [{ body: { inputText: 'a' }, texts: 1 }] },
    { name: "Titan V1's one size, asked for, unsaid", model: 'amazon.titan-embed-text-v1', texts: ['a'], dimensions: 1536, expected: [{ body: { inputText: 'a' }, texts: 1 }] },
    { name: 'Cohere v3 texts for search', model: 'cohere.embed-english-v3', texts: ['a', 'b'], expected: [{ body: { texts: ['a', 'b'], input_type: 'search_document' }, texts: 2 }] },
    {
      name: 'Cohere v4 floats and output_dimension',
      model: 'cohere.embed-v4:0',
      texts: ['a'],
      dimensions: 512,
      expected: [{ body: { texts: ['a'], input_type: 'search_document', embedding_types: ['float'], output_dimension: 512 }, texts: 1 }],
    },
  ])('builds $name', ({ model, texts: input, dimensions, expected }) => {
    expect(bedrockEmbeddingBodies(model, input, dimensions)).toEqual(expected);
  });

  it.each([
    { count: 96, sizes: [96] },
    { count: 97, sizes: [96, 1] },
    { count: 200, sizes: [96, 96, 8] },
  ])('batches $count Cohere texts by 96, in order', ({ count, sizes }) => {
    // Act
    const calls = bedrockEmbeddingBodies('cohere.embed-multilingual-v3', texts(count));

    // Assess
    expect(calls.map((c) => c.texts)).toEqual(sizes);
    expect(calls.flatMap((c) => c.body.texts as string[])).toEqual(texts(count));
  });

  it.each([
    { model: 'amazon.titan-embed-text-v2:0', dimensions: 768 },
    { model: 'amazon.titan-embed-text-v1', dimensions: 256 },
    { model: 'cohere.embed-english-v3', dimensions: 512 },
    { model: 'cohere.embed-v4:0', dimensions: 3072 },
  ])('refuses $dimensions dimensions on $model with a 400 naming dimensions', ({ model, dimensions }) => {
    let error: unknown;
    try {
      bedrockEmbeddingBodies(model, ['a'], dimensions);
    } catch (err) {
      error = err;
    }

    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ status: 400, param: 'dimensions', code: 'invalid_value' });
    expect((error as Error).message).toContain(`'dimensions'`);
  });
});

describe('decodeBedrockEmbeddings', () => {
  it.each<{ name: string; model: string; json: unknown; expected: number; decoded: unknown }>([
    { name: "Titan's vector and token count", model: 'amazon.titan-embed-text-v2:0', json: { embedding: [0.1, 0.2], inputTextTokenCount: 4, embeddingsByType: { float: [0.1, 0.2] } }, expected: 1, decoded: { vectors: [[0.1, 0.2]], tokens: 4 } },
    { name: 'Titan V1', model: 'amazon.titan-embed-text-v1', json: { embedding: [1], inputTextTokenCount: 1 }, expected: 1, decoded: { vectors: [[1]], tokens: 1 } },
    { name: "Cohere v3's float lists, no count", model: 'cohere.embed-english-v3', json: { embeddings: [[1, 2], [3, 4]], id: 'x', response_type: 'embeddings_floats', texts: ['a', 'b'] }, expected: 2, decoded: { vectors: [[1, 2], [3, 4]] } },
    { name: 'Cohere by type', model: 'cohere.embed-v4:0', json: { embeddings: { float: [[5]] }, id: 'x', response_type: 'embeddings_by_type', texts: ['a'] }, expected: 1, decoded: { vectors: [[5]] } },
  ])('reads $name', ({ model, json, expected, decoded }) => {
    expect(decodeBedrockEmbeddings(model, json, expected)).toEqual(decoded);
  });

  it.each<{ name: string; model: string; json: unknown; expected: number }>([
    { name: 'a Titan answer without an embedding', model: 'amazon.titan-embed-text-v2:0', json: { inputTextTokenCount: 3 }, expected: 1 },
    { name: 'a Cohere answer with fewer vectors than texts', model: 'cohere.embed-english-v3', json: { embeddings: [[1]] }, expected: 2 },
    { name: 'int8 vectors only', model: 'cohere.embed-v4:0', json: { embeddings: { int8: [[1]] } }, expected: 1 },
    { name: 'not an object', model: 'cohere.embed-v4:0', json: null, expected: 1 },
  ])('refuses $name as a bad upstream answer', ({ model, json, expected }) => {
    expect(() => decodeBedrockEmbeddings(model, json, expected)).toThrow(expect.objectContaining({ status: 502, code: 'upstream_bad_response' }));
  });
});
