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
  // A seeded generator (mulberry32), so that a failure is the same on every run.
  let seed = 0x5eed;
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const PIECES = ['a', 'Hello', ' ', '"', '\\', '\n', '\t', 'é', '😀', '\u0001', '"content":"', '"delta":{"content":"', '\\"', '{"text": "', '\u2028'];
  const text = () => Array.from({ length: Math.floor(random() * 5) }, () => pick(PIECES)).join('');
  /** Python's `json.dumps` spacing (vLLM, Ollama, OpenRouter-style servers), or compact as OpenAI writes. */
  const serialise = (value: unknown, spaced: boolean, asciiOnly: boolean): string => {
    let json = spaced
      ? serialiseSpaced(value)
      : JSON.stringify(value);
    // `ensure_ascii`: every non-ASCII character as `\u` escapes (surrogate pairs as two).
    if (asciiOnly) json = json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    return json;
  };
  const serialiseSpaced = (value: unknown): string => {
    if (Array.isArray(value)) return `[${value.map(serialiseSpaced).join(', ')}]`;
    if (value !== null && typeof value === 'object') return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${serialiseSpaced(v)}`).join(', ')}}`;
    return JSON.stringify(value);
  };
  const delta = (): Record<string, unknown> => {
    const fields: [string, () => unknown][] = [
      ['role', () => 'assistant'],
      ['content', () => pick([text(), text(), '', null])],
      ['reasoning_content', () => pick([text(), null])],
      ['reasoning', () => text()],
      ['refusal', () => pick([null, text()])],
      ['tool_calls', () => [{ index: 0, id: 'call_1', type: 'function', function: { name: pick(['get', '']), arguments: text() } }]],
    ];
    const out: Record<string, unknown> = {};
    for (const [name, make] of fields.sort(() => random() - 0.5)) if (random() < 0.5) out[name] = make();
    return out;
  };
  const chunk = () => ({
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    model: 'gpt-4o',
    choices: Array.from({ length: random() < 0.9 ? 1 : 2 }, (_, index) => ({ index, delta: delta(), logprobs: random() < 0.2 ? { content: [{ token: text(), logprob: -0.1, bytes: [104] }] } : null, finish_reason: null })),
    ...(random() < 0.3 ? { obfuscation: text() } : {}),
  });

  it('counts as many characters as parsing in 5,000 chunks: any field order, compact or spaced, ASCII-escaped or not', () => {
    for (let n = 0; n < 5_000; n++) {
      const data = serialise(chunk(), random() < 0.5, random() < 0.3);
      expect([data, skimChatOutput(data)]).toEqual([data, parsedChat(data)]);
    }
  });
});
