import { GatewayError } from '../../http/errors';
import { parseEmbeddingsRequest } from './request';

const body = (over: Record<string, unknown>) => ({ model: 'text-embedding-3-small', input: 'hello', ...over });

describe('parseEmbeddingsRequest', () => {
  it.each<{ name: string; input: Record<string, unknown> }>([
    { name: 'a string', input: body({}) },
    { name: 'an array of strings', input: body({ input: ['a', 'b'] }) },
    { name: 'an array of tokens', input: body({ input: [1, 0, 2] }) },
    { name: 'an array of token arrays', input: body({ input: [[1, 2], [3]] }) },
    { name: 'float and base64 encodings', input: body({ encoding_format: 'base64', dimensions: 256, user: 'u1' }) },
    { name: 'null optional fields', input: body({ encoding_format: null, dimensions: null }) },
    { name: 'fields it does not know', input: body({ extra_body: { x: 1 }, input_type: 'query' }) },
  ])('accepts $name', ({ input }) => {
    expect(parseEmbeddingsRequest(input)).toBe(input);
  });

  it.each<{ name: string; input: Record<string, unknown>; param: string }>([
    { name: 'a missing model', input: { input: 'x' }, param: 'model' },
    { name: 'an empty model', input: body({ model: '' }), param: 'model' },
    { name: 'a missing input', input: { model: 'm' }, param: 'input' },
    { name: 'an empty string', input: body({ input: '' }), param: 'input' },
    { name: 'an empty array', input: body({ input: [] }), param: 'input' },
    { name: 'an object as input', input: body({ input: { text: 'x' } }), param: 'input' },
    { name: 'an empty string among strings', input: body({ input: ['a', ''] }), param: 'input[1]' },
    { name: 'a number among strings', input: body({ input: ['a', 3] }), param: 'input[1]' },
    { name: 'a negative token', input: body({ input: [1, -2] }), param: 'input[1]' },
    { name: 'a fractional token', input: body({ input: [1.5] }), param: 'input[0]' },
    { name: 'an empty token array', input: body({ input: [[1], []] }), param: 'input[1]' },
    { name: 'a string inside a token array', input: body({ input: [[1, 'a']] }), param: 'input[0][1]' },
    { name: 'an unknown encoding', input: body({ encoding_format: 'int8' }), param: 'encoding_format' },
    { name: 'zero dimensions', input: body({ dimensions: 0 }), param: 'dimensions' },
    { name: 'fractional dimensions', input: body({ dimensions: 1.5 }), param: 'dimensions' },
    { name: 'a user that is not a string', input: body({ user: 7 }), param: 'user' },
  ])('refuses $name with a 400 naming $param', ({ input, param }) => {
    // Act
    let error: unknown;
    try {
      parseEmbeddingsRequest(input);
    } catch (err) {
      error = err;
    }

    // Assess
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ status: 400, param, code: 'invalid_value' });
    expect((error as Error).message).toContain(`'${param}'`);
  });
});
