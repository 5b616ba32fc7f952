import type { CallerMarks } from '../pipeline/caller-binding';
import { answeringBinding } from '../pipeline/route-binding';
import { asGatewayError } from './errors';
import type { GatewayResponse } from './types';

/**
 * What a door answers when the gateway (or the admin API) itself threw, which their contract says
 * they never do: the gateway's own 500 for an unknown error (a message that reveals nothing), with
 * the request id the log line carries, in the caller's dialect, so that its SDK raises its own
 * server error with the message. The dialect is the one the gateway answers the request in
 * (`answeringBinding`): its route's, found as the gateway finds it, else the caller's marks. It
 * needs no gateway: a door whose gateway cannot even be built (a config that fails at cold start)
 * answers it too.
 *
 * @example
 * doorInternalError('req-1', { path: '/v1/messages', headers: {}, query })
 * // 500 {"type":"error","error":{"type":"api_error","message":"The gateway failed to handle this request."}}
 */
export function doorInternalError(requestId: string, caller: CallerMarks): GatewayResponse {
  const res = answeringBinding(caller).errorResponse(asGatewayError(undefined));
  res.headers['x-request-id'] = requestId;
  return res;
}

