import { ANTHROPIC_MESSAGES, GEMINI } from '../pipeline/bindings';
import { bindingByCaller, type CallerMarks } from '../pipeline/caller-binding';
import { geminiPath } from '../surfaces/gemini/route';
import { asGatewayError } from './errors';
import type { GatewayResponse } from './types';

/**
 * What a door answers when the gateway (or the admin API) itself threw, which their contract says
 * they never do: the gateway's own 500 for an unknown error (a message that reveals nothing), with
 * the request id the log line carries, in the caller's dialect, so that its SDK raises its own
 * server error with the message. The door knows no routes: it places the caller by the marks the
 * gateway uses where no route does (`bindingByCaller`), by Anthropic's paths, whose clients need
 * not send anthropic-version, and by Gemini's model paths (`geminiPath`), whose callers need not
 * send Gemini's key header.
 *
 * @example
 * doorInternalError('req-1', { path: '/v1/messages', headers: {}, query })
 * // 500 {"type":"error","error":{"type":"api_error","message":"The gateway failed to handle this request."}}
 */
export function doorInternalError(requestId: string, caller: CallerMarks): GatewayResponse {
  const binding = isAnthropicPath(caller.path) ? ANTHROPIC_MESSAGES : isGeminiMethodPath(caller.path) ? GEMINI : bindingByCaller(caller);
  const res = binding.errorResponse(asGatewayError(undefined));
  res.headers['x-request-id'] = requestId;
  return res;
}

/** `/v1/messages` and `/v1/messages/count_tokens`, with or without `/v1` (clients configured with a base URL without it). */
const isAnthropicPath = (path: string) => /^(?:\/v1)?\/messages(?:\/|$)/.test(path);

/** A path the gateway routes as Gemini's whatever the caller's headers: `/v1beta/models/{model}`, and `…/models/{model}:{method}` under `/v1beta/` or `/v1/`. */
const isGeminiMethodPath = (path: string) => geminiPath(path) !== undefined;
