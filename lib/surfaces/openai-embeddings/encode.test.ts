import { encodeEmbeddings, float32Base64 } from './encode';

/** How the official openai client decodes a base64 embedding. */
const decode = (b64: string) => Array.from(new Float32Array(Uint8Array.from(Buffer.from(b64, 'base64')).buffer));

describe('float32Base64', () => {
  it.each<{ name: string; vector: number[]; base64: string }>([
    { name: 'one and minus one', vector: [1, -1], base64: 'AACAPwAAgL8=' },
    { name: 'zero', vector: [0], base64: 'AAAAAA==' },
    { name: 'nothing', vector: [], base64: '' },
  ])('writes $name as little-endian float32', ({ vector, base64 }) => {
    expect(float32Base64(vector)).toBe(base64);
  });

  it('round-trips through the client decoding to the float32 values', () => {
    const vector = [0.1, -0.25, 3.5e-7, 123.456];

    expect(decode(float32Base64(vector))).toEqual(vector.map(Math.fround));
  });
});

describe('encodeEmbeddings', () => {
  const answer = { vectors: [[0.5, 1], [-1, 0]], promptTokens: 7 };

  it.each<{ name: string; format: 'float' | 'base64' | null | undefined; embeddings: unknown[] }>([
    { name: 'floats by default', format: undefined, embeddings: [[0.5, 1], [-1, 0]] },
    { name: 'floats for null', format: null, embeddings: [[0.5, 1], [-1, 0]] },
    { name: 'floats when asked', format: 'float', embeddings: [[0.5, 1], [-1, 0]] },
    { name: 'base64 when asked', format: 'base64', embeddings: [float32Base64([0.5, 1]), float32Base64([-1, 0])] },
  ])("answers in OpenAI's shape, $name, with the client's model", ({ format, embeddings }) => {
    expect(encodeEmbeddings(answer, { model: 'my-embed', encoding_format: format })).toEqual({
      object: 'list',
      data: embeddings.map((embedding, index) => ({ object: 'embedding', index, embedding })),
      model: 'my-embed',
      usage: { prompt_tokens: 7, total_tokens: 7 },
    });
  });
});
