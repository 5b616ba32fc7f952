import type { ChatResponse } from '../../canonical/types';
import { GatewayError } from '../../http/errors';
import { fromOpenAIChatCompletion } from './translate-response';

const req = { model: 'gpt-4o', system: [], messages: [], stream: false };
const usage = {
  prompt_tokens: 40,
  completion_tokens: 10,
  total_tokens: 50,
  prompt_tokens_details: { cached_tokens: 32, audio_tokens: 0 },
  completion_tokens_details: { reasoning_tokens: 6 },
};
const body = (message: object, finish: string | null = 'stop', extra: object = {}) => ({
  id: 'chatcmpl-9',
  object: 'chat.completion',
  created: 1,
  model: 'gpt-4o-2024-08-06',
  choices: [{ index: 0, message: { role: 'assistant', refusal: null, ...message }, logprobs: null, finish_reason: finish }],
  usage,
  ...extra,
});

describe('fromOpenAIChatCompletion', () => {
  const cases: { name: string; input: unknown; expected: Partial<ChatResponse> }[] = [
    {
      name: 'decodes text, the upstream model and usage with cached and reasoning tokens',
      input: body({ content: 'Hello' }),
      expected: {
        id: 'chatcmpl-9',
        model: 'gpt-4o-2024-08-06',
        parts: [{ type: 'text', text: 'Hello' }],
        finishReason: 'stop',
        usage: { input: 40, output: 10, cacheRead: 32, cacheWrite: 0, reasoning: 6 },
      },
    },
    {
      name: 'decodes tool calls after text, with null content',
      input: body({ content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }] }, 'tool_calls'),
      expected: { parts: [{ type: 'tool_call', id: 'call_1', name: 'weather', arguments: '{"city":"Paris"}' }], finishReason: 'tool_calls' },
    },
    {
      name: 'puts reasoning_content first as thinking',
      input: body({ content: '42', reasoning_content: 'Six times seven.' }),
      expected: { parts: [{ type: 'thinking', text: 'Six times seven.' }, { type: 'text', text: '42' }] },
    },
    {
      name: 'reads a refusal as text marked refusal, ending content_filter as other providers\' refusals end',
      input: body({ content: null, refusal: 'I cannot help with that.' }),
      expected: { parts: [{ type: 'text', text: 'I cannot help with that.', refusal: true }], finishReason: 'content_filter' },
    },
    {
      name: 'reads a refusal part of the content as text marked refusal, ending content_filter',
      input: body({ content: [{ type: 'refusal', refusal: 'No.' }] }),
      expected: { parts: [{ type: 'text', text: 'No.', refusal: true }], finishReason: 'content_filter' },
    },
    {
      name: 'keeps a length finish after refusal words',
      input: body({ content: null, refusal: 'I cannot' }, 'length'),
      expected: { parts: [{ type: 'text', text: 'I cannot', refusal: true }], finishReason: 'length' },
    },
    {
      name: 'keeps a tool_calls finish when calls come with refusal words',
      input: body({ content: null, refusal: 'No.', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }] }),
      expected: { parts: [{ type: 'text', text: 'No.', refusal: true }, { type: 'tool_call', id: 'call_1', name: 'f', arguments: '{}' }], finishReason: 'tool_calls' },
    },
    {
      name: 'keeps text and refusal parts of the content apart, in their order, each run joined',
      input: body({ content: [{ type: 'text', text: 'Here ' }, { type: 'text', text: 'is.' }, { type: 'refusal', refusal: 'But ' }, { type: 'refusal', refusal: 'no more.' }] }),
      expected: { parts: [{ type: 'text', text: 'Here is.' }, { type: 'text', text: 'But no more.', refusal: true }], finishReason: 'content_filter' },
    },
    {
      name: 'reads words in content first: a refusal beside them is not sent twice',
      input: body({ content: 'Hello', refusal: 'No.' }),
      expected: { parts: [{ type: 'text', text: 'Hello' }], finishReason: 'content_filter' },
    },
    {
      name: 'reads an empty refusal as none',
      input: body({ content: 'Hello', refusal: '' }),
      expected: { parts: [{ type: 'text', text: 'Hello' }], finishReason: 'stop' },
    },
    {
      name: "maps Azure's content_filter finish and ignores its filter annotations",
      input: body({ content: 'Partial' }, 'content_filter', { prompt_filter_results: [{ prompt_index: 0, content_filter_results: {} }] }),
      expected: { parts: [{ type: 'text', text: 'Partial' }], finishReason: 'content_filter' },
    },
    {
      name: 'reports tool_calls when a compatible server says stop after tool calls, and zero usage when there is none',
      input: { ...body({ content: '', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] }, 'stop'), usage: undefined },
      expected: { parts: [{ type: 'tool_call', id: 'c', name: 'f', arguments: '{}' }], finishReason: 'tool_calls', usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 } },
    },
  ];

  it.each(cases)('$name', ({ input, expected }) => {
    // Act
    const res = fromOpenAIChatCompletion(input, req);

    // Assess
    expect(res).toMatchObject(expected);
    if (expected.parts) expect(res.parts).toEqual(expected.parts);
  });

  it.each([
    { name: 'an answer without choices', input: { id: 'x', choices: [] }, code: 'upstream_invalid_response' },
    { name: 'an error object in a 200 body', input: { error: { message: 'bad', code: 'oops' } }, code: 'oops' },
  ])('refuses $name with a 502', ({ input, code }) => {
    expect(() => fromOpenAIChatCompletion(input, req)).toThrow(GatewayError);
    expect(() => fromOpenAIChatCompletion(input, req)).toThrow(expect.objectContaining({ status: 502, code }));
  });
});

describe('fromOpenAIChatCompletion on answers of an unexpected shape', () => {
  // A throw other than the gateway's own 502 is a fault of the gateway's (a 500 that pages): none may come of the upstream's JSON.
  const odd: unknown[] = [null, 0, -1, '', 'x', true, [], [null], ['x'], {}, [{}], { x: 1 }];
  const places: [string, (v: unknown) => unknown][] = [
    ['the answer', (v) => v],
    ['choices', (v) => ({ ...body({}), choices: v })],
    ['a choice', (v) => ({ ...body({}), choices: [v] })],
    ['the message', (v) => ({ ...body({}), choices: [{ index: 0, message: v, finish_reason: 'stop' }] })],
    ['content', (v) => body({ content: v, refusal: v, reasoning_content: v, reasoning: v })],
    ['a content part', (v) => body({ content: [v, { type: 'text', text: 'Hi' }] })],
    ['tool_calls', (v) => body({ tool_calls: v })],
    ['a tool call', (v) => body({ tool_calls: [v] })],
    ['a tool call\'s fields', (v) => body({ tool_calls: [{ id: v, type: v, function: v }] })],
    ['a function\'s fields', (v) => body({ tool_calls: [{ id: 'c', type: 'function', function: { name: v, arguments: v } }] })],
    ['usage', (v) => body({ content: 'Hi' }, 'stop', { usage: v })],
  ];

  it.each(places)('throws nothing but its own 502 on any JSON value as %s', (_place, at) => {
    for (const value of odd) {
      // Act
      let thrown: unknown;
      try {
        fromOpenAIChatCompletion(at(value), req);
      } catch (err) {
        thrown = err;
      }

      // Assess
      if (thrown !== undefined) expect(thrown).toMatchObject({ status: 502 });
    }
  });

  it.each([
    { name: 'skips a null tool call beside a sound one', message: { content: null, tool_calls: [null, { id: 'c1', type: 'function', function: { name: 'a', arguments: '{}' } }] }, parts: [{ type: 'tool_call', id: 'c1', name: 'a', arguments: '{}' }] },
    { name: 'skips tool_calls that is not a list', message: { content: 'Hi', tool_calls: { id: 'c1', type: 'function', function: { name: 'a', arguments: '{}' } } }, parts: [{ type: 'text', text: 'Hi' }] },
    { name: 'skips a null content part', message: { content: [null, { type: 'text', text: 'Hi' }] }, parts: [{ type: 'text', text: 'Hi' }] },
  ])('$name', ({ message, parts }) => {
    expect(fromOpenAIChatCompletion(body(message), req).parts).toEqual(parts);
  });
});
