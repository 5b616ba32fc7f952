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
  it('reads the values of each embedding, in order, at unit length', () => {
    expect(decodeGeminiEmbeddings('m', { embeddings: [{ values: [3, 4] }, { values: [0, -2] }] }, 2)).toEqual([
      [0.6, 0.8],
      [0, -1],
    ]);
  });

  // Google normalizes only its full-size vectors (3072 for gemini-embedding-001); `outputDimensionality`
  // truncates them and leaves them shorter than unit length. OpenAI's are always of unit length, and
  // clients compare them by dot product as OpenAI's docs advise.
  it.each<{ name: string; values: number[]; unit: number[] }>([
    { name: 'a truncated vector (shorter than unit length)', values: [0.3, 0.4], unit: [0.6, 0.8] },
    { name: 'a vector longer than unit length', values: [6, 8], unit: [0.6, 0.8] },
    { name: 'a unit vector, as it was', values: [0.6, 0.8], unit: [0.6, 0.8] },
    { name: 'a zero vector, as it was', values: [0, 0], unit: [0, 0] },
  ])('scales $name to unit length', ({ values, unit }) => {
    const [vector] = decodeGeminiEmbeddings('m', { embeddings: [{ values }] }, 1);
    expect(vector).toHaveLength(unit.length);
    vector!.forEach((v, i) => expect(v).toBeCloseTo(unit[i]!, 12));
  });

  it.each<{ name: string; json: unknown }>([
    { name: 'fewer embeddings than texts', json: { embeddings: [{ values: [1] }] } },
    { name: 'an embedding without values', json: { embeddings: [{ values: [1] }, {}] } },
    { name: 'no embeddings', json: {} },
  ])('refuses $name as a bad upstream answer', ({ json }) => {
    expect(() => decodeGeminiEmbeddings('m', json, 2)).toThrow(expect.objectContaining({ status: 502, code: 'upstream_bad_response' }));
  });
});
