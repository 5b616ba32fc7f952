import type { GatewayError } from './errors';
import type { GatewayResponse } from './types';
import { json } from './body';

/** Anthropic's error type for each status its API documents; other statuses fall back by class. */
const TYPE_BY_STATUS: Readonly<Record<number, string>> = Object.freeze({
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  502: 'api_error',
  503: 'overloaded_error',
  504: 'timeout_error',
  529: 'overloaded_error',
});

/** The `error.type` Anthropic's clients expect for a status (their SDKs pick the exception class from the status, Claude Code also reads the type). */
export function anthropicErrorType(status: number): string {
  return TYPE_BY_STATUS[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

/**
 * The body Anthropic's API (and so its clients) use for errors, before a response has started and,
 * as the data of `event: error`, inside a stream.
 *
 * @example
 * anthropicErrorBody(new GatewayError('rate_limit', 'Slow down.'))
 * // { type: 'error', error: { type: 'rate_limit_error', message: 'Slow down.' } }
 */
export function anthropicErrorBody(err: GatewayError): { type: 'error'; error: { type: string; message: string } } {
  return { type: 'error', error: { type: anthropicErrorType(err.status), message: err.message } };
}

export function anthropicErrorResponse(err: GatewayError): GatewayResponse {
  return json(err.status, anthropicErrorBody(err), err.headers);
}
