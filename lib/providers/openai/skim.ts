/*
 * Output characters read from an event's JSON text without parsing it: what a stream cut off
 * before its usage is charged by. Parsing every chunk for this costs about a microsecond and a
 * half; most chunks are one content delta, found by one `indexOf`. Escapes count as the character
 * they stand for (`\"` is one, `\u00e9` is one), near enough for an estimate.
 */

const DELTA_KEY = '"delta":';
const CONTENT_DELTA = '{"content":"';
const DELTA = '"delta":"';
const SPACED_DELTA = /"delta"\s*:\s*"/;
/** Any string-valued output field of a Chat Completions or Completions chunk, spaced or compact. */
const OUTPUT_FIELDS = /"(?:content|arguments|reasoning_content|reasoning|refusal|text|name)"\s*:\s*"/g;

/**
 * The characters of the output fields' strings in a Chat Completions (or legacy Completions)
 * chunk's text: content, reasoning, refusal, a tool call's name and arguments, text.
 *
 * @example
 * skimChatOutput('{"choices":[{"index":0,"delta":{"content":"Hello"}}]}') // 5
 */
export function skimChatOutput(data: string): number {
  // The common chunk, OpenAI's compact JSON: each choice's delta is a content alone. A delta with
  // anything else (vLLM's `{"content":"","reasoning_content":"…"}`, a tool call beside an empty
  // content, another choice's tool call) is read field by field below.
  let at = data.indexOf(DELTA_KEY);
  if (at >= 0) {
    let chars = 0;
    while (at >= 0 && data.startsWith(CONTENT_DELTA, at + DELTA_KEY.length)) {
      const end = stringEnd(data, at + DELTA_KEY.length + CONTENT_DELTA.length);
      if (data.charCodeAt(end.index) !== 0x7d) break;
      chars += end.chars;
      at = data.indexOf(DELTA_KEY, end.index);
    }
    if (at < 0) return chars;
  }
  let chars = 0;
  OUTPUT_FIELDS.lastIndex = 0;
  for (let match = OUTPUT_FIELDS.exec(data); match; match = OUTPUT_FIELDS.exec(data)) {
    const end = stringEnd(data, OUTPUT_FIELDS.lastIndex);
    chars += end.chars;
    OUTPUT_FIELDS.lastIndex = end.index;
  }
  return chars;
}

/**
 * The characters of a Responses API delta event's `delta` string (the event's own key: a `"delta":"`
 * inside a string value has its quotes escaped).
 *
 * @example
 * skimResponsesDelta('{"type":"response.output_text.delta","delta":"Hi","obfuscation":"x9"}') // 2
 */
export function skimResponsesDelta(data: string): number {
  const at = data.indexOf(DELTA);
  if (at >= 0) return stringEnd(data, at + DELTA.length).chars;
  // Spaced JSON (an OpenAI-compatible server's Responses API): the key found by a pattern.
  const spaced = SPACED_DELTA.exec(data);
  return spaced ? stringEnd(data, spaced.index + spaced[0].length).chars : 0;
}

/** From the first character of a JSON string's body: its length in characters and the index after its closing quote. */
function stringEnd(data: string, from: number): { chars: number; index: number } {
  let escaped = 0;
  let i = from;
  for (; i < data.length; i++) {
    const c = data.charCodeAt(i);
    if (c === 0x5c) {
      // `\uXXXX` is one character of six; any other escape one of two.
      escaped += data.charCodeAt(i + 1) === 0x75 ? 5 : 1;
      i += data.charCodeAt(i + 1) === 0x75 ? 5 : 1;
    } else if (c === 0x22) break;
  }
  return { chars: Math.max(0, i - from - escaped), index: i + 1 };
}
