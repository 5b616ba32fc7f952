/**
 * An upstream answer whose reading failed: what the failure is to the client and how the books
 * keep it, in one place for every answer writer (streams relayed or translated, whole answers, raw audio).
 */
import { GatewayError } from '../http/errors';
import { loggableError } from '../observe/loggable-error';
import type { GatewayLogger } from '../observe/logger';
import type { RequestContext } from './context';
import { EventStreamFormatError } from '../providers/bedrock/eventstream';
import { clientGone, whyAborted } from './signal';
// By its own path, as `lib/upstream/http.ts` loads undici (its entry point is half a megabyte).
import undiciErrors = require('undici/lib/core/errors');

/** The ERROR line of a fault of the gateway's own while an answer was read or relayed (counted by the stack's InternalFailures). */
export const OWN_FAULT_LINE = 'gateway fault after the first byte';

/** The code a fault of the gateway's own is booked and told with. */
export const OWN_FAULT_CODE = 'internal_error';

/**
 * The `code`s of node's socket and DNS errors, and the prefix of OpenSSL's, that a connection to
 * an upstream can fail with while its answer is read (undici passes them on as they are).
 */
const SOCKET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'ENOTFOUND', 'EAI_AGAIN', 'EPROTO']);

/** undici's codes for its refusal of what the gateway gave it (an argument, a handler's return value): our misuse, never the upstream's doing. */
const OWN_UNDICI_CODES = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_INVALID_RETURN_VALUE']);

/** How deep a `cause` chain is followed to find the I/O failure under a wrapper. */
const MAX_CAUSES = 4;

/**
 * Whether a failure while an upstream answer was read is the upstream's doing, as the bytes or
 * the connection brought it: undici's errors (`UND_ERR_*`: a socket closed under the answer, a
 * body shorter than its length; `HTTPParserError`: an answer that breaks HTTP/1.1; not its refusals
 * of what the gateway gave it, `OWN_UNDICI_CODES`), node's socket errors (`ECONNRESET`, `EPIPE`, …, OpenSSL's
 * `ERR_SSL_*`), a corrupt event-stream frame (`EventStreamFormatError`), or any error caused by
 * one of those. Anything else (a TypeError in a translator, a RangeError, an Error our code
 * threw) is the gateway's own fault, which no upstream would mend. Non-JSON upstream bytes never
 * get here: every reader of them catches the parse and ends in an `error` event of its own.
 *
 * @example
 * isUpstreamBreak(new errors.SocketError('other side closed')); // true (UND_ERR_SOCKET)
 * isUpstreamBreak(new TypeError("Cannot read properties of null (reading 'id')")); // false
 */
export function isUpstreamBreak(err: unknown): boolean {
  let at: unknown = err;
  // Objects, not `instanceof Error`: node's own errors fail it across realms (jest's).
  for (let depth = 0; depth <= MAX_CAUSES && typeof at === 'object' && at !== null; depth++, at = (at as { cause?: unknown }).cause) {
    // llhttp's parse errors of an answer's body (a chunk size that is not hex) carry no code; undici's
    // `Symbol.hasInstance` recognises them from any copy of undici.
    if (at instanceof EventStreamFormatError || at instanceof undiciErrors.HTTPParserError) return true;
    const code = (at as { code?: unknown }).code;
    if (typeof code === 'string' && ((code.startsWith('UND_ERR_') && !OWN_UNDICI_CODES.has(code)) || code.startsWith('ERR_SSL_') || SOCKET_CODES.has(code))) return true;
  }
  return false;
}

/**
 * What a failure while an upstream answer was read is: the reason the call was aborted (the client
 * left, the deadline passed), the gateway's own error as it is (the event bound, an upstream's
 * error), the upstream having broken off (`isUpstreamBreak`), or else a fault of the gateway's
 * own (`internal_error`: not the upstream's, and logged at ERROR by `brokeOff`). The thrown
 * error's own words (which may name the upstream's address) are kept for the log only (`detail`).
 *
 * @example
 * readFailure(new errors.SocketError('other side closed'), undefined, 'the stream')
 * // GatewayError upstream_interrupted: 'The upstream provider broke off the stream.' (detail: 'other side closed')
 * readFailure(new TypeError('x is not iterable'), undefined, 'the stream')
 * // GatewayError internal_error: 'The gateway failed while relaying the stream.' (detail: 'x is not iterable')
 */
export function readFailure(err: unknown, signal: AbortSignal | undefined, what: 'the stream' | 'its answer'): GatewayError {
  if (signal?.aborted) return whyAborted(signal);
  if (err instanceof GatewayError) return err;
  const detail = err instanceof Error && err.message ? { detail: err.message } : {};
  if (!isUpstreamBreak(err)) return new GatewayError('internal', `The gateway failed while relaying ${what}.`, { code: OWN_FAULT_CODE, ...detail, cause: err });
  return new GatewayError('upstream_unavailable', `The upstream provider broke off ${what}.`, { code: 'upstream_interrupted', ...detail, cause: err });
}

/** Whether a read failure (`readFailure`) is the gateway's own fault. */
export const isOwnFault = (error: GatewayError): boolean => error.kind === 'internal';

/** Books an answer cut off after its first byte went: outcome `interrupted`, with the failure's code and log-only detail. */
export function bookInterrupted(ctx: RequestContext, error: GatewayError): void {
  ctx.outcome = 'interrupted';
  ctx.errorCode = error.code;
  ctx.errorDetail = error.detail;
}

/** Where an answer that broke off is booked and logged. */
export interface BrokeOffInput {
  ctx: RequestContext;
  logger: Pick<GatewayLogger, 'warn' | 'error'>;
  signal: AbortSignal | undefined;
}

/**
 * An answer cut off after its first byte went, read and booked once for every writer that relays
 * one (the stream guard, translated streams, raw audio): a client that left is `aborted` and owed
 * nothing (undefined); else the failure is booked `interrupted` and returned for the writer to
 * end the client's answer with (an in-band error event, or an aborted transfer). It is logged as
 * `message` with `fields` at WARN when the upstream broke off or the gateway's own error ended it;
 * a fault of the gateway's own (`isOwnFault`) is logged at ERROR as `OWN_FAULT_LINE` instead
 * (`while`: the writer's `message`), with its stack, so that it pages as the bug it is.
 *
 * @example
 * const error = brokeOff(err, { ctx, logger, signal }, 'the stream', 'stream interrupted');
 * if (error) yield Buffer.from(binding.inBandError(error, sent()));
 */
export function brokeOff(err: unknown, { ctx, logger, signal }: BrokeOffInput, what: 'the stream' | 'its answer', message: string, fields: Record<string, unknown> = {}): GatewayError | undefined {
  if (clientGone(signal)) {
    ctx.outcome = 'aborted';
    return undefined;
  }
  const error = readFailure(err, signal, what);
  bookInterrupted(ctx, error);
  logBrokeOff(err, error, { ctx, logger }, message, fields);
  return error;
}

/** The log line of an answer that broke off (`brokeOff`): WARN as `message`, or ERROR as `OWN_FAULT_LINE` for a fault of the gateway's own. */
export function logBrokeOff(err: unknown, error: GatewayError, { ctx, logger }: Pick<BrokeOffInput, 'ctx' | 'logger'>, message: string, fields: Record<string, unknown> = {}): void {
  const where = { requestId: ctx.requestId, provider: ctx.provider, account: ctx.account, ...fields };
  if (isOwnFault(error)) {
    logger.error(OWN_FAULT_LINE, { ...where, while: message, code: error.code, error: loggableError(err) });
    return;
  }
  logger.warn(message, {
    ...where,
    error: (err as Error).message,
    ...(error.code ? { code: error.code } : {}),
    ...(error.detail ? { detail: error.detail } : {}),
  });
}
