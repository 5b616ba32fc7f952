import type { ChatResponse } from '../../canonical/types';
import { anthropicStopReason, anthropicUsage, encodeAnthropicResponse } from './response';

describe('encodeAnthropicResponse', () => {
  const usage = { input: 150, output: 20, cacheRead: 100, cacheWrite: 30, reasoning: 0 };

  it.each<{ name: string; input: ChatResponse; expected: Record<string, unknown> }>([
    {
      name: 'writes a text answer with usage excluding cache from input_tokens',
      input: { id: 'msg_abc', model: 'upstream-x', parts: [{ type: 'text', text: 'Hi' }], finishReason: 'stop', usage },
      expected: {
        id: 'msg_abc',
        type: 'message',
        role: 'assistant',
        model: 'claude-client-name',
        content: [{ type: 'text', text: 'Hi' }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: 20, cache_creation_input_tokens: 30, cache_read_input_tokens: 100, output_tokens: 20 },
      },
    },
    {
      name: 'writes tool calls as tool_use with parsed input and gives another provider id a msg_ prefix',
      input: { id: 'chatcmpl-XYZ', model: 'gpt', parts: [{ type: 'tool_call', id: 'call_1', name: 'f', arguments: '{"a":1}' }, { type: 'tool_call', id: 'call_2', name: 'g', arguments: '' }], finishReason: 'tool_calls', usage },
      expected: { id: 'msg_chatcmpl-XYZ', content: [{ type: 'tool_use', id: 'call_1', name: 'f', input: { a: 1 } }, { type: 'tool_use', id: 'call_2', name: 'g', input: {} }], stop_reason: 'tool_use' },
    },
    {
      name: 'writes thinking with its signature and redacted thinking',
      input: { id: 'msg_1', model: 'x', parts: [{ type: 'thinking', text: 'hmm', signature: 'sig' }, { type: 'redacted_thinking', data: 'enc' }, { type: 'text', text: '4' }], finishReason: 'stop', usage },
      expected: { content: [{ type: 'thinking', thinking: 'hmm', signature: 'sig' }, { type: 'redacted_thinking', data: 'enc' }, { type: 'text', text: '4' }] },
    },
    {
      name: 'writes the stop sequence that ended the answer',
      input: { id: 'msg_1', model: 'x', parts: [{ type: 'text', text: 'a' }], finishReason: 'stop', stopSequence: 'END', usage },
      expected: { stop_reason: 'stop_sequence', stop_sequence: 'END' },
    },
  ])('$name', ({ input, expected }) => {
    expect(encodeAnthropicResponse(input, 'claude-client-name')).toMatchObject(expected);
  });

  it.each([
    { reason: 'stop', expected: 'end_turn' },
    { reason: 'length', expected: 'max_tokens' },
    { reason: 'tool_calls', expected: 'tool_use' },
    { reason: 'content_filter', expected: 'refusal' },
    { reason: 'error', expected: 'end_turn' },
  ] as const)('maps finish reason $reason to $expected', ({ reason, expected }) => {
    expect(anthropicStopReason(reason)).toBe(expected);
  });

  it('never reports negative uncached input', () => {
    expect(anthropicUsage({ input: 5, output: 1, cacheRead: 10, cacheWrite: 0, reasoning: 0 }).input_tokens).toBe(0);
  });
});
