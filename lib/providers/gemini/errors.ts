import { GatewayError, upstreamAuthFailed } from '../../http/errors';
import type { GoogleErrorBody } from './types';

/** ErrorInfo reasons that mean the gateway's own key is bad (Gemini answers them with a 400). */
const KEY_REASONS = new Set(['API_KEY_INVALID', 'API_KEY_EXPIRED', 'API_KEY_SERVICE_BLOCKED', 'API_KEY_HTTP_REFERRER_BLOCKED', 'API_KEY_IP_ADDRESS_BLOCKED']);

/**
 * An upstream Gemini error as the client's error. Google's body is
 * `{"error": {"code", "message", "status", "details": [...]}}`.
 *
 * - The gateway's key rejected (400 with an ErrorInfo reason API_KEY_INVALID, 401
 *   UNAUTHENTICATED, 403 PERMISSION_DENIED): 502 `upstream_auth_failed`, since that is the
 *   operator's problem, not the caller's.
 * - 400 FAILED_PRECONDITION (no billing, unsupported location): 502 as well, for the same reason;
 *   another target may work.
 * - 429 RESOURCE_EXHAUSTED: 429 with `retry-after` from the RetryInfo detail (Gemini sends
 *   no Retry-After header), in whole seconds, rounded up.
 * - 500 INTERNAL and 503 UNAVAILABLE: 503 overloaded; 504 DEADLINE_EXCEEDED: 504.
 * - Other 4xx keep their status; `code` is Google's status in lower case (`invalid_argument`).
 */
export function errorFromGeminiUpstream(status: number, headers: Record<string, string | string[] | undefined>, text: string, providerId: string): GatewayError {
  const body = parseBody(text);
  const error = body?.error;
  const message = typeof error?.message === 'string' && error.message !== '' ? error.message : `The upstream provider "${providerId}" answered ${status}.`;
  const googleStatus = typeof error?.status === 'string' ? error.status : undefined;
  const code = googleStatus?.toLowerCase();
  const details = Array.isArray(error?.details) ? error.details : [];
  const reasons = details.map((d) => d.reason).filter((r): r is string => typeof r === 'string');

  const keyReason = reasons.find((r) => KEY_REASONS.has(r));
  if (keyReason || status === 401 || status === 403 || googleStatus === 'UNAUTHENTICATED' || googleStatus === 'PERMISSION_DENIED') {
    const label = [status, keyReason ?? googleStatus].filter((x) => x !== undefined).join(' ');
    return upstreamAuthFailed(providerId, label, message);
  }
  if (googleStatus === 'FAILED_PRECONDITION') {
    // Google's words name the project and its billing or region: the log's.
    return new GatewayError('upstream_error', `The upstream provider "${providerId}" cannot serve this account (${status} FAILED_PRECONDITION).`, {
      code: 'upstream_failed_precondition',
      detail: message,
    });
  }
  // A quota message names the operator's Google project ("for consumer 'project_number:…'"): the log keeps it, the client is told of the provider account.
  const shown = withoutProject(message);
  const withCode = { ...(code ? { code } : {}), ...(shown !== message ? { detail: message } : {}) };
  if (status === 429 || googleStatus === 'RESOURCE_EXHAUSTED') {
    const retryAfter = retryAfterFromDetails(details) ?? headerValue(headers['retry-after']);
    return new GatewayError('rate_limit', shown, { ...withCode, status: 429, headers: retryAfter ? { 'retry-after': retryAfter } : {} });
  }
  if (status === 500 || status === 503) return new GatewayError('overloaded', shown, { ...withCode, status: 503 });
  if (status === 504) return new GatewayError('upstream_timeout', shown, withCode);
  if (status >= 500) return new GatewayError('upstream_error', shown, withCode);
  if (status === 404) return new GatewayError('not_found', shown, withCode);
  if (status === 413) return new GatewayError('request_too_large', shown, withCode);
  return new GatewayError('invalid_request', shown, { ...withCode, status: status >= 400 ? status : 400 });
}

// `project_number:123456789` and `projects/my-project` (with the `/locations/…` path after it).
const PROJECT_REFERENCE = /project_number:\d+|projects\/[^\s'",;)]+/g;

/**
 * A Google message with the operator's project reference replaced by `the provider account`.
 *
 * @example
 * withoutProject("Quota exceeded … for consumer 'project_number:123456789'.")
 * // "Quota exceeded … for consumer 'the provider account'."
 */
export function withoutProject(message: string): string {
  return message.replace(PROJECT_REFERENCE, 'the provider account');
}

/**
 * The delay of a `google.rpc.RetryInfo` detail as whole seconds, rounded up
 * (`"17s"` → `"17"`, `"0.5s"` → `"1"`, `"1.000000001s"` → `"2"`).
 */
export function retryAfterFromDetails(details: readonly Record<string, unknown>[]): string | undefined {
  for (const detail of details) {
    if (typeof detail['@type'] !== 'string' || !detail['@type'].endsWith('google.rpc.RetryInfo')) continue;
    const delay = detail.retryDelay;
    const match = typeof delay === 'string' ? /^(\d+)(?:\.(\d+))?s$/.exec(delay) : null;
    if (!match) continue;
    const whole = Number(match[1]);
    const hasFraction = /[1-9]/.test(match[2] ?? '');
    return String(whole + (hasFraction ? 1 : 0));
  }
  return undefined;
}

/** A Google error object that arrived inside a stream, as the error the client gets. */
export function errorFromGeminiStreamEvent(error: NonNullable<GoogleErrorBody['error']>, providerId: string): GatewayError {
  const status = typeof error.code === 'number' && error.code >= 400 ? error.code : 500;
  return errorFromGeminiUpstream(status, {}, JSON.stringify({ error }), providerId);
}

function parseBody(text: string): GoogleErrorBody | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    // Some Google front ends wrap the error in a one-element array.
    const body = Array.isArray(parsed) ? parsed[0] : parsed;
    return typeof body === 'object' && body !== null ? (body as GoogleErrorBody) : undefined;
  } catch {
    return undefined; // Not JSON (an HTML page from a proxy): the generic message stands.
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
