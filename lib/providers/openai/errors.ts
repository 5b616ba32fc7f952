import { GatewayError, upstreamAuthFailed, upstreamError } from '../../http/errors';

/**
 * The 404 codes that say the account lacks the model the config names (OpenAI's `model_not_found`:
 * an organisation without access to it; Azure's `DeploymentNotFound`: a resource without the
 * deployment). The model is the config's, not the client's: another account or target may have it.
 */
const ACCOUNT_LACKS_MODEL = new Set(['model_not_found', 'DeploymentNotFound']);

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
  if (status === 404 && code !== undefined && ACCOUNT_LACKS_MODEL.has(code)) {
    // A failed precondition of this account (the next target is tried; a 502 if none has it), not the client's 404.
    // The words name the config's model or Azure deployment, which the client never chose: the log's.
    return new GatewayError('upstream_error', `The upstream provider "${providerId}" has no such model for this account (404 ${code}).`, { code: 'upstream_failed_precondition', detail: message });
  }
  return upstreamError(status, message, { headers: extra, ...(code ? { code } : {}), ...(param ? { param } : {}) });
}
