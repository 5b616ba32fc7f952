import type { Surface } from '../types';
import { decodeGeminiRequest } from './decode';
import { encodeGeminiResponse, encodeGeminiStream } from './encode';
import { geminiErrorBody } from './errors';

/**
 * The Gemini API (generateContent) as clients speak it: @google/genai apps and Gemini CLI.
 * `decodeRequest` translates strictly, refusing what only Gemini could do; a body bound for a
 * Gemini upstream passes through untouched instead.
 */
export const geminiSurface: Surface = {
  decodeRequest: (body) => decodeGeminiRequest(body),
  encodeResponse: (res, model) => encodeGeminiResponse(res, model),
  encodeStream: (events, options) => encodeGeminiStream(events, { model: options.model }),
  encodeError: (err) => geminiErrorBody(err),
};

export { decodeGeminiRequest, validateGeminiRequest } from './decode';
export { encodeGeminiResponse, encodeGeminiStream, geminiFinishReason, geminiUsageMetadata } from './encode';
export { geminiErrorBody, geminiErrorResponse, geminiSse, googleStatusName } from './errors';
export { geminiPath, type GeminiPath } from './route';
export { jsonSchemaFromGemini } from './schema';
