import { GatewayError } from '../../http/errors';
import { decodeVertexEmbeddings, vertexEmbeddingBodies } from './embeddings';

describe('vertexEmbeddingBodies', () => {
  it('puts texts in calls of 250, with the dimensions and no silent truncation', () => {
    // Prepare
    const texts = Array.from({ length: 260 }, (_, i) => `text ${i}`);

    // Act
    const calls = vertexEmbeddingBodies('text-embedding-005', texts, 256);

    // Assess
    expect(calls.map((c) => c.texts)).toEqual([250, 10]);
    expect(calls[1]!.body).toEqual({ instances: texts.slice(250).map((content) => ({ content })), parameters: { autoTruncate: false, outputDimensionality: 256 } });
  });

  it('starts a new call before long texts pass the per-call token limit', () => {
    // Prepare: ~5 000 tokens each by the estimate.
    const texts = Array.from({ length: 5 }, () => 'x'.repeat(20_000));

    // Act
    const calls = vertexEmbeddingBodies('text-embedding-005', texts);

    // Assess
    expect(calls.map((c) => c.texts)).toEqual([2, 2, 1]);
    expect(calls[0]!.body.parameters).toEqual({ autoTruncate: false });
  });

  it('counts a character of CJK text as a token, not a quarter of one, when it sizes calls', () => {
    // Prepare: 250 texts of 150 Japanese characters, ~37 500 tokens.
    const texts = Array.from({ length: 250 }, () => '日本語の文章を埋め込みます。'.repeat(10) + '〇'.repeat(10));

    // Act
    const calls = vertexEmbeddingBodies('text-embedding-005', texts);

    // Assess: no call above Vertex's 20 000 tokens.
    expect(calls.reduce((n, c) => n + c.texts, 0)).toBe(250);
    for (const call of calls) expect(call.texts * 150).toBeLessThanOrEqual(20_000);
  });

  it('sends gemini-embedding one text a call', () => {
    expect(vertexEmbeddingBodies('gemini-embedding-001', ['a', 'b', 'c']).map((c) => c.texts)).toEqual([1, 1, 1]);
  });
});

describe('decodeVertexEmbeddings', () => {
  const prediction = (values: number[], tokenCount?: number) => ({ embeddings: { values, statistics: { truncated: false, ...(tokenCount !== undefined ? { token_count: tokenCount } : {}) } } });

  it('reads the vectors at unit length and sums Vertex’s token counts', () => {
    // Act
    const decoded = decodeVertexEmbeddings('text-embedding-005', { predictions: [prediction([3, 4], 2), prediction([0, 2], 5)] }, 2);

    // Assess
    expect(decoded).toEqual({ vectors: [[0.6, 0.8], [0, 1]], tokens: 7 });
  });

  it('counts no tokens when a prediction has none', () => {
    expect(decodeVertexEmbeddings('m', { predictions: [prediction([1], 2), prediction([1])] }, 2).tokens).toBeUndefined();
  });

  it('refuses an answer with another number of vectors than texts sent', () => {
    expect(() => decodeVertexEmbeddings('m', { predictions: [prediction([1])] }, 2)).toThrow(GatewayError);
  });
});
