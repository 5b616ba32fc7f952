import { GatewayError, type ErrorKind } from '../../http/errors';

const KIND_BY_STATUS: Record<number, ErrorKind> = {
  400: 'invalid_request',
  404: 'not_found',
  413: 'request_too_large',
  422: 'invalid_request',
  429: 'rate_limit',
};

/**
 * An upstream error answer as the client's error. The provider's message, type and code are kept
 * and so is its status for client errors; the upstream rejecting the gateway's own credentials
 * is the operator's problem, not the caller's, so it becomes a 502.
 */
export function errorFromOpenAIUpstream(status: number, headers: Record<string, string | string[] | undefined>, text: string, providerId: string): GatewayError {
  let message = `The upstream provider "${providerId}" answered ${status}.`;
  let code: string | undefined;
  let param: string | undefined;
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown; code?: unknown; param?: unknown } | string; message?: unknown };
    const e = parsed.error;
    if (typeof e === 'object' && e) {
      if (typeof e.message === 'string' && e.message) message = e.message;
      if (typeof e.code === 'string') code = e.code;
      if (typeof e.param === 'string') param = e.param;
    } else if (typeof e === 'string') message = e;
    else if (typeof parsed.message === 'string') message = parsed.message;
  } catch {
    // Not JSON (an HTML error page from a proxy): keep the generic message.
  }
  const retryAfter = headers['retry-after'];
  const extra: Record<string, string> = typeof retryAfter === 'string' ? { 'retry-after': retryAfter } : {};
  if (status === 401 || status === 403) {
    return new GatewayError('upstream_error', `The upstream provider "${providerId}" rejected the gateway's credentials (${status}): ${message}`, {
      code: 'upstream_auth_failed',
    });
  }
  const kind = KIND_BY_STATUS[status] ?? (status === 503 || status === 529 ? 'overloaded' : status >= 500 ? 'upstream_error' : 'invalid_request');
  const options = { status: status === 529 ? 503 : status, headers: extra, ...(code ? { code } : {}), ...(param ? { param } : {}) };
  return new GatewayError(kind, message, options);
}
