import { GatewayError, upstreamError, type ErrorKind } from '../../http/errors';
import { errorFromAnthropicEvent } from '../anthropic/errors';
import type { EventStreamMessage } from './eventstream';

interface ErrorRule {
  kind: ErrorKind;
  status?: number;
  code?: string;
  /** The gateway's own AWS credentials were refused: the operator's problem, never the caller's. */
  auth?: boolean;
}

/**
 * Bedrock's error types (the `x-amzn-ErrorType` header, or the exception frame's
 * `:exception-type`, which spells them in camelCase) as the error the client gets.
 */
const RULES: Record<string, ErrorRule> = {
  throttlingexception: { kind: 'rate_limit', code: 'rate_limit_exceeded' },
  // A per-account quota, like OpenAI's insufficient_quota: another account may still serve.
  servicequotaexceededexception: { kind: 'rate_limit', code: 'service_quota_exceeded' },
  validationexception: { kind: 'invalid_request' },
  accessdeniedexception: { kind: 'upstream_error', auth: true },
  unrecognizedclientexception: { kind: 'upstream_error', auth: true },
  expiredtokenexception: { kind: 'upstream_error', auth: true },
  invalidsignatureexception: { kind: 'upstream_error', auth: true },
  incompletesignatureexception: { kind: 'upstream_error', auth: true },
  missingauthenticationtokenexception: { kind: 'upstream_error', auth: true },
  invalidclienttokenid: { kind: 'upstream_error', auth: true },
  // The model id (or profile) is the config's, not the client's: one this account's Region lacks is
  // the account's failed precondition (a 502 the next target is tried after), not the client's 404.
  resourcenotfoundexception: { kind: 'upstream_error', code: 'upstream_failed_precondition' },
  // Bedrock answers 408; to the client it is the upstream running out of time.
  modeltimeoutexception: { kind: 'upstream_timeout', code: 'upstream_timeout' },
  serviceunavailableexception: { kind: 'overloaded', status: 503 },
  // Documented as 429, but it means the model is warming up, not that the caller sent too much.
  modelnotreadyexception: { kind: 'overloaded', status: 503 },
  internalserverexception: { kind: 'upstream_error', status: 500 },
  internalfailure: { kind: 'upstream_error', status: 500 },
  // 424: the model itself failed; the request may succeed elsewhere.
  modelerrorexception: { kind: 'upstream_error' },
  modelstreamerrorexception: { kind: 'upstream_error' },
  // The agent runtime's (Rerank): 502 and 424 when a service behind it (Bedrock itself) failed.
  badgatewayexception: { kind: 'upstream_error' },
  dependencyfailedexception: { kind: 'upstream_error' },
};

/**
 * The bare error type: `ThrottlingException:http://internal.amazon.com/coral/…` and
 * `com.amazon.coral.service#ExpiredTokenException` both become the name alone.
 */
export function bareErrorType(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  const name = raw.split(':')[0]?.split('#').pop()?.trim();
  return name ? name : undefined;
}

/** An error answer from Bedrock (status ≥ 400) as the client's error. */
export function errorFromBedrock(status: number, headers: Record<string, string | string[] | undefined>, text: string, providerId: string): GatewayError {
  let message = `The upstream provider "${providerId}" answered ${status}.`;
  let bodyType: string | undefined;
  try {
    const parsed = JSON.parse(text) as { message?: unknown; Message?: unknown; __type?: unknown; code?: unknown };
    const m = parsed.message ?? parsed.Message;
    if (typeof m === 'string' && m) message = m;
    if (typeof parsed.__type === 'string') bodyType = parsed.__type;
    else if (typeof parsed.code === 'string') bodyType = parsed.code;
  } catch {
    // Not JSON (a proxy's HTML page): keep the generic message.
  }
  const header = headers['x-amzn-errortype'];
  const type = bareErrorType(typeof header === 'string' ? header : Array.isArray(header) ? header[0] : undefined) ?? bareErrorType(bodyType);
  const retryAfter = headers['retry-after'];
  const extra: Record<string, string> = typeof retryAfter === 'string' ? { 'retry-after': retryAfter } : {};
  return bedrockError(type, status, message, providerId, extra);
}

/**
 * The failure a stream's exception or error frame reports, undefined for any other frame: an
 * exception frame's words are its payload, an error frame's are in its headers. One reading for
 * the Converse translation and the Claude passthrough.
 *
 * @example
 * errorOfFailureFrame({ headers: { ':message-type': 'exception', ':exception-type': 'throttlingException' }, body: fromUtf8('{"message":"Slow down"}') }, 'aws')
 * // 429 rate_limit_exceeded: 'Slow down'
 */
export function errorOfFailureFrame(message: EventStreamMessage, providerId: string): GatewayError | undefined {
  const kind = message.headers[':message-type'];
  if (kind === 'exception') return errorFromExceptionFrame(message.headers[':exception-type'], new TextDecoder().decode(message.body), providerId);
  if (kind === 'error') return errorFromExceptionFrame(message.headers[':error-code'], JSON.stringify({ message: message.headers[':error-message'] ?? '' }), providerId);
  return undefined;
}

/** A `:message-type: exception` frame inside a stream (the type in camelCase, the payload `{"message"}`). */
export function errorFromExceptionFrame(exceptionType: string | undefined, payload: string, providerId: string): GatewayError {
  const type = bareErrorType(exceptionType);
  // Named by its bare type: a qualified one's namespace and URL are AWS's plumbing, not the failure.
  let message = `The upstream provider "${providerId}" failed mid-stream (${type ?? 'unknown exception'}).`;
  try {
    const parsed = JSON.parse(payload) as { message?: unknown; Message?: unknown };
    const m = parsed.message ?? parsed.Message;
    if (typeof m === 'string' && m) message = m;
  } catch {
    // An empty or non-JSON payload: keep the generic message.
  }
  return bedrockError(type, undefined, message, providerId, {});
}

/**
 * A Bedrock stream that could not be read (a frame's prelude or checksum wrong, a chunk that is
 * not JSON), worded and coded alike for the Converse translation and the Claude passthrough.
 *
 * @example
 * brokenStreamError('aws', new EventStreamFormatError('bad prelude checksum'))
 * // 502 bad_upstream_response: 'The upstream provider "aws" sent a broken event stream: bad prelude checksum'
 */
export function brokenStreamError(providerId: string, cause: Error): GatewayError {
  return new GatewayError('upstream_error', `The upstream provider "${providerId}" sent a broken event stream: ${cause.message}`, { code: 'bad_upstream_response', cause });
}

/**
 * A Bedrock stream that ended before its last event (Converse's `messageStop`, Claude's
 * `message_stop`), for the Converse translation and the Claude passthrough: every provider's cut
 * stream, worded by the one helper, so it is booked `interrupted` and keeps the budget a cut
 * stream keeps. A broken frame or an exception frame is another failure.
 */
export { streamEndedError } from '../../http/stream-ended';

function bedrockError(type: string | undefined, status: number | undefined, message: string, providerId: string, headers: Record<string, string>): GatewayError {
  const rule = type ? RULES[type.toLowerCase()] : undefined;
  const code = rule?.code ?? (type ? toSnake(type) : undefined);
  if (rule?.auth || (!rule && (status === 401 || status === 403))) {
    // AWS's words name the principal and resources (`User: arn:aws:sts::…:assumed-role/… is not authorized…`): the log's, not the caller's.
    return new GatewayError('upstream_error', `The upstream provider "${providerId}" rejected the gateway's AWS credentials${type ? ` (${type})` : ''}.`, {
      code: 'upstream_auth_failed',
      detail: message,
    });
  }
  // An ARN (a profile's, a guardrail's) or a bare account id names the operator's AWS account: the log keeps it, the client a placeholder.
  const shown = withoutAwsAccount(message);
  const options = { headers, ...(code ? { code } : {}), ...(shown !== message ? { detail: message } : {}) };
  if (rule) return new GatewayError(rule.kind, shown, { ...(rule.status ? { status: rule.status } : {}), ...options });
  if (status === undefined) return new GatewayError('upstream_error', shown, options);
  return upstreamError(status, shown, options);
}

/**
 * An ARN in any partition (`aws`, `aws-cn`, `aws-us-gov`): its partition and service (kept), then
 * region, account and resource. A sentence's closing full stop is not the ARN's (a model id inside
 * one has dots, so they stay), nor are the quotes or brackets around it. A placeholder
 * (`arnPlaceholder`: `…` where the region was) is no ARN, so a message cleaned twice keeps its
 * resource type.
 */
const ARN = /\barn:(aws[a-z-]*):([a-z0-9-]*):(?!…)[^\s'"`,;()[\]<>{}]*[^\s'"`,;()[\]<>{}.]/g;

/** The resource type of an ARN's resource (`role` of `role/x`, `inference-profile` of `inference-profile/…`, `function` of `function:f`), if it has one. */
const RESOURCE_TYPE = /^([A-Za-z0-9-]+)[/:]/;

/** An ARN as the client may see it: partition, service and resource type, the rest (region, account, names) `…`. */
function arnPlaceholder(arn: string, partition: string, service: string): string {
  // arn:partition:service:region:account:resource (the resource may hold `:` itself).
  const resource = arn.split(':').slice(5).join(':');
  const type = RESOURCE_TYPE.exec(resource)?.[1];
  return `arn:${partition}:${service}:…${type ? `:${type}/…` : ''}`;
}

/**
 * A bare AWS account id: twelve digits standing alone (no letter, digit, `-` or `:` touching them,
 * so never part of a longer number, a token count or an ARN) right after the word `account`,
 * `account id`, `accountId` or `owner` (`owner id`), any case, with an optional `:`, `=` or `#`
 * and quotes between. AWS's messages name accounts so (`… for account 123456789012 …`,
 * `AWS account ID: '123456789012'`, `owner 123456789012`); a number after any other word stays.
 */
const ACCOUNT_ID = /\b((?:account(?:[ _-]?id)?|owner(?:[ _-]?id)?)\s*[:=#]?\s*(['"]?))\d{12}\2(?![\w:-])/gi;

/**
 * An AWS message without the operator's account, every sentence kept: each ARN becomes
 * `arn:<partition>:<service>:…:<type>/…` (what kind of resource, not whose nor which: no region,
 * account, role or profile name), each bare account id (see `ACCOUNT_ID`) `<account>`. The one
 * cleaning of every Bedrock message a client reads: HTTP errors, exception frames, Claude's error
 * events inside chunks (`errorFromClaudeChunk`); its callers keep the whole text as `detail`.
 *
 * @example
 * withoutAwsAccount('User: arn:aws:sts::123456789012:assumed-role/aigw/s is not authorized for account 123456789012. Requested 2048 tokens.')
 * // 'User: arn:aws:sts:…:assumed-role/… is not authorized for account <account>. Requested 2048 tokens.'
 */
export function withoutAwsAccount(message: string): string {
  // Most messages name no ARN nor account: one search each, no copy.
  if (!message.includes('arn:') && !/account|owner/i.test(message)) return message;
  return message.replace(ARN, arnPlaceholder).replace(ACCOUNT_ID, '$1<account>$2');
}

/**
 * Claude's own `error` event inside a Bedrock `chunk`, read as Anthropic's in-band errors are
 * (`errorFromAnthropicEvent`: its type, its organisation id kept out), then cleaned of the AWS
 * account as Bedrock's other messages are (`withoutAwsAccount`), the whole text the log's `detail`.
 *
 * @example
 * errorFromClaudeChunk('{"type":"error","error":{"type":"overloaded_error","message":"Overloaded in account 123456789012."}}', 'aws')
 * // 503 overloaded: 'Overloaded in account <account>.', detail 'Overloaded in account 123456789012.'
 */
export function errorFromClaudeChunk(json: string, providerId: string): GatewayError {
  const error = errorFromAnthropicEvent(json, providerId);
  const shown = withoutAwsAccount(error.message);
  if (shown === error.message) return error;
  return new GatewayError(error.kind, shown, {
    status: error.status,
    headers: error.headers,
    ...(error.code ? { code: error.code } : {}),
    ...(error.param ? { param: error.param } : {}),
    // The organisation's cleaning kept the whole text already, or the message was the whole text.
    detail: error.detail ?? error.message,
  });
}

/** `ValidationException` → `validation_exception`, the shape of the other providers' error codes. */
function toSnake(type: string): string {
  return type
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/^_/, '')
    .toLowerCase();
}
