import type { EmbeddingsInput } from './request';
import { embeddingsTexts } from './texts';

describe('embeddingsTexts', () => {
  it.each<{ name: string; input: EmbeddingsInput; texts: string[] }>([
    { name: 'a string as one text', input: 'hello', texts: ['hello'] },
    { name: 'strings as they are', input: ['a', 'b'], texts: ['a', 'b'] },
  ])('takes $name', ({ input, texts }) => {
    expect(embeddingsTexts(input, 'bedrock')).toEqual(texts);
  });

  it.each<{ name: string; input: EmbeddingsInput }>([
    { name: 'a token array', input: [1, 2, 3] },
    { name: 'token arrays', input: [[1], [2]] },
  ])('refuses $name with a 400 naming input and the provider type', ({ input }) => {
    expect(() => embeddingsTexts(input, 'gemini')).toThrow(expect.objectContaining({ status: 400, param: 'input', message: expect.stringContaining('provider type gemini') }));
  });
});
