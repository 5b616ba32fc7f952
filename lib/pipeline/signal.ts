import { GatewayError } from '../http/errors';
import type { GatewayRequest } from '../http/types';

/** Marks the abort reason of a passed deadline, to tell it from a client that left. */
class DeadlineReached extends Error {
  override name = 'DeadlineReached';
}

/**
 * One signal for the upstream call: the client went away (where the door can see it) or the
 * request's deadline passed (Lambda's remaining time). Undefined when there is neither.
 */
export function requestSignal(req: GatewayRequest, now: () => number): AbortSignal | undefined {
  const signals: AbortSignal[] = [];
  if (req.signal) signals.push(req.signal);
  if (req.deadline !== undefined) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DeadlineReached('deadline')), Math.max(0, req.deadline - now()));
    // The timer must not keep a local process alive, nor outlive a finished request by much.
    timer.unref();
    signals.push(controller.signal);
  }
  if (signals.length === 0) return undefined;
  return signals.length === 1 ? signals[0] : AbortSignal.any(signals);
}

/** Whether the abort came from the client leaving (rather than the deadline). */
export function clientGone(signal: AbortSignal | undefined): boolean {
  return !!signal?.aborted && !(signal.reason instanceof DeadlineReached);
}

/** The error to report for an aborted request. */
export function whyAborted(signal: AbortSignal): GatewayError {
  if (signal.reason instanceof DeadlineReached) {
    return new GatewayError('upstream_timeout', 'The request ran out of time before the upstream provider finished.', { code: 'deadline_exceeded' });
  }
  return new GatewayError('invalid_request', 'The client closed the connection.', { status: 499, code: 'client_closed_request' });
}
