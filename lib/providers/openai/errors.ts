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
  // A rate limit's words name the operator's organisation (`in organization org-…`): the log keeps them.
  const shown = withoutOrganization(message);
  return upstreamError(status, shown, { headers: extra, ...(code ? { code } : {}), ...(param ? { param } : {}), ...(shown !== message ? { detail: message } : {}) });
}

// OpenAI's organisation ids: `org-` and 24 letters and digits (`org-uVqpjtJiKqvVJMVfvpaounIh`).
const ORGANIZATION = /\borg-[A-Za-z0-9]{24}\b/g;

/**
 * An OpenAI message with the operator's organisation id replaced by `the provider account`.
 *
 * @example
 * withoutOrganization('Rate limit reached for gpt-4o in organization org-uOtiSEwvUnroadaOnJJquBEC on tokens per min (TPM)')
 * // 'Rate limit reached for gpt-4o in organization the provider account on tokens per min (TPM)'
 */
export function withoutOrganization(message: string): string {
  return message.replace(ORGANIZATION, 'the provider account');
}

/**
 * The HTTP status an in-band error stands for, where the chunk gives none: OpenAI-compatible
 * servers (vLLM, OpenRouter) put the status in `code` as a number; OpenAI's own codes and types
 * say it by name. Unknown ones are the upstream failing: 500.
 */
const STATUS_BY_NAME: Readonly<Record<string, number>> = Object.freeze({
  invalid_api_key: 401,
  authentication_error: 401,
  permission_error: 403,
  permission_denied: 403,
  insufficient_quota: 429,
  rate_limit_exceeded: 429,
  rate_limit_error: 429,
  tokens: 429,
  requests: 429,
  content_filter: 400,
  context_length_exceeded: 400,
  invalid_request_error: 400,
  server_error: 500,
  overloaded: 503,
  timeout: 504,
});

/**
 * An error that arrived inside an OpenAI (or OpenAI-compatible) stream after the 200 (a
 * `data: {"error":{…}}` chunk: vLLM's, OpenRouter's, Azure's content filter's), read by the HTTP
 * path's own reader so it is made safe the same way: the gateway's credentials refused, a
 * missing model and an organisation's id are the log's.
 *
 * @example
 * errorFromOpenAIEvent({ message: 'Rate limit reached … in organization org-uOtiSEwvUnroadaOnJJquBEC …', code: 'rate_limit_exceeded' }, 'openai').status // 429
 */
export function errorFromOpenAIEvent(error: unknown, providerId: string): GatewayError {
  const e = typeof error === 'object' && error !== null ? (error as { code?: unknown; type?: unknown; status?: unknown }) : {};
  const numeric = [e.code, e.status].find((x): x is number => typeof x === 'number' && x >= 400 && x < 600);
  const named = [e.code, e.type].find((x): x is string => typeof x === 'string' && STATUS_BY_NAME[x] !== undefined);
  const status = numeric ?? (named ? STATUS_BY_NAME[named]! : 500);
  const body = typeof error === 'string' ? { error } : { error: error ?? {} };
  return errorFromOpenAIUpstream(status, {}, JSON.stringify(body), providerId);
}

/**
 * A Responses stream's `error` event as the gateway tells it: its fields flat (`{type, code,
 * message}`) or nested under `error` (an object, or its words alone), read by `errorFromOpenAIEvent`. The in-band guard's rewrite
 * (`responsesErrorEvents`) and the stream's meter read it by this one rule, so what the client is
 * told and what the books keep are the same error.
 *
 * @example
 * errorFromResponsesErrorEvent({ type: 'error', code: 'rate_limit_exceeded', message: 'Slow down' }, 'oai').status // 429
 */
export function errorFromResponsesErrorEvent(event: Record<string, unknown>, providerId: string): GatewayError {
  const nested = (typeof event.error === 'object' && event.error !== null) || typeof event.error === 'string';
  return errorFromOpenAIEvent(nested ? event.error : event, providerId);
}
