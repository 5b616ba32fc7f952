import type { GatewayRequest } from '../http/types';
import { ANTHROPIC_MESSAGES, GEMINI, OPENAI_CHAT, type SurfaceBinding } from './bindings';

/** What a caller's request says about which API it speaks, before any route is known. */
export type CallerMarks = Pick<GatewayRequest, 'path' | 'headers' | 'query'>;

/** Gemini's clients (@google/genai, Gemini CLI) send their key as x-goog-api-key or `?key=`, which no other client does. */
export const isGeminiClient = (req: Pick<GatewayRequest, 'headers' | 'query'>): boolean => req.headers['x-goog-api-key'] !== undefined || req.query.has('key');

/**
 * The API a caller speaks by its own marks, for answers no route places: Anthropic clients announce
 * themselves with anthropic-version, Gemini's with their key header or path; everyone else gets
 * OpenAI's shapes.
 *
 * @example
 * bindingByCaller({ path: '/v1/models', headers: { 'anthropic-version': '2023-06-01' }, query }) // ANTHROPIC_MESSAGES
 */
export function bindingByCaller(req: CallerMarks): SurfaceBinding {
  return req.headers['anthropic-version'] ? ANTHROPIC_MESSAGES : isGeminiClient(req) || req.path.startsWith('/v1beta/') ? GEMINI : OPENAI_CHAT;
}
