import { StringDecoder } from 'node:string_decoder';
import { createParser, type EventSourceParser } from 'eventsource-parser';
import type { StreamSent, SurfaceBinding } from './bindings';

/** How an SSE comment line (a keep-alive) starts. */
const COLON = 0x3a;
const LF = 0x0a;
const CR = 0x0d;
const DATA_LINE = Buffer.from('\ndata:');
/** What ends an SSE event: a blank line, however the lines end. */
const EVENT_ENDS = ['\n\n', '\r\n\r\n', '\r\r'].map((end) => Buffer.from(end));

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
 * repeats). A keep-alive comment is never the last; before the first event it is part of the
 * opening, as the client got it. Past the first event a chunk costs a reference and no parse.
 *
 * @example
 * const sent = new SentEvents();
 * for await (const chunk of source) { sent.see(chunk); yield chunk; }
 */
export class SentEvents {
  #opening: Uint8Array[] = [];
  /** Reads the chunks until the first event has ended; dropped then, so later chunks cost no parse. */
  #reader: { parser: EventSourceParser; decoder: StringDecoder } | undefined;
  #opened = false;
  last: Uint8Array | undefined;

  see(chunk: Uint8Array): void {
    if (!this.#opened) this.#open(chunk);
    if (carriesEvents(chunk)) this.last = chunk;
  }

  /**
   * Keeps `chunk` as part of the opening until an SSE parser has read the first event whole: an
   * upstream's chunks fall where its socket reads do, so the blank line that ends the event may
   * be cut in two, and a comment's blank line before it ends nothing. The bytes are read again
   * (`openingResponse`) only if the stream fails.
   */
  #open(chunk: Uint8Array): void {
    this.#opening.push(chunk);
    // The common case read without a parser: every stream's first chunk goes through here.
    if (this.#opening.length === 1 && opensWithWholeEvent(chunk)) {
      this.#opened = true;
      return;
    }
    this.#reader ??= { parser: createParser({ onEvent: () => void (this.#opened = true) }), decoder: new StringDecoder('utf8') };
    this.#reader.parser.feed(this.#reader.decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
    if (this.#opened) this.#reader = undefined;
  }

  /** The bytes the stream opened with, its first event whole where it has ended. */
  get opening(): Uint8Array | undefined {
    return this.#opening.length === 0 ? undefined : Buffer.concat(this.#opening);
  }
}

/**
 * Whether a stream's first chunk holds its first event whole, as a stream's first chunk nearly
 * always does: it opens with a field line (not a comment, whose blank line ends no event) and has a
 * blank line, which ends the event that line began (JSON data holds no raw line break).
 */
function opensWithWholeEvent(chunk: Uint8Array): boolean {
  const first = chunk[0];
  if (first === undefined || first === COLON || first === LF || first === CR) return false;
  const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return EVENT_ENDS.some((end) => bytes.includes(end));
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
