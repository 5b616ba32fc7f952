import type { GatewayError } from '../http/errors';

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
export function failureOutcome(error: Pick<GatewayError, 'kind' | 'code'> | undefined): 'interrupted' | 'upstream_error' {
  return error?.kind === 'upstream_unavailable' && error.code === 'upstream_interrupted' ? 'interrupted' : 'upstream_error';
}
