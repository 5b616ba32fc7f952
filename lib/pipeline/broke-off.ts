/**
 * An upstream answer whose reading failed: what the failure is to the client and how the books
 * keep it, in one place for every answer writer (streams relayed or translated, whole answers, raw audio).
 */
import { GatewayError } from '../http/errors';
import type { GatewayLogger } from '../observe/logger';
import type { RequestContext } from './context';
import { clientGone, whyAborted } from './signal';

/**
 * What a failure while an upstream answer was read is: the reason the call was aborted (the client
 * left, the deadline passed), the gateway's own error as it is (the event bound, an upstream's
 * error), else the upstream having broken off, the socket's own words (which may name the
 * upstream's address) kept for the log only (`detail`).
 *
 * @example
 * readFailure(new Error('other side closed'), undefined, 'the stream')
 * // GatewayError upstream_interrupted: 'The upstream provider broke off the stream.' (detail: 'other side closed')
 */
export function readFailure(err: unknown, signal: AbortSignal | undefined, what: 'the stream' | 'its answer'): GatewayError {
  if (signal?.aborted) return whyAborted(signal);
  if (err instanceof GatewayError) return err;
  const detail = err instanceof Error && err.message ? { detail: err.message } : {};
  return new GatewayError('upstream_unavailable', `The upstream provider broke off ${what}.`, { code: 'upstream_interrupted', ...detail, cause: err });
}

/** Books an answer cut off after its first byte went: outcome `interrupted`, with the failure's code and log-only detail. */
export function bookInterrupted(ctx: RequestContext, error: GatewayError): void {
  ctx.outcome = 'interrupted';
  ctx.errorCode = error.code;
  ctx.errorDetail = error.detail;
}

/** Where an answer that broke off is booked and logged. */
export interface BrokeOffInput {
  ctx: RequestContext;
  logger: Pick<GatewayLogger, 'warn'>;
  signal: AbortSignal | undefined;
}

/**
 * An answer cut off after its first byte went, read and booked once for every writer that relays
 * one (the stream guard, raw audio): a client that left is `aborted` and owed nothing (undefined);
 * else the failure is booked `interrupted` and logged as `message` with `fields`, and returned for
 * the writer to end the client's answer with (an in-band error event, or an aborted transfer).
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
  logger.warn(message, {
    requestId: ctx.requestId,
    provider: ctx.provider,
    account: ctx.account,
    ...fields,
    error: (err as Error).message,
    ...(error.code ? { code: error.code } : {}),
    ...(error.detail ? { detail: error.detail } : {}),
  });
  return error;
}
