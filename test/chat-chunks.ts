import { fuzzer } from './fuzz';

/** Pieces of generated strings: what trips a reader of JSON text (quotes, backslashes, keys inside values, astral and control characters). */
const PIECES = ['a', 'Hello', ' ', '"', '\\', '\n', '\t', 'é', '😀', '\u0001', '"content":"', '"delta":{"content":"', '\\"', '{"text": "', '"finish_reason":"stop"', '"usage":{', '\u2028'];

/**
 * Seeded Chat Completions chunks for fuzz tests of readers that skim a chunk's text: deltas with
 * any of the output fields in any order, one or two choices, logprobs, finishes, usage, in-band
 * errors; written compact as OpenAI does, or spaced as Python's `json.dumps` (vLLM, Ollama,
 * OpenRouter-style servers), and with `ensure_ascii` escapes or not.
 *
 * @example
 * const { chunk, serialise } = chatChunkFuzzer(7);
 * const data = serialise(chunk()); // '{"id":"chatcmpl-1", …}'
 */
export function chatChunkFuzzer(seed: number, options: { finishes?: boolean } = {}) {
  const { random, pick } = fuzzer(seed, { names: [], scalars: [] });
  const text = () => Array.from({ length: Math.floor(random() * 5) }, () => pick(PIECES)).join('');
  const spaced = (value: unknown): string => {
    if (Array.isArray(value)) return `[${value.map(spaced).join(', ')}]`;
    if (value !== null && typeof value === 'object') return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${spaced(v)}`).join(', ')}}`;
    return JSON.stringify(value);
  };
  const serialise = (value: unknown): string => {
    const json = random() < 0.5 ? spaced(value) : JSON.stringify(value);
    // `ensure_ascii`: every non-ASCII character as a `\u` escape (an astral one as its surrogate pair).
    return random() < 0.3 ? json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : json;
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
  const finishes = options.finishes === true;
  const chunk = () => ({
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    model: 'gpt-4o',
    choices: Array.from({ length: random() < 0.9 ? 1 : 2 }, (_, index) => ({
      index,
      delta: delta(),
      logprobs: random() < 0.2 ? { content: [{ token: text(), logprob: -0.1, bytes: [104] }] } : null,
      finish_reason: finishes && random() < 0.05 ? pick(['stop', 'length', 'tool_calls']) : null,
    })),
    ...(random() < 0.3 ? { obfuscation: text() } : {}),
    ...(finishes && random() < 0.03 ? { usage: { prompt_tokens: 3, completion_tokens: Math.floor(random() * 100), total_tokens: 103 } } : {}),
    ...(finishes && random() < 0.02 ? { error: { message: text() || 'overloaded' } } : {}),
  });
  return { random, chunk, serialise };
}
