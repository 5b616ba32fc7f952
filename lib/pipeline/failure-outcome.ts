import type { GatewayError } from '../http/errors';
import type { RequestContext } from './context';

/**
 * How the books name a stream's in-band failure: a stream the upstream cut is `interrupted`, every
 * other failure the upstream's (`upstream_error`). A cut is the gateway's own error, kind
 * `upstream_unavailable` and code `upstream_interrupted` (the parsers' `end`, `streamEndedError`,
 * `readFailure`); no reader of an upstream's error gives that kind (`upstreamErrorKind`), so an
 * upstream's in-band error that carries the code (another aigw's cut, relayed) stays the upstream's.
 *
 * @example
 * failureOutcome(streamEndedError('aws'))                                              // 'interrupted'
 * failureOutcome(errorFromOpenAIEvent({ code: 'upstream_interrupted' }, 'oai'))         // 'upstream_error'
 */
export function failureOutcome(error: Pick<GatewayError, 'kind' | 'code'>): 'interrupted' | 'upstream_error' {
  return error.kind === 'upstream_unavailable' && error.code === 'upstream_interrupted' ? 'interrupted' : 'upstream_error';
}

/**
 * Books a stream's in-band failure (`StreamFindings.failure`, a translated stream's `error` event):
 * its outcome (`failureOutcome`), its code and its log-only `detail`. The failure that ended the
 * stream is the one the record names: no code or detail of an earlier one is left beside it.
 *
 * @example
 * bookFailure(ctx, errorFromAnthropicEvent('{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}', 'claude'))
 * // ctx: { outcome: 'upstream_error', errorCode: 'overloaded_error' }
 */
export function bookFailure(ctx: Pick<RequestContext, 'outcome' | 'errorCode' | 'errorDetail'>, failure: GatewayError): void {
  ctx.outcome = failureOutcome(failure);
  ctx.errorCode = failure.code;
  ctx.errorDetail = failure.detail;
}
