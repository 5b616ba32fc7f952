import type { GatewayError } from './errors';
import type { GatewayResponse } from './types';
import { json } from './body';

const TYPE: Record<GatewayError['kind'], string> = {
  invalid_request: 'invalid_request_error',
  authentication: 'invalid_request_error',
  permission: 'permission_error',
  not_found: 'invalid_request_error',
  method_not_allowed: 'invalid_request_error',
  request_too_large: 'invalid_request_error',
  rate_limit: 'rate_limit_error',
  upstream_error: 'api_error',
  upstream_unavailable: 'api_error',
  upstream_timeout: 'timeout_error',
  overloaded: 'server_error',
  internal: 'server_error',
};

/** The body OpenAI's API (and so its clients) use for errors. */
export function openAIErrorBody(err: GatewayError) {
  return { error: { message: err.message, type: TYPE[err.kind], param: err.param ?? null, code: err.code ?? null } };
}

export function openAIErrorResponse(err: GatewayError): GatewayResponse {
  return json(err.status, openAIErrorBody(err), err.headers);
}
