import { GatewayError } from '../../http/errors';
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
 * Vertex's 404 names a publisher model the account's project or region does not have (not offered
 * there, not enabled in its Model Garden): the URL is the gateway's, not the client's, so it is
 * the account's failed precondition (a 502 the next target is tried after), not the client's 404.
 *
 * @example
 * errorFromVertex(429, {}, '{"error":{"code":429,"message":"Quota exceeded…","status":"RESOURCE_EXHAUSTED"}}', 'vertex').status // 429
 * errorFromVertex(529, {}, '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}', 'vertex').status // 503
 */
export function errorFromVertex(status: number, headers: Record<string, string | string[] | undefined>, text: string, providerId: string): GatewayError {
  if (isAnthropicError(text)) return errorFromAnthropicUpstream(status, headers, text, providerId);
  const error = errorFromGeminiUpstream(status, headers, text, providerId);
  if (status !== 404) return error;
  // Google's words name the project (`projects/…/locations/…/publishers/…`): the log's.
  return new GatewayError('upstream_error', `The upstream provider "${providerId}" has no such model in this account's project and region (404 NOT_FOUND).`, {
    code: 'upstream_failed_precondition',
    detail: error.detail ?? error.message,
  });
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
