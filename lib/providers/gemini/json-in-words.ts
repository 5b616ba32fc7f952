import type { ResponseFormat } from '../../canonical/types';
import { geminiMajorVersion } from './contents';

/**
 * Whether a JSON answer must be asked for in words: Gemini before 3 refuses function declarations
 * beside `responseMimeType: application/json` (400 "Function calling with a response mime type:
 * 'application/json' is unsupported"; structured outputs with tools are Gemini 3's,
 * https://ai.google.dev/gemini-api/docs/structured-output#structured_outputs_with_tools), and
 * agents send both on every turn (the OpenAI Agents SDK's tools with an `outputType`).
 *
 * @example
 * asksJsonInWords('gemini-2.5-flash', 1, { type: 'json_object' }) // true
 * asksJsonInWords('gemini-3-pro-preview', 1, { type: 'json_object' }) // false: Gemini 3 takes both
 */
export function asksJsonInWords(model: string, functionCount: number, format: ResponseFormat | undefined): boolean {
  const json = format?.type === 'json_object' || format?.type === 'json_schema';
  return json && functionCount > 0 && geminiMajorVersion(model) < 3;
}

/**
 * The system instruction that asks for the JSON answer in words, the schema spelled out. Gemini
 * does not enforce it: the client's own parsing of the answer (as the Agents SDK's `outputType` does) is the check.
 *
 * @example
 * jsonInstruction({ type: 'json_object' }) // 'When you answer rather than call a function, answer with one JSON object and nothing else.'
 */
export function jsonInstruction(format: ResponseFormat): string {
  const shape = format.type === 'json_schema' ? ` that matches this JSON schema: ${JSON.stringify(format.schema)}` : '';
  return `When you answer rather than call a function, answer with one JSON object${shape} and nothing else.`;
}
