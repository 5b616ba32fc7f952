import { GatewayError } from './errors';

/**
 * The gateway's error for a stream its upstream ended (cleanly, at the HTTP level) before its last
 * event: kind `upstream_unavailable`, code `upstream_interrupted` (booked `interrupted` by
 * `failureOutcome`), the provider named by its config id where the writer knows it. The parsers'
 * `end`, the passthrough's check of a relayed stream, the encoders' own fallback and the stored
 * Responses replay word a cut with it, so the client and the log read the same words whatever
 * noticed the cut.
 *
 * @example
 * streamEndedError('claude-east').message // 'The upstream provider "claude-east" ended the stream before it was complete.'
 * streamEndedError(undefined).message     // 'The upstream provider ended the stream before it was complete.'
 */
export function streamEndedError(providerId: string | undefined): GatewayError {
  const named = providerId ? ` "${providerId}"` : '';
  return new GatewayError('upstream_unavailable', `The upstream provider${named} ended the stream before it was complete.`, { code: 'upstream_interrupted' });
}
