import { asGatewayError } from './errors';
import { openAIErrorResponse } from './openai-error';
import type { GatewayResponse } from './types';

/**
 * What a door answers when the gateway (or the admin API) itself threw, which their contract says
 * they never do: the gateway's own 500 for an unknown error (OpenAI's shape, a message that
 * reveals nothing), with the request id the log line carries. The door cannot tell the caller's
 * dialect; OpenAI's shape is what the gateway answers a caller it cannot place.
 *
 * @example
 * doorInternalError('req-1')
 * // 500 {"error":{"message":"The gateway failed to handle this request.","type":"server_error","param":null,"code":null}}
 */
export function doorInternalError(requestId: string): GatewayResponse {
  const res = openAIErrorResponse(asGatewayError(undefined));
  res.headers['x-request-id'] = requestId;
  return res;
}
