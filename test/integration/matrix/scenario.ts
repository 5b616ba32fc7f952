/**
 * What every matrix case says and means, shared by all surfaces and providers: the prompts, the
 * tool, the image, the replies the fakes are scripted with and the token counts they report.
 */
import type { Meant, MeantUsage } from './types';

export const PROMPT = 'Say something short.';
export const WEATHER_QUESTION = 'What is the weather in Paris?';
export const IMAGE_QUESTION = 'What is in this picture?';

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

export const TOOL_ARGS = { city: 'Paris', unit: 'celsius' };
/** The tool's answer as the client sends it back (JSON text, as tools usually answer). */
export const TOOL_RESULT_TEXT = '{"temp_c":18,"sky":"clear"}';
export const TOOL_RESULT = { temp_c: 18, sky: 'clear' };

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

export const TOOL_CALL_REPLY: Extract<Meant, { kind: 'tool_call' }> = { kind: 'tool_call', name: TOOL.name, args: TOOL_ARGS, usage: usage(210, 23) };
export const AFTER_TOOL_REPLY: Extract<Meant, { kind: 'text' }> = { kind: 'text', text: 'It is 18 degrees and clear in Paris.', usage: usage(260, 11) };
export const IMAGE_REPLY: Extract<Meant, { kind: 'text' }> = { kind: 'text', text: 'A single red pixel.', usage: usage(1100, 5) };

/** JSON text parsed when it is JSON, else left as it is. */
export function parsedIfJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
