import type { GatewayError } from './errors';

/**
 * What a streamed response body throws, after its first byte, to have its door abort the
 * transfer: the client must see the response fail (no terminating chunk), not end. For bodies that
 * have no in-band error format to end with (raw audio): a clean end would pass half an answer off
 * as a whole one. Every other streamed body ends with an in-band error event and never throws.
 * `cause` is the failure as the gateway reads it; the books are closed before it is thrown.
 *
 * @example
 * throw new TransferAborted(readFailure(err, signal, 'its answer'));
 * // the local server destroys the socket; on Lambda the response stream ends in error
 */
export class TransferAborted extends Error {
  override readonly name = 'TransferAborted';

  constructor(override readonly cause: GatewayError) {
    super(`The transfer was aborted: ${cause.message}`);
  }
}
