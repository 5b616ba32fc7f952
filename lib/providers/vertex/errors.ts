import type { GatewayError } from '../../http/errors';
import { errorFromAnthropicUpstream } from '../anthropic/errors';
import { errorFromGeminiUpstream } from '../gemini/errors';

/**
 * A Vertex AI error answer as the client's error. Vertex answers in two shapes, whatever the
 * model: its own front end's Google body (`{"error":{"code","message","status"}}`: quota
 * (429 RESOURCE_EXHAUSTED, `Quota exceeded for aiplatform.googleapis.com/…`), 401/403 for the
 * token or the service account's role, 404 for a model not in the region), read as Gemini's
 * errors are; and, for Claude, Anthropic's own body passed through from the model
 * (`{"type":"error","error":{"type":"overloaded_error",…}}` with 529, invalid requests), read as
 * Anthropic's are. The body says which, so one reader serves both publishers.
 *
 * @example
 * errorFromVertex(429, {}, '{"error":{"code":429,"message":"Quota exceeded…","status":"RESOURCE_EXHAUSTED"}}', 'vertex').status // 429
 * errorFromVertex(529, {}, '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}', 'vertex').status // 503
 */
export function errorFromVertex(status: number, headers: Record<string, string | string[] | undefined>, text: string, providerId: string): GatewayError {
  return isAnthropicError(text) ? errorFromAnthropicUpstream(status, headers, text, providerId) : errorFromGeminiUpstream(status, headers, text, providerId);
}

function isAnthropicError(text: string): boolean {
  // Cheap first: Google's bodies never start an object with "type".
  if (!text.includes('"type"')) return false;
  try {
    const parsed = JSON.parse(text) as { type?: unknown; error?: { type?: unknown } };
    return parsed?.type === 'error' && typeof parsed.error?.type === 'string';
  } catch {
    return false;
  }
}
