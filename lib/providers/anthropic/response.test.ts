import { finishReasonFromAnthropic, responseFromAnthropic } from './response';
import { mergeAnthropicUsage, usageFromAnthropic } from './usage';

describe('finishReasonFromAnthropic', () => {
  it.each([
    { input: 'end_turn', expected: 'stop' },
    { input: 'stop_sequence', expected: 'stop' },
    { input: 'pause_turn', expected: 'stop' },
    { input: 'max_tokens', expected: 'length' },
    { input: 'model_context_window_exceeded', expected: 'length' },
    { input: 'tool_use', expected: 'tool_calls' },
    { input: 'refusal', expected: 'content_filter' },
    { input: null, expected: 'stop' },
  ])('maps $input to $expected', ({ input, expected }) => {
    expect(finishReasonFromAnthropic(input)).toBe(expected);
  });
});

describe('usageFromAnthropic', () => {
  it.each([
    {
      name: 'counts cache reads and writes into input',
      input: { input_tokens: 4, cache_creation_input_tokens: 15032, cache_read_input_tokens: 10, output_tokens: 2 },
      expected: { input: 15046, output: 2, cacheRead: 10, cacheWrite: 15032, reasoning: 0 },
    },
    { name: 'treats missing and null cache fields as zero', input: { input_tokens: 96, cache_read_input_tokens: null, output_tokens: 15 }, expected: { input: 96, output: 15, cacheRead: 0, cacheWrite: 0, reasoning: 0 } },
    { name: 'reads thinking tokens as reasoning', input: { input_tokens: 1, output_tokens: 50, output_tokens_details: { thinking_tokens: 30 } }, expected: { input: 1, output: 50, cacheRead: 0, cacheWrite: 0, reasoning: 30 } },
  ])('$name', ({ input, expected }) => {
    expect(usageFromAnthropic(input)).toEqual(expected);
  });

  it('lets message_delta replace output and keep the input message_start gave', () => {
    // Prepare
    const start = mergeAnthropicUsage(undefined, { input_tokens: 3, cache_creation_input_tokens: 275, cache_read_input_tokens: 18418, output_tokens: 1 });

    // Act
    const end = mergeAnthropicUsage(start, { output_tokens: 122 });

    // Assess
    expect(end).toEqual({ input: 18696, output: 122, cacheRead: 18418, cacheWrite: 275, reasoning: 0 });
  });

  it('lets message_delta correct the input fields when it repeats them', () => {
    const start = mergeAnthropicUsage(undefined, { input_tokens: 0, output_tokens: 1 });
    expect(mergeAnthropicUsage(start, { input_tokens: 10, cache_read_input_tokens: 5, output_tokens: 7 })).toEqual({ input: 15, output: 7, cacheRead: 5, cacheWrite: 0, reasoning: 0 });
  });
});

describe('responseFromAnthropic', () => {
  it.each([
    {
      name: 'reads text, tool_use, thinking and redacted thinking blocks in order',
      input: {
        id: 'msg_1',
        model: 'claude-sonnet-4-5',
        content: [
          { type: 'thinking', thinking: 'hmm', signature: 'sig' },
          { type: 'redacted_thinking', data: 'enc' },
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 'toolu_1', name: 'w', input: { city: 'Graz' } },
        ],
        stop_reason: 'tool_use',
        stop_sequence: null,
        usage: { input_tokens: 10, cache_read_input_tokens: 90, output_tokens: 20 },
      },
      expected: {
        id: 'msg_1',
        model: 'claude-sonnet-4-5',
        parts: [
          { type: 'thinking', text: 'hmm', signature: 'sig' },
          { type: 'redacted_thinking', data: 'enc' },
          { type: 'text', text: 'Checking.' },
          { type: 'tool_call', id: 'toolu_1', name: 'w', arguments: '{"city":"Graz"}' },
        ],
        finishReason: 'tool_calls',
        usage: { input: 100, output: 20, cacheRead: 90, cacheWrite: 0, reasoning: 0 },
      },
    },
    {
      name: 'keeps the stop sequence that ended the answer',
      input: { id: 'msg_2', model: 'm', content: [{ type: 'text', text: 'a' }], stop_reason: 'stop_sequence', stop_sequence: 'END', usage: { input_tokens: 1, output_tokens: 1 } },
      expected: { finishReason: 'stop', stopSequence: 'END' },
    },
    {
      name: 'leaves out server tool blocks the canonical form has no place for',
      input: { id: 'msg_3', model: 'm', content: [{ type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: {} }, { type: 'text', text: 'Found.' }], stop_reason: 'end_turn', usage: {} },
      expected: { parts: [{ type: 'text', text: 'Found.' }] },
    },
  ])('$name', ({ input, expected }) => {
    expect(responseFromAnthropic(input)).toMatchObject(expected);
  });
});
