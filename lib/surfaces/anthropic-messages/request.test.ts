import type { ChatRequest } from '../../canonical/types';
import { GatewayError } from '../../http/errors';
import { decodeAnthropicRequest } from './request';
import { FIXTURE_NAMES, loadFixture } from '../../../test/integration/claude-code/fixtures';

const body = (over: Record<string, unknown> = {}) => ({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }], ...over });

describe('decodeAnthropicRequest', () => {
  it.each<{ name: string; input: Record<string, unknown>; expected: Partial<ChatRequest> }>([
    {
      name: 'reads string content, the model and max_tokens',
      input: body(),
      expected: { model: 'claude-sonnet-4-5', maxTokens: 100, system: [], messages: [{ role: 'user', parts: [{ type: 'text', text: 'Hi' }] }], stream: false },
    },
    { name: 'reads a string system prompt', input: body({ system: 'Be terse.' }), expected: { system: [{ type: 'text', text: 'Be terse.' }] } },
    {
      name: 'reads system blocks with cache_control',
      input: body({ system: [{ type: 'text', text: 'A', cache_control: { type: 'ephemeral', ttl: '1h' } }] }),
      expected: { system: [{ type: 'text', text: 'A', cacheControl: { type: 'ephemeral', ttl: '1h' } }] },
    },
    {
      name: 'reads sampling, stop sequences, user and stream',
      input: body({ temperature: 0.5, top_p: 0.9, top_k: 5, stop_sequences: ['END'], metadata: { user_id: 'u1' }, stream: true }),
      expected: { temperature: 0.5, topP: 0.9, topK: 5, stop: ['END'], user: 'u1', stream: true },
    },
    {
      name: 'reads tools and tool choice with parallel calls disabled',
      input: body({ tools: [{ name: 'f', description: 'F', input_schema: { type: 'object' }, cache_control: { type: 'ephemeral' } }], tool_choice: { type: 'any', disable_parallel_tool_use: true } }),
      expected: { tools: [{ name: 'f', description: 'F', parameters: { type: 'object' }, cacheControl: { type: 'ephemeral' } }], toolChoice: { type: 'required' }, parallelToolCalls: false },
    },
    { name: 'reads a named tool choice', input: body({ tools: [{ name: 'f', input_schema: {} }], tool_choice: { type: 'tool', name: 'f' } }), expected: { toolChoice: { type: 'tool', name: 'f' } } },
    { name: 'reads tool choice none', input: body({ tools: [{ name: 'f', input_schema: {} }], tool_choice: { type: 'none' } }), expected: { toolChoice: { type: 'none' } } },
    { name: 'reads a thinking budget', input: body({ thinking: { type: 'enabled', budget_tokens: 2048 } }), expected: { reasoning: { budgetTokens: 2048 } } },
    { name: 'reads adaptive thinking with an effort as the effort', input: body({ thinking: { type: 'adaptive' }, output_config: { effort: 'max' } }), expected: { reasoning: { effort: 'high' } } },
    {
      name: 'reads structured output as a json_schema response format',
      input: body({ output_config: { format: { type: 'json_schema', schema: { type: 'object' } } } }),
      expected: { responseFormat: { type: 'json_schema', name: 'response', schema: { type: 'object' } } },
    },
    {
      name: 'reads every block type of a conversation',
      input: body({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Look', cache_control: { type: 'ephemeral' } },
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBOR' } },
              { type: 'image', source: { type: 'url', url: 'https://x/y.png' } },
              { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBER' }, title: 'R' },
              { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'words' } },
            ],
          },
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'hmm', signature: 'sig' },
              { type: 'redacted_thinking', data: 'enc' },
              { type: 'text', text: 'Calling.' },
              { type: 'tool_use', id: 'toolu_1', name: 'f', input: { a: 1 } },
            ],
          },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'ok' }], is_error: true }] },
        ],
      }),
      expected: {
        messages: [
          {
            role: 'user',
            parts: [
              { type: 'text', text: 'Look', cacheControl: { type: 'ephemeral' } },
              { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBOR' } },
              { type: 'image', source: { kind: 'url', url: 'https://x/y.png' } },
              { type: 'document', source: { kind: 'base64', mediaType: 'application/pdf', data: 'JVBER' }, title: 'R' },
              { type: 'document', source: { kind: 'text', text: 'words' } },
            ],
          },
          {
            role: 'assistant',
            parts: [
              { type: 'thinking', text: 'hmm', signature: 'sig' },
              { type: 'redacted_thinking', data: 'enc' },
              { type: 'text', text: 'Calling.' },
              { type: 'tool_call', id: 'toolu_1', name: 'f', arguments: '{"a":1}' },
            ],
          },
          { role: 'user', parts: [{ type: 'tool_result', toolCallId: 'toolu_1', content: [{ type: 'text', text: 'ok' }], isError: true }] },
        ],
      },
    },
  ])('$name', ({ input, expected }) => {
    expect(decodeAnthropicRequest(input)).toMatchObject(expected);
  });

  it.each<{ name: string; input: Record<string, unknown>; param: string }>([
    { name: 'a missing max_tokens', input: { model: 'm', messages: [] }, param: 'max_tokens' },
    { name: 'a missing model', input: { max_tokens: 1, messages: [] }, param: 'model' },
    { name: 'a bad role', input: body({ messages: [{ role: 'system', content: 'x' }] }), param: 'messages[0].role' },
    {
      name: 'a tool_result without tool_use_id',
      input: body({ messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }, { role: 'user', content: [{ type: 'tool_result', content: 'x' }] }] }),
      param: 'messages[2].content[0].tool_use_id',
    },
    { name: 'a tool_use without input', input: body({ messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f' }] }] }), param: 'messages[0].content[0].input' },
    { name: 'a thinking block without signature', input: body({ messages: [{ role: 'assistant', content: [{ type: 'thinking', thinking: 'x' }] }] }), param: 'messages[0].content[0].signature' },
    { name: 'an image without source data', input: body({ messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png' } }] }] }), param: 'messages[0].content[0].source.data' },
    { name: 'a temperature above 1', input: body({ temperature: 1.5 }), param: 'temperature' },
    { name: 'a custom tool without input_schema', input: body({ tools: [{ name: 'f' }] }), param: 'tools[0].input_schema' },
    { name: 'a server tool, in translate mode', input: body({ tools: [{ type: 'web_search_20250305', name: 'web_search' }] }), param: 'tools[0].type' },
    { name: 'an unknown block type, in translate mode', input: body({ messages: [{ role: 'user', content: [{ type: 'search_result', source: 'x' }] }] }), param: 'messages[0].content[0].type' },
    { name: 'a Files API image, in translate mode', input: body({ messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'file', file_id: 'file_1' } }] }] }), param: 'messages[0].content[0].source' },
  ])('refuses $name with a 400 naming the field', ({ input, param }) => {
    // Act
    let error: unknown;
    try {
      decodeAnthropicRequest(input);
    } catch (err) {
      error = err;
    }

    // Assess
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ status: 400, param });
  });

  it('leaves untranslatable parts out instead of refusing in passthrough mode', () => {
    // Prepare
    const input = body({
      tools: [{ type: 'web_search_20250305', name: 'web_search' }, { name: 'f', input_schema: {} }],
      messages: [{ role: 'user', content: [{ type: 'search_result', source: 'x' }, { type: 'text', text: 'q' }] }],
    });

    // Act
    const req = decodeAnthropicRequest(input, { mode: 'passthrough' });

    // Assess
    expect(req.tools).toEqual([{ name: 'f', parameters: {} }]);
    expect(req.messages).toEqual([{ role: 'user', parts: [{ type: 'text', text: 'q' }] }]);
  });

  it('accepts a count_tokens body without max_tokens', () => {
    expect(decodeAnthropicRequest({ model: 'm', messages: [{ role: 'user', content: 'x' }] }, { countTokens: true }).maxTokens).toBeUndefined();
  });

  it.each(FIXTURE_NAMES)('decodes the real Claude Code request %s', (file) => {
    // Prepare
    const input = loadFixture(file).request.body;

    // Act
    const req = decodeAnthropicRequest(input);

    // Assess
    expect(req.messages).toHaveLength((input.messages as unknown[]).length);
    expect(req.maxTokens).toBe(input.max_tokens);
    expect(req.stream).toBe(true);
    expect(req.user).toBe((input.metadata as { user_id: string }).user_id);
    expect(req.system.length).toBeGreaterThan(0);
  });
});
