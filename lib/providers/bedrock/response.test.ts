import type { ChatRequest } from '../../canonical/types';
import { finishReasonFromConverse, parseConverseResponse, usageFromConverse } from './response';

const REQ: ChatRequest = { model: 'anthropic.claude-3-5-sonnet-20240620-v1:0', system: [], messages: [], stream: false };
const USAGE = { inputTokens: 10, outputTokens: 5, totalTokens: 15 };

describe('parseConverseResponse', () => {
  const cases: { name: string; body: Record<string, unknown>; expected: Record<string, unknown> }[] = [
    {
      name: 'reads a text answer that ended its turn',
      body: { output: { message: { role: 'assistant', content: [{ text: 'Hello' }] } }, stopReason: 'end_turn', usage: USAGE },
      expected: { parts: [{ type: 'text', text: 'Hello' }], finishReason: 'stop', usage: { input: 10, output: 5, cacheRead: 0, cacheWrite: 0, reasoning: 0 } },
    },
    {
      name: 'reads tool calls with their input as JSON text',
      body: {
        output: { message: { role: 'assistant', content: [{ text: 'Let me look.' }, { toolUse: { toolUseId: 'tooluse_1', name: 'get_weather', input: { city: 'Paris' } } }] } },
        stopReason: 'tool_use',
        usage: USAGE,
      },
      expected: {
        parts: [
          { type: 'text', text: 'Let me look.' },
          { type: 'tool_call', id: 'tooluse_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
        ],
        finishReason: 'tool_calls',
      },
    },
    {
      name: 'reads reasoning with its signature and redacted reasoning',
      body: {
        output: { message: { role: 'assistant', content: [{ reasoningContent: { reasoningText: { text: 'hmm', signature: 'sig' } } }, { reasoningContent: { redactedContent: 'ZW5j' } }, { text: 'ok' }] } },
        stopReason: 'end_turn',
        usage: USAGE,
      },
      expected: {
        parts: [
          { type: 'thinking', text: 'hmm', signature: 'sig' },
          { type: 'redacted_thinking', data: 'ZW5j' },
          { type: 'text', text: 'ok' },
        ],
      },
    },
    {
      name: 'reports the stop sequence Claude names in additionalModelResponseFields',
      body: { output: { message: { role: 'assistant', content: [{ text: 'a' }] } }, stopReason: 'stop_sequence', additionalModelResponseFields: { stop_sequence: 'END' }, usage: USAGE },
      expected: { finishReason: 'stop', stopSequence: 'END' },
    },
  ];

  it.each(cases)('$name', ({ body, expected }) => {
    // Act
    const res = parseConverseResponse(body, REQ);

    // Assess
    expect(res).toMatchObject({ model: REQ.model, ...expected });
    expect(res.id).toMatch(/^msg_bdrk_[0-9a-f]{32}$/);
  });
});

describe('parseConverseResponse with parallel_tool_calls false', () => {
  it('keeps the first call of a model with no switch for it, which the model asks for again once it has its result', () => {
    // Prepare
    const body = {
      output: { message: { role: 'assistant', content: [{ text: 'Looking.' }, { toolUse: { toolUseId: 't1', name: 'a', input: {} } }, { toolUse: { toolUseId: 't2', name: 'b', input: {} } }] } },
      stopReason: 'tool_use',
      usage: USAGE,
    };

    // Act
    const res = parseConverseResponse(body, { ...REQ, model: 'amazon.nova-pro-v1:0', parallelToolCalls: false });

    // Assess
    expect(res.parts).toEqual([
      { type: 'text', text: 'Looking.' },
      { type: 'tool_call', id: 't1', name: 'a', arguments: '{}' },
    ]);
    expect(res.finishReason).toBe('tool_calls');
  });
});

describe('finishReasonFromConverse', () => {
  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'length'],
    ['tool_use', 'tool_calls'],
    ['guardrail_intervened', 'content_filter'],
    ['content_filtered', 'content_filter'],
    ['malformed_model_output', 'error'],
    ['malformed_tool_use', 'error'],
    ['something_new', 'stop'],
  ])('maps %s to %s', (stopReason, expected) => {
    // Act & Assess
    expect(finishReasonFromConverse(stopReason)).toBe(expected);
  });
});

describe('usageFromConverse', () => {
  it.each([
    { name: 'counts plain usage as it is', usage: { inputTokens: 100, outputTokens: 20 }, expected: { input: 100, output: 20, cacheRead: 0, cacheWrite: 0 } },
    {
      // Bedrock's inputTokens excludes cache reads and writes, like Anthropic's input_tokens.
      name: 'adds cache reads and writes to the prompt total, since inputTokens excludes them',
      usage: { inputTokens: 10, outputTokens: 20, totalTokens: 1530, cacheReadInputTokens: 1000, cacheWriteInputTokens: 500 },
      expected: { input: 1510, output: 20, cacheRead: 1000, cacheWrite: 500 },
    },
    { name: 'reads missing usage as zeros', usage: undefined, expected: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 } },
  ])('$name', ({ usage, expected }) => {
    // Act & Assess
    expect(usageFromConverse(usage)).toEqual({ ...expected, reasoning: 0 });
  });
});
