import { GatewayError } from '../../http/errors';
import { parseCompletionsRequest } from './request';

const body = (over: Record<string, unknown>) => ({ model: 'qwen2.5-coder', prompt: 'def add(a, b):', ...over });

describe('parseCompletionsRequest', () => {
  it.each<{ name: string; input: Record<string, unknown> }>([
    { name: 'a string prompt', input: body({}) },
    { name: 'an empty string prompt', input: body({ prompt: '' }) },
    { name: 'a fill-in-the-middle request', input: body({ suffix: '\n    return c', max_tokens: 64, stop: ['\n\n'], temperature: 0.2 }) },
    { name: 'an array of prompts', input: body({ prompt: ['a', 'b'], n: 2, best_of: 3 }) },
    { name: 'a token prompt', input: body({ prompt: [1, 0, 2] }) },
    { name: 'token prompts', input: body({ prompt: [[1, 2], [3]] }) },
    { name: 'a stream asking for usage', input: body({ stream: true, stream_options: { include_usage: true } }) },
    { name: 'null optional fields', input: body({ stream: null, stream_options: null, max_tokens: null, n: null, best_of: null, suffix: null }) },
    { name: 'max_tokens of 0 (echo only)', input: body({ max_tokens: 0, echo: true }) },
    { name: 'fields it does not know', input: body({ raw: true, options: { num_ctx: 4096 } }) },
  ])('accepts $name', ({ input }) => {
    expect(parseCompletionsRequest(input)).toBe(input);
  });

  it.each<{ name: string; input: Record<string, unknown>; param: string }>([
    { name: 'a missing model', input: { prompt: 'x' }, param: 'model' },
    { name: 'an empty model', input: body({ model: '' }), param: 'model' },
    { name: 'a missing prompt', input: { model: 'm' }, param: 'prompt' },
    { name: 'a null prompt', input: body({ prompt: null }), param: 'prompt' },
    { name: 'an object as prompt', input: body({ prompt: { text: 'x' } }), param: 'prompt' },
    { name: 'an empty array', input: body({ prompt: [] }), param: 'prompt' },
    { name: 'a number among strings', input: body({ prompt: ['a', 3] }), param: 'prompt[1]' },
    { name: 'a negative token', input: body({ prompt: [1, -2] }), param: 'prompt[1]' },
    { name: 'an empty token array', input: body({ prompt: [[1], []] }), param: 'prompt[1]' },
    { name: 'a stream that is not a boolean', input: body({ stream: 'yes' }), param: 'stream' },
    { name: 'stream_options that are not an object', input: body({ stream_options: true }), param: 'stream_options' },
    { name: 'a negative max_tokens', input: body({ max_tokens: -1 }), param: 'max_tokens' },
    { name: 'a fractional max_tokens', input: body({ max_tokens: 1.5 }), param: 'max_tokens' },
    { name: 'zero choices', input: body({ n: 0 }), param: 'n' },
    { name: 'a best_of that is not a number', input: body({ best_of: '2' }), param: 'best_of' },
    { name: 'a user that is not a string', input: body({ user: 7 }), param: 'user' },
  ])('refuses $name with a 400 naming $param', ({ input, param }) => {
    // Act
    let error: unknown;
    try {
      parseCompletionsRequest(input);
    } catch (err) {
      error = err;
    }

    // Assess
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ status: 400, param, code: 'invalid_value' });
    expect((error as Error).message).toContain(`'${param}'`);
  });
});
