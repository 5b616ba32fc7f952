import { upstreamAuthFailed, upstreamError, type GatewayError } from '../../http/errors';

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
  if (status === 401 || status === 403) return upstreamAuthFailed(providerId, String(status), message);
  return upstreamError(status, message, { headers: extra, ...(code ? { code } : {}), ...(param ? { param } : {}) });
}
