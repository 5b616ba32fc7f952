import { decodeGeminiEmbeddings, GEMINI_EMBED_BATCH, geminiEmbeddingBodies } from './embeddings';

describe('geminiEmbeddingBodies', () => {
  it.each<{ name: string; model: string; dimensions?: number | null; request: Record<string, unknown> }>([
    { name: 'names the model in each request as the URL does', model: 'gemini-embedding-001', request: { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'a' }] } } },
    { name: 'keeps a full resource name', model: 'tunedModels/mine', request: { model: 'tunedModels/mine', content: { parts: [{ text: 'a' }] } } },
    { name: 'asks for dimensions as outputDimensionality', model: 'text-embedding-004', dimensions: 256, request: { model: 'models/text-embedding-004', content: { parts: [{ text: 'a' }] }, outputDimensionality: 256 } },
    { name: 'leaves null dimensions out', model: 'text-embedding-004', dimensions: null, request: { model: 'models/text-embedding-004', content: { parts: [{ text: 'a' }] } } },
  ])('$name', ({ model, dimensions, request }) => {
    expect(geminiEmbeddingBodies(model, ['a'], dimensions)).toEqual([{ body: { requests: [request] }, texts: 1 }]);
  });

  it.each([
    { count: 1, sizes: [1] },
    { count: GEMINI_EMBED_BATCH, sizes: [100] },
    { count: 250, sizes: [100, 100, 50] },
  ])('batches $count texts by 100, in order', ({ count, sizes }) => {
    // Prepare
    const texts = Array.from({ length: count }, (_, i) => `t${i}`);

    // Act
    const calls = geminiEmbeddingBodies('text-embedding-004', texts);

    // Assess
    expect(calls.map((c) => c.texts)).toEqual(sizes);
    expect(calls.flatMap((c) => (c.body.requests as { content: { parts: { text: string }[] } }[]).map((r) => r.content.parts[0]!.text))).toEqual(texts);
  });
});

describe('decodeGeminiEmbeddings', () => {
  it('reads the values of each embedding, in order', () => {
    expect(decodeGeminiEmbeddings('m', { embeddings: [{ values: [1, 2] }, { values: [3, 4] }] }, 2)).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it.each<{ name: string; json: unknown }>([
    { name: 'fewer embeddings than texts', json: { embeddings: [{ values: [1] }] } },
    { name: 'an embedding without values', json: { embeddings: [{ values: [1] }, {}] } },
    { name: 'no embeddings', json: {} },
  ])('refuses $name as a bad upstream answer', ({ json }) => {
    expect(() => decodeGeminiEmbeddings('m', json, 2)).toThrow(expect.objectContaining({ status: 502, code: 'upstream_bad_response' }));
  });
});
