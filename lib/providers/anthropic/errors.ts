import { GatewayError, upstreamAuthFailed, upstreamError, type ErrorKind } from '../../http/errors';

const KIND_BY_TYPE: Record<string, ErrorKind> = {
  invalid_request_error: 'invalid_request',
  authentication_error: 'upstream_error',
  permission_error: 'upstream_error',
  not_found_error: 'not_found',
  request_too_large: 'request_too_large',
  rate_limit_error: 'rate_limit',
  api_error: 'upstream_error',
  overloaded_error: 'overloaded',
  timeout_error: 'upstream_timeout',
};

/** `{"type":"error","error":{"type","message"}}`, read defensively (proxies answer HTML). */
function readErrorBody(text: string): { type?: string; message?: string } {
  try {
    const parsed = JSON.parse(text) as { error?: { type?: unknown; message?: unknown } };
    const e = parsed.error;
    if (typeof e !== 'object' || e === null) return {};
    return {
      ...(typeof e.type === 'string' ? { type: e.type } : {}),
      ...(typeof e.message === 'string' && e.message ? { message: e.message } : {}),
    };
  } catch {
    return {};
  }
}

/**
 * An Anthropic error answer (status ≥ 400) as the client's error. The status is kept for client
 * errors; 529 becomes 503 (clients and proxies know 503, not 529); 401/403 mean Anthropic refused
 * the gateway's own key, which is the operator's problem, so the caller gets a 502
 * `upstream_auth_failed`. The Anthropic error type is kept as `code`.
 */
export function errorFromAnthropicUpstream(status: number, headers: Record<string, string | string[] | undefined>, text: string, providerId: string): GatewayError {
  const { type, message = `The upstream provider "${providerId}" answered ${status}.` } = readErrorBody(text);
  const retryAfter = headers['retry-after'];
  const extra: Record<string, string> = typeof retryAfter === 'string' ? { 'retry-after': retryAfter } : {};
  if (status === 401 || status === 403) return upstreamAuthFailed(providerId, String(status), message);
  if (status === 404 && type === 'not_found_error' && message.startsWith('model:')) {
    // The model is the config's, not the client's: this account (or its region) lacks it, another may have it.
    // Its words name the config's model id, which the client never chose: the log's.
    return new GatewayError('upstream_error', `The upstream provider "${providerId}" has no such model for this account (404 not_found_error).`, { code: 'upstream_failed_precondition', detail: message });
  }
  // A rate limit's words name the operator's organisation by its id: the log keeps them.
  const shown = withoutOrganization(message);
  return upstreamError(status, shown, { headers: extra, ...(type ? { code: type } : {}), ...(shown !== message ? { detail: message } : {}) });
}

// Anthropic's organisation ids are UUIDs (`… for your organization (d3f27ff7-9afe-4ee2-9645-76ecfc73c2b7) of …`, `(org: …, model: …)`).
const ORGANIZATION = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;

/**
 * An Anthropic message with the operator's organisation id replaced by `the provider account`.
 *
 * @example
 * withoutOrganization('This request would exceed the rate limit for your organization (d3f27ff7-9afe-4ee2-9645-76ecfc73c2b7) of 40,000 input tokens per minute.')
 * // 'This request would exceed the rate limit for your organization (the provider account) of 40,000 input tokens per minute.'
 */
export function withoutOrganization(message: string): string {
  return message.replace(ORGANIZATION, 'the provider account');
}

/**
 * An `event: error` that arrived inside a stream (after the 200): the error type is all there is
 * to go on. overloaded_error → 503, rate_limit_error → 429, anything unknown → 502.
 */
export function errorFromAnthropicEvent(data: string, providerId = 'anthropic'): GatewayError {
  const { type, message = `The upstream provider "${providerId}" reported an error mid-stream.` } = readErrorBody(data);
  // Anthropic's words about the gateway's own key are the log's, mid-stream as before the 200.
  if (type === 'authentication_error' || type === 'permission_error') return upstreamAuthFailed(providerId, type, message);
  const kind = (type && KIND_BY_TYPE[type]) || 'upstream_error';
  const shown = withoutOrganization(message);
  return new GatewayError(kind, shown, { ...(type ? { code: type } : {}), ...(shown !== message ? { detail: message } : {}) });
}
