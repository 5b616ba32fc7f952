import { GatewayError } from '../http/errors';
import type { GatewayRequest } from '../http/types';

/**
 * A deadline's abort reason: AbortSignal.timeout() aborts with a DOMException named TimeoutError
 * (checked by name: the DOMException class differs between realms, jest's among them).
 */
const isDeadline = (reason: unknown) => typeof reason === 'object' && reason !== null && (reason as { name?: unknown }).name === 'TimeoutError';

/**
 * One signal for the upstream call: the client went away (where the door can see it) or the
 * request's deadline passed (Lambda's remaining time). Undefined when there is neither.
 */
export function requestSignal(req: GatewayRequest, now: () => number): AbortSignal | undefined {
  const signals: AbortSignal[] = [];
  if (req.signal) signals.push(req.signal);
  // AbortSignal.timeout's timer neither keeps the process alive nor outlives a collected signal.
  if (req.deadline !== undefined) signals.push(AbortSignal.timeout(Math.max(0, req.deadline - now())));
  if (signals.length === 0) return undefined;
  return signals.length === 1 ? signals[0] : AbortSignal.any(signals);
}

/** Whether the abort came from the client leaving (rather than the deadline). */
export function clientGone(signal: AbortSignal | undefined): boolean {
  return !!signal?.aborted && !isDeadline(signal.reason);
}

/** The error to report for an aborted request. */
export function whyAborted(signal: AbortSignal): GatewayError {
  if (isDeadline(signal.reason)) {
    return new GatewayError('upstream_timeout', 'The request ran out of time before the upstream provider finished.', { code: 'deadline_exceeded' });
  }
  return new GatewayError('invalid_request', 'The client closed the connection.', { status: 499, code: 'client_closed_request' });
}
