import type { StreamSent, SurfaceBinding } from './bindings';

/** How an SSE comment line (a keep-alive) starts. */
const COLON = 0x3a;
const DATA_LINE = Buffer.from('\ndata:');
/** What ends an SSE event: a blank line, however the lines end. */
const EVENT_ENDS = ['\n\n', '\r\r', '\r\n\r\n'].map((end) => Buffer.from(end));

/**
 * Whether a chunk sent to the client carries events an in-band error follows on from: a keep-alive
 * comment carries none. Only a chunk that opens with a comment is searched (a keep-alive is a few
 * bytes, every few seconds at most): an upstream may write a comment line before events in one chunk.
 */
export function carriesEvents(chunk: Uint8Array): boolean {
  return chunk[0] !== COLON || Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).includes(DATA_LINE);
}

/**
 * What of a stream the client got that its in-band error follows on from, kept as the chunks go
 * out and read only if the stream fails: the last chunk that `carriesEvents`, and the chunks up to
 * the end of its first event (a Responses stream's `response.created`, which a `response.failed`
 * repeats). Keep-alive comments are neither.
 *
 * @example
 * const sent = new SentEvents();
 * for await (const chunk of source) { sent.see(chunk); yield chunk; }
 */
export class SentEvents {
  #opening: Uint8Array[] = [];
  #opened = false;
  last: Uint8Array | undefined;

  see(chunk: Uint8Array): void {
    if (!carriesEvents(chunk)) return;
    this.last = chunk;
    if (this.#opened) return;
    this.#opening.push(chunk);
    // Searched only until the first event ends: one chunk, nearly always.
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.#opened = EVENT_ENDS.some((end) => bytes.includes(end));
  }

  /** The bytes the stream opened with, its first event whole where it has ended. */
  get opening(): Uint8Array | undefined {
    return this.#opening.length === 0 ? undefined : Buffer.concat(this.#opening);
  }
}

/**
 * What a stream's in-band error follows on from: the last event the client got (`sent.last`),
 * where the surface numbers its events (a Responses stream's); else what the upstream's reading
 * counted (`counted`). The client's count comes first: a guardrail's screen may hold back events
 * the upstream sent, and a translated stream's numbers are the encoder's, which the stream guard
 * cannot ask. Where the surface names the response a stream opened with, that too, as the client
 * got it.
 *
 * @example
 * yield Buffer.from(binding.inBandError(error, followsOn(binding, sent, () => relay.findings())));
 */
export function followsOn(binding: Pick<SurfaceBinding, 'sequenceAfter' | 'openingResponse'>, sent: SentEvents | undefined, counted: () => { nextSequence?: number }): StreamSent {
  const nextSequence = sent?.last && binding.sequenceAfter?.(sent.last);
  const opening = binding.openingResponse && sent?.opening;
  const response = opening ? binding.openingResponse?.(opening) : undefined;
  const next = nextSequence === undefined ? counted() : { nextSequence };
  return response ? { ...next, response } : next;
}
