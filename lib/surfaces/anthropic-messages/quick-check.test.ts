import { FIXTURE_NAMES, loadFixture } from '../../../test/integration/claude-code/fixtures';
import { plainlyValid } from './quick-check';
import { decodeAnthropicRequest, validateAnthropicRequest } from './request';
import { CountTokensRequestSchema, MessagesRequestSchema } from './schema';

const user = { role: 'user', content: 'Hi' };
const base = { model: 'claude-sonnet-4-5', max_tokens: 1024, messages: [user] };
const tool = { name: 'Read', description: 'Reads a file', input_schema: { type: 'object', properties: { path: { type: 'string' } } } };
const cached = { type: 'ephemeral' };
const png = { type: 'base64', media_type: 'image/png', data: 'AA==' };
const captures = FIXTURE_NAMES.map((name): [string, Record<string, unknown>] => [`the Claude Code capture ${name}`, loadFixture(name).request.body]);

/** What real clients send: each must take the quick path. */
const common: [string, Record<string, unknown>][] = [
  ['the smallest request', base],
  ['every sampling field', { ...base, stream: true, temperature: 1, top_p: 0.9, top_k: 40, stop_sequences: ['\n\nHuman:'], metadata: { user_id: 'u1' } }],
  ['nulls where the schema allows them', { ...base, stream: null, temperature: null, top_p: null, top_k: null, stop_sequences: null, tools: null, tool_choice: null, thinking: null, metadata: null, output_config: null }],
  ['a system prompt as cached blocks', { ...base, system: [{ type: 'text', text: 'You are Claude Code.', cache_control: cached }, { type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral', ttl: '1h' } }] }],
  ['an empty conversation (the schema takes it)', { ...base, messages: [] }],
  ['images by data, URL and file', { ...base, messages: [{ role: 'user', content: [{ type: 'image', source: png }, { type: 'image', source: { type: 'url', url: 'https://x/y.png' } }, { type: 'image', source: { type: 'file', file_id: 'f1' } }, { type: 'text', text: 'What are these?' }] }] }],
  [
    'a tool round trip with thinking',
    {
      ...base,
      tools: [tool, { ...tool, name: 'Write', strict: true, cache_control: cached }],
      tool_choice: { type: 'auto', disable_parallel_tool_use: true },
      thinking: { type: 'enabled', budget_tokens: 2048 },
      messages: [
        user,
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'Let me look.', signature: 'sig' }, { type: 'redacted_thinking', data: 'xyz' }, { type: 'tool_use', id: 'toolu_1', name: 'Read', input: { path: 'a' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'contents' }, { type: 'image', source: png }], cache_control: cached }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_2', content: 'failed', is_error: true }] },
        { role: 'assistant', content: 'Done.' },
      ],
    },
  ],
  ['a server tool beside a client tool', { ...base, tools: [tool, { type: 'web_search_20250305', name: 'web_search', max_uses: 3 }, { type: 'custom', ...tool, name: 'Edit' }] }],
  ['server tool blocks in the history', { ...base, messages: [user, { role: 'assistant', content: [{ type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: {} }, { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1', content: [] }] }] }],
  ['every tool_choice', { ...base, tools: [tool], tool_choice: { type: 'tool', name: 'Read' } }],
  ['tool_choice any and none', { ...base, tools: [tool], tool_choice: { type: 'any' }, metadata: {} }],
  ['adaptive thinking with an effort', { ...base, thinking: { type: 'adaptive' }, output_config: { effort: 'high' } }],
  ['thinking disabled, a JSON schema output', { ...base, thinking: { type: 'disabled' }, output_config: { format: { type: 'json_schema', schema: { type: 'object' } } } }],
  ['fields the gateway does not know', { ...base, context_management: { edits: [] }, service_tier: 'auto', container: null }],
  ...captures,
];

/** Requests the schema (or the decoder) must refuse, and some it accepts that the quick check leaves to it. */
const others: [string, Record<string, unknown>][] = [
  ['no model', { max_tokens: 1, messages: [user] }],
  ['an empty model', { ...base, model: '' }],
  ['no max_tokens', { model: 'm', messages: [user] }],
  ['max_tokens 0', { ...base, max_tokens: 0 }],
  ['max_tokens fractional', { ...base, max_tokens: 1.5 }],
  ['max_tokens infinite', { ...base, max_tokens: Infinity }],
  ['max_tokens as a string', { ...base, max_tokens: '5' }],
  ['no messages', { model: 'm', max_tokens: 1 }],
  ['messages not a list', { ...base, messages: user }],
  ['a system role in messages', { ...base, messages: [{ role: 'system', content: 'x' }] }],
  ['a message without content', { ...base, messages: [{ role: 'user' }] }],
  ['content as a number', { ...base, messages: [{ role: 'user', content: 5 }] }],
  ['content null', { ...base, messages: [{ role: 'assistant', content: null }] }],
  ['a block without a type', { ...base, messages: [{ role: 'user', content: [{ text: 'x' }] }] }],
  ['a block with an empty type', { ...base, messages: [{ role: 'user', content: [{ type: '' }] }] }],
  ['a block that is a string', { ...base, messages: [{ role: 'user', content: ['x'] }] }],
  ['a text block without text', { ...base, messages: [{ role: 'user', content: [{ type: 'text' }] }] }],
  ['a cache_control of another type', { ...base, messages: [{ role: 'user', content: [{ type: 'text', text: 'x', cache_control: { type: 'forever' } }] }] }],
  ['a cache ttl as a number', { ...base, system: [{ type: 'text', text: 'x', cache_control: { type: 'ephemeral', ttl: 3600 } }] }],
  ['a cache ttl null', { ...base, system: [{ type: 'text', text: 'x', cache_control: { type: 'ephemeral', ttl: null } }] }],
  ['an image without data', { ...base, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: '' } }] }] }],
  ['an image with an unknown source', { ...base, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'ftp', url: 'x' } }] }] }],
  ['an image without a source', { ...base, messages: [{ role: 'user', content: [{ type: 'image' }] }] }],
  ['a document (valid, left to the schema)', { ...base, messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'text', data: 'notes' }, title: 'Notes' }] }] }],
  ['a document without a source', { ...base, messages: [{ role: 'user', content: [{ type: 'document' }] }] }],
  ['a tool_use without an id', { ...base, messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: '', name: 'Read', input: {} }] }] }],
  ['a tool_use with string input', { ...base, messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'Read', input: '{}' }] }] }],
  ['a tool_use with list input', { ...base, messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'Read', input: [] }] }] }],
  ['a tool_result without its id', { ...base, messages: [{ role: 'user', content: [{ type: 'tool_result', content: 'x' }] }] }],
  ['a tool_result with numeric content', { ...base, messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: 5 }] }] }],
  ['a tool_result with is_error as a string', { ...base, messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', is_error: 'yes' }] }] }],
  ['a tool_result holding a bad text block', { ...base, messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'text', text: 1 }] }] }] }],
  ['a tool_result holding a document (valid, left to the schema)', { ...base, messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'document', source: { type: 'text', data: 'x' } }] }] }] }],
  ['a tool_result holding an untyped block', { ...base, messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{}] }] }] }],
  ['thinking without a signature', { ...base, messages: [{ role: 'assistant', content: [{ type: 'thinking', thinking: 'x' }] }] }],
  ['redacted thinking without data', { ...base, messages: [{ role: 'assistant', content: [{ type: 'redacted_thinking', data: '' }] }] }],
  ['system null', { ...base, system: null }],
  ['system as a number', { ...base, system: 5 }],
  ['a system block of another type', { ...base, system: [{ type: 'image', source: png }] }],
  ['stream as a string', { ...base, stream: 'yes' }],
  ['temperature above 1', { ...base, temperature: 1.5 }],
  ['top_p below 0', { ...base, top_p: -0.1 }],
  ['top_k negative', { ...base, top_k: -1 }],
  ['top_k fractional', { ...base, top_k: 1.5 }],
  ['a numeric stop sequence', { ...base, stop_sequences: [1] }],
  ['tools an object', { ...base, tools: tool }],
  ['a tool without a name', { ...base, tools: [{ input_schema: {} }] }],
  ['a client tool without input_schema', { ...base, tools: [{ name: 'Read' }] }],
  ['a custom tool without input_schema', { ...base, tools: [{ type: 'custom', name: 'Read' }] }],
  ['a tool with an empty type and no input_schema', { ...base, tools: [{ type: '', name: 'Read' }] }],
  ['input_schema as a list', { ...base, tools: [{ name: 'Read', input_schema: [] }] }],
  ['a tool type as a number', { ...base, tools: [{ type: 1, name: 'Read', input_schema: {} }] }],
  ['strict as a string', { ...base, tools: [{ ...tool, strict: 'yes' }] }],
  ['an unknown tool_choice', { ...base, tool_choice: { type: 'sometimes' } }],
  ['tool_choice as a string', { ...base, tool_choice: 'auto' }],
  ['a forced tool without a name', { ...base, tool_choice: { type: 'tool' } }],
  ['disable_parallel_tool_use as a string', { ...base, tool_choice: { type: 'auto', disable_parallel_tool_use: 'yes' } }],
  ['thinking enabled without a budget', { ...base, thinking: { type: 'enabled' } }],
  ['a thinking budget of 0', { ...base, thinking: { type: 'enabled', budget_tokens: 0 } }],
  ['an unknown thinking type', { ...base, thinking: { type: 'deep' } }],
  ['metadata user_id as a number', { ...base, metadata: { user_id: 7 } }],
  ['metadata as a list', { ...base, metadata: [] }],
  ['an output format of another type', { ...base, output_config: { format: { type: 'xml' } } }],
  ['an output schema as a string', { ...base, output_config: { format: { type: 'json_schema', schema: '{}' } } }],
  ['effort as a number', { ...base, output_config: { effort: 3 } }],
];

/** Whether the schema and the decoder (passthrough mode) take the body, without the quick check. */
function schemaTakes(body: Record<string, unknown>, countTokens = false): boolean {
  if (!(countTokens ? CountTokensRequestSchema : MessagesRequestSchema).safeParse(body).success) return false;
  try {
    decodeAnthropicRequest(body, { mode: 'passthrough', countTokens });
    return true;
  } catch {
    return false;
  }
}

describe('the quick check of a Messages API request', () => {
  it.each([...common, ...others])('never accepts what the schema refuses: %s', (_name, body) => {
    expect(plainlyValid(body) && !schemaTakes(body)).toBe(false);
    expect(plainlyValid(body, true) && !schemaTakes(body, true)).toBe(false);
  });

  it.each(common)('passes what real clients send without the schema: %s', (_name, body) => {
    expect(plainlyValid(body)).toBe(true);
    expect(schemaTakes(body)).toBe(true);
  });

  it.each(others)('answers a request the check leaves to the schema as the schema does: %s', (_name, body) => {
    let thrown: unknown;
    try {
      validateAnthropicRequest(body);
    } catch (err) {
      thrown = err;
    }

    expect(thrown === undefined).toBe(schemaTakes(body));
  });

  it('takes count_tokens bodies, which have no max_tokens', () => {
    const { max_tokens: _, ...body } = base;

    expect(plainlyValid(body, true)).toBe(true);
    expect(plainlyValid(body)).toBe(false);
    expect(() => validateAnthropicRequest(body, { countTokens: true })).not.toThrow();
    expect(() => validateAnthropicRequest(body)).toThrow(/'max_tokens'/);
  });

  it('names the bad field in the error, as before', () => {
    expect(() => validateAnthropicRequest({ ...base, temperature: 1.5 })).toThrow(/'temperature'/);
    expect(() => validateAnthropicRequest({ ...base, messages: [{ role: 'user', content: [{ type: 'tool_result', content: 'x' }] }] })).toThrow(/'messages\[0\]\.content\[0\]\.tool_use_id'/);
    expect(() => validateAnthropicRequest({ ...base, tools: [{ name: 'Read' }] })).toThrow(/'tools\[0\]\.input_schema'/);
  });

  it('decodes a body that takes the quick path as the schema would have', () => {
    for (const [, body] of common) {
      const parsed = MessagesRequestSchema.parse(body);
      expect(decodeAnthropicRequest(body, { mode: 'passthrough' })).toEqual(decodeAnthropicRequest(parsed, { mode: 'passthrough' }));
    }
  });
});
