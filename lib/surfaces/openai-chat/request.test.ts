import { ChatRequestSchema, parseChatRequest, plainlyValid } from './request';

const user = { role: 'user', content: 'Hi' };
const base = { model: 'gpt-4o-mini', messages: [user] };
const tool = { type: 'function', function: { name: 'read_file', description: 'Reads a file', parameters: { type: 'object', properties: { path: { type: 'string' } } } } };

/** What real clients send: each must take the quick path. */
const common: [string, Record<string, unknown>][] = [
  ['the smallest request', base],
  ['every sampling field', { ...base, stream: true, stream_options: { include_usage: true }, max_tokens: 32, max_completion_tokens: 64, temperature: 0, top_p: 1, n: 1, stop: ['\n'], user: 'u1', seed: 7 }],
  // Continue's autocomplete list: Anthropic, Bedrock and vLLM take more than OpenAI's four; Gemini gets its five, the gateway cutting at the rest.
  ['a stop list of fourteen (Continue’s)', { ...base, stop: ['<|endoftext|>', '<|fim_prefix|>', '<|fim_middle|>', '<|fim_suffix|>', '<|fim_pad|>', '<|repo_name|>', '<|file_sep|>', '<|im_start|>', '<|im_end|>', '\n\n', '\r\n\r\n', '/src/', '#- coding: utf-8', '```'] }],
  ['nulls where OpenAI allows them', { ...base, stream: null, stream_options: null, max_tokens: null, temperature: null, top_p: null, n: null, stop: null }],
  ['a system prompt as parts, a developer message', { ...base, messages: [{ role: 'system', content: [{ type: 'text', text: 'Be brief.' }] }, { role: 'developer', content: 'Terse.' }, user] }],
  ['an image and text from the user', { ...base, messages: [{ role: 'user', content: [{ type: 'text', text: 'What is it?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AA==' } }] }] }],
  [
    'a tool round trip',
    {
      ...base,
      tools: [tool],
      tool_choice: 'auto',
      messages: [
        user,
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'read_file', arguments: '{"path":"a"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'contents' },
        { role: 'assistant', content: 'Done.' },
      ],
    },
  ],
  ['a forced tool', { ...base, tools: [tool], tool_choice: { type: 'function', function: { name: 'read_file' } } }],
  // Zed sends an image a tool returned (read_file of a PNG) in the tool message.
  ['a tool result with an image (Zed’s)', { ...base, messages: [{ role: 'tool', tool_call_id: 'call_1', content: [{ type: 'text', text: 'pixel.png:' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AA==' } }] }] }],
  ['fields the gateway does not know', { ...base, logprobs: true, response_format: { type: 'json_object' }, metadata: { a: 'b' } }],
];

/** Requests the schema must refuse, and some it accepts that the quick check leaves to it. */
const others: [string, Record<string, unknown>][] = [
  ['no model', { messages: [user] }],
  ['an empty model', { ...base, model: '' }],
  ['a numeric model', { ...base, model: 4 }],
  ['no messages', { model: 'm' }],
  ['empty messages', { ...base, messages: [] }],
  ['messages not a list', { ...base, messages: user }],
  ['a message that is a list', { ...base, messages: [[user]] }],
  ['an unknown role', { ...base, messages: [{ role: 'robot', content: 'x' }] }],
  ['a function message (deprecated, valid)', { ...base, messages: [{ role: 'function', name: 'f', content: null }] }],
  ['a system prompt with an image part', { ...base, messages: [{ role: 'system', content: [{ type: 'image_url', image_url: {} }] }] }],
  ['a system prompt as a number', { ...base, messages: [{ role: 'system', content: 5 }] }],
  ['a user part without a type', { ...base, messages: [{ role: 'user', content: [{ text: 'x' }] }] }],
  ['a user part with an empty type', { ...base, messages: [{ role: 'user', content: [{ type: '' }] }] }],
  ['a user message without content', { ...base, messages: [{ role: 'user' }] }],
  ['assistant content as a number', { ...base, messages: [{ role: 'assistant', content: 5 }] }],
  ['assistant tool_calls null', { ...base, messages: [{ role: 'assistant', content: 'x', tool_calls: null }] }],
  ['a tool call without an id', { ...base, messages: [{ role: 'assistant', tool_calls: [{ id: '', type: 'function', function: { name: 'f', arguments: '{}' } }] }] }],
  ['a tool call with object arguments', { ...base, messages: [{ role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: {} } }] }] }],
  ['a tool result without its call id', { ...base, messages: [{ role: 'tool', content: 'x' }] }],
  ['stream as a string', { ...base, stream: 'yes' }],
  ['stream_options as a list', { ...base, stream_options: [] }],
  ['include_usage as a string', { ...base, stream_options: { include_usage: 'yes' } }],
  ['max_tokens 0', { ...base, max_tokens: 0 }],
  ['max_tokens negative', { ...base, max_tokens: -1 }],
  ['max_tokens fractional', { ...base, max_tokens: 1.5 }],
  ['max_tokens infinite (1e999 in JSON)', { ...base, max_tokens: Infinity }],
  ['max_completion_tokens as a string', { ...base, max_completion_tokens: '5' }],
  ['temperature 3', { ...base, temperature: 3 }],
  ['temperature below 0', { ...base, temperature: -0.1 }],
  ['temperature infinite', { ...base, temperature: Infinity }],
  ['top_p 2', { ...base, top_p: 2 }],
  ['n 129', { ...base, n: 129 }],
  ['n 0', { ...base, n: 0 }],
  ['a numeric stop', { ...base, stop: [1] }],
  ['tools null', { ...base, tools: null }],
  ['tools an object', { ...base, tools: tool }],
  ['a tool name of 65 characters', { ...base, tools: [{ type: 'function', function: { name: 'x'.repeat(65) } }] }],
  ['a tool without a name', { ...base, tools: [{ type: 'function', function: {} }] }],
  ['a tool of another type', { ...base, tools: [{ type: 'web_search' }] }],
  ['tool parameters as a list', { ...base, tools: [{ type: 'function', function: { name: 'f', parameters: [] } }] }],
  ['a tool description as a number', { ...base, tools: [{ type: 'function', function: { name: 'f', description: 1 } }] }],
  ['an unknown tool_choice', { ...base, tool_choice: 'sometimes' }],
  ['a forced tool without a name', { ...base, tool_choice: { type: 'function', function: {} } }],
  ['tool_choice null', { ...base, tool_choice: null }],
  ['user as a number', { ...base, user: 5 }],
  ['user null', { ...base, user: null }],
];

describe('the quick check of a Chat Completions request', () => {
  it.each([...common, ...others])('never accepts what the schema refuses: %s', (_name, body) => {
    const quick = plainlyValid(body);
    const schema = ChatRequestSchema.safeParse(body).success;

    expect(quick && !schema).toBe(false);
  });

  it.each(common)('passes what real clients send without the schema: %s', (_name, body) => {
    expect(plainlyValid(body)).toBe(true);
    expect(ChatRequestSchema.safeParse(body).success).toBe(true);
    expect(parseChatRequest(body)).toBe(body);
  });

  it.each(others)('answers a request the check leaves to the schema as the schema does: %s', (_name, body) => {
    const schema = ChatRequestSchema.safeParse(body);
    let thrown: unknown;
    try {
      parseChatRequest(body);
    } catch (err) {
      thrown = err;
    }

    expect(thrown === undefined).toBe(schema.success);
  });

  it('names the bad field in the error, as before', () => {
    expect(() => parseChatRequest({ ...base, temperature: 3 })).toThrow(/'temperature'/);
    expect(() => parseChatRequest({ ...base, messages: [{ role: 'user', content: [{ text: 'x' }] }] })).toThrow(/'messages\[0\]\.content/);
  });
});
