import { chatChunkFuzzer } from '../../../test/chat-chunks';
import { skimChatOutput, skimResponsesDelta } from './skim';

/** What parsing finds, for comparison: the output fields' string lengths. */
function parsedChat(data: string): number {
  const chunk = JSON.parse(data) as { choices: { delta?: Record<string, unknown>; text?: string }[] };
  let chars = 0;
  for (const c of chunk.choices) {
    chars += c.text?.length ?? 0;
    for (const f of ['content', 'reasoning_content', 'reasoning', 'refusal'] as const) if (typeof c.delta?.[f] === 'string') chars += (c.delta[f] as string).length;
    for (const call of (c.delta?.tool_calls as { function?: { name?: string; arguments?: string } }[] | undefined) ?? []) chars += (call.function?.name?.length ?? 0) + (call.function?.arguments?.length ?? 0);
  }
  return chars;
}

describe('skimChatOutput', () => {
  it.each([
    ['one content delta', '{"id":"c1","choices":[{"index":0,"delta":{"content":"Hello"},"finish_reason":null}],"obfuscation":"abc"}'],
    ['escapes: quotes, backslashes, newlines, a \\u escape', '{"choices":[{"index":0,"delta":{"content":"say \\"hi\\"\\n\\\\ caf\\u00e9"}}]}'],
    ['two choices', '{"choices":[{"index":0,"delta":{"content":"ab"}},{"index":1,"delta":{"content":"cde"}}]}'],
    ['a tool call', '{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"name":"get","arguments":"{\\"q\\":1}"}}]}}]}'],
    ['reasoning', '{"choices":[{"index":0,"delta":{"reasoning_content":"think"}}]}'],
    ['spaced JSON (an OpenAI-compatible server)', '{"choices": [{"index": 0, "delta": {"role": "assistant", "content": "spaced out"}}]}'],
    ['legacy completions text', '{"choices":[{"index":0,"text":"fill","finish_reason":null}]}'],
    ['an empty content', '{"choices":[{"index":0,"delta":{"content":""}}]}'],
    ['no output: logprobs content is an array', '{"choices":[{"index":0,"delta":{},"logprobs":{"content":[]}}]}'],
  ])('%s: as many characters as parsing finds', (_name, data) => {
    expect(skimChatOutput(data)).toBe(parsedChat(data));
  });
});

describe('skimResponsesDelta', () => {
  it.each([
    ['a text delta', '{"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hello there","logprobs":[],"obfuscation":"Zq"}', 11],
    ['escapes', '{"type":"response.function_call_arguments.delta","delta":"{\\"city\\":\\"Paris\\"}"}', 16],
    ['no delta', '{"type":"response.in_progress"}', 0],
  ])('%s', (_name, data, chars) => {
    expect(skimResponsesDelta(data)).toBe(chars);
    if (chars > 0) expect(skimResponsesDelta(data)).toBe((JSON.parse(data) as { delta: string }).delta.length);
  });
});

describe('skimChatOutput against parsing, on generated chunks', () => {
  it('counts as many characters as parsing in 5,000 chunks: any field order, compact or spaced, ASCII-escaped or not', () => {
    const { chunk, serialise } = chatChunkFuzzer(0x5eed);
    for (let n = 0; n < 5_000; n++) {
      const data = serialise(chunk());
      expect([data, skimChatOutput(data)]).toEqual([data, parsedChat(data)]);
    }
  });
});
