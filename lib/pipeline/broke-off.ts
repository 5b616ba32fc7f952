/**
 * An upstream answer whose reading failed: what the failure is to the client and how the books
 * keep it, in one place for every answer writer (streams relayed or translated, whole answers, raw audio).
 */
import { GatewayError } from '../http/errors';
import type { RequestContext } from './context';
import { whyAborted } from './signal';

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
