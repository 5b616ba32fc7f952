/**
 * What every matrix case says and means, shared by all surfaces and providers: the prompts, the
 * tool, the image, the replies the fakes are scripted with and the token counts they report.
 */
import type { MatrixTool, Meant, MeantCall, MeantUsage, ToolQuestion } from './types';

export const PROMPT = 'Say something short.';
export const WEATHER_QUESTION = 'What is the weather in Paris?';
export const IMAGE_QUESTION = 'What is in this picture?';
export const PARALLEL_QUESTION = 'What are the weather in Paris and Tokyo, and the time in Tokyo?';

export const TOOL = {
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: {
    type: 'object',
    properties: {
      city: { type: 'string', description: 'City name' },
      unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
    },
    required: ['city'],
    // Gemini rejects this keyword: a translating gateway must strip it there and keep it elsewhere.
    additionalProperties: false,
  },
} as const;

/** A second tool, so one answer can call two different tools. */
export const TIME_TOOL = {
  name: 'get_time',
  description: 'Local time in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
} as const;

export const WEATHER_TOOL: MatrixTool = {
  ...TOOL,
  geminiParameters: {
    type: 'OBJECT',
    properties: {
      city: { type: 'STRING', description: 'City name' },
      unit: { type: 'STRING', enum: ['celsius', 'fahrenheit'] },
    },
    required: ['city'],
  },
};
export const CLOCK_TOOL: MatrixTool = { ...TIME_TOOL, geminiParameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } }, required: ['city'] } };

export const WEATHER_ASK: ToolQuestion = { question: WEATHER_QUESTION, tools: [WEATHER_TOOL] };
export const PARALLEL_ASK: ToolQuestion = { question: PARALLEL_QUESTION, tools: [WEATHER_TOOL, CLOCK_TOOL], note: 'Answer in one sentence.' };

export const TOOL_ARGS = { city: 'Paris', unit: 'celsius' };
/** The tool's answer; clients send it back as JSON text, as tools usually answer. */
export const TOOL_RESULT = { temp_c: 18, sky: 'clear' };

/** Three calls in one answer: the same tool twice with different args (ids must tell them apart), then another tool. */
export const PARALLEL_CALLS: MeantCall[] = [
  { name: TOOL.name, args: TOOL_ARGS },
  { name: TOOL.name, args: { city: 'Tokyo', unit: 'celsius' } },
  { name: TIME_TOOL.name, args: { city: 'Tokyo' } },
];
/** Each call's result, distinct, so a result tied to the wrong call shows. */
const RESULTS: { call: MeantCall; result: Record<string, unknown> }[] = [
  { call: PARALLEL_CALLS[0]!, result: TOOL_RESULT },
  { call: PARALLEL_CALLS[1]!, result: { temp_c: 24, sky: 'rain' } },
  { call: PARALLEL_CALLS[2]!, result: { time: '19:05' } },
];

/** The result a tool answers for a call (as clients send it back, and as the upstream must receive it). */
export function toolResultFor(name: string, args: unknown): Record<string, unknown> {
  const found = RESULTS.find((r) => r.call.name === name && JSON.stringify(r.call.args) === JSON.stringify(args));
  if (!found) throw new Error(`no scripted result for ${name}(${JSON.stringify(args)})`);
  return found.result;
}

/** A 1×1 red PNG. */
export const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
export const PNG_DATA_URL = `data:image/png;base64,${PNG_BASE64}`;

/**
 * Distinct numbers per answer, so a mix-up between requests shows. Only the plain-text answer
 * carries cache tokens: it pins the rule prompt = input + cache read + cache write.
 */
const usage = (prompt: number, output: number, cacheRead = 0, cacheWrite = 0): MeantUsage => ({ prompt, output, cacheRead, cacheWrite });

export function plainTextReply(reportsCacheWrites: boolean): Extract<Meant, { kind: 'text' }> {
  return { kind: 'text', text: 'The quick brown fox jumps.', usage: usage(120, 7, 40, reportsCacheWrites ? 10 : 0) };
}

export const TOOL_CALL_REPLY: Extract<Meant, { kind: 'tool_calls' }> = { kind: 'tool_calls', calls: [{ name: TOOL.name, args: TOOL_ARGS }], usage: usage(210, 23) };
export const AFTER_TOOL_REPLY: Extract<Meant, { kind: 'text' }> = { kind: 'text', text: 'It is 18 degrees and clear in Paris.', usage: usage(260, 11) };
/** With a sentence before the calls, as Claude usually answers: block indexes then differ from call indexes. */
export const PARALLEL_CALLS_REPLY: Extract<Meant, { kind: 'tool_calls' }> = { kind: 'tool_calls', text: 'Let me look these up.', calls: PARALLEL_CALLS, usage: usage(230, 41) };
export const AFTER_PARALLEL_REPLY: Extract<Meant, { kind: 'text' }> = { kind: 'text', text: 'Paris: 18 and clear. Tokyo: 24 and rain, 19:05.', usage: usage(330, 17) };
/** An answer stopped mid-sentence by the client's max_tokens. */
export const CUT_REPLY: Extract<Meant, { kind: 'text' }> = { kind: 'text', text: 'Once upon a time there', cut: true, usage: usage(90, 5) };
export const IMAGE_REPLY: Extract<Meant, { kind: 'text' }> = { kind: 'text', text: 'A single red pixel.', usage: usage(1100, 5) };

/** JSON text parsed when it is JSON, else left as it is. */
export function parsedIfJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
