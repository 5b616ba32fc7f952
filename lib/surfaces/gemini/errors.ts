import { json } from '../../http/body';
import type { GatewayError } from '../../http/errors';
import type { GatewayResponse } from '../../http/types';

/**
 * google.rpc status names by HTTP status, as Google's HTTP mapping pairs them (the Gemini API's
 * error bodies carry both). A status Google never sends (405, 413, 502) gets the name closest to
 * what it means for the caller.
 */
const STATUS_NAME: Readonly<Record<number, string>> = Object.freeze({
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  405: 'UNIMPLEMENTED',
  409: 'ABORTED',
  413: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
});

export function googleStatusName(status: number): string {
  return STATUS_NAME[status] ?? (status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT');
}

export interface GoogleErrorJson {
  error: { code: number; message: string; status: string; details?: Record<string, unknown>[] };
}

/**
 * The body the Gemini API (and so @google/genai, which raises `ApiError` with its `status`, and
 * Gemini CLI) uses for errors, before a response has started and as an SSE event's data inside a
 * stream. A retry-after becomes the RetryInfo detail Gemini CLI reads its back-off from.
 *
 * @example
 * geminiErrorBody(new GatewayError('not_found', 'No such model.'))
 * // { error: { code: 404, message: 'No such model.', status: 'NOT_FOUND' } }
 */
export function geminiErrorBody(err: GatewayError): GoogleErrorJson {
  const retryAfter = err.headers['retry-after'];
  const details = retryAfter && /^\d+$/.test(retryAfter) ? [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${retryAfter}s` }] : undefined;
  return { error: { code: err.status, message: err.message, status: googleStatusName(err.status), ...(details ? { details } : {}) } };
}

export function geminiErrorResponse(err: GatewayError): GatewayResponse {
  return json(err.status, geminiErrorBody(err), err.headers);
}

/** One SSE event the way Gemini frames its streams (`\r\n\r\n` after each event). */
export function geminiSse(data: unknown): string {
  return `data: ${JSON.stringify(data)}\r\n\r\n`;
}
