import type { SurfaceBinding } from './bindings';

/** How an SSE comment line (a keep-alive) starts. */
const COLON = 0x3a;
const DATA_LINE = Buffer.from('\ndata:');

/**
 * Whether a chunk sent to the client carries events an in-band error follows on from: a keep-alive
 * comment carries none. Only a chunk that opens with a comment is searched (a keep-alive is a few
 * bytes, every few seconds at most): an upstream may write a comment line before events in one chunk.
 */
export function carriesEvents(chunk: Uint8Array): boolean {
  return chunk[0] !== COLON || Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).includes(DATA_LINE);
}

/**
 * What a stream's in-band error follows on from: the last event the client got (`lastSent`, the
 * last chunk that `carriesEvents`), where the surface numbers its events (a Responses stream's);
 * else what the upstream's reading counted (`sent`). The client's count comes first: a guardrail's
 * screen may hold back events the upstream sent, and a translated stream's numbers are the
 * encoder's, which the stream guard cannot ask.
 *
 * @example
 * yield Buffer.from(binding.inBandError(error, followsOn(binding, lastSent, () => relay.findings())));
 */
export function followsOn(binding: Pick<SurfaceBinding, 'sequenceAfter'>, lastSent: Uint8Array | undefined, sent: () => { nextSequence?: number }): { nextSequence?: number } {
  const nextSequence = lastSent && binding.sequenceAfter?.(lastSent);
  return nextSequence === undefined ? sent() : { nextSequence };
}
