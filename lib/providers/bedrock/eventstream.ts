import { EventStreamCodec, HeaderMarshaller } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';

/** One decoded `application/vnd.amazon.eventstream` message: its string headers and raw payload. */
export interface EventStreamMessage {
  headers: Record<string, string>;
  body: Uint8Array;
}

/**
 * The text of a header's name or string value, as `toUtf8` reads it: the codec's one use of its
 * decoder, six short strings a frame. `toUtf8` wraps each in a Buffer first; a TextDecoder reads
 * the view as it is (a frame's six: ~6.4 µs by `toUtf8`, ~1.7 by this, on the loaded 2-core
 * machine). The BOM is kept, as `toUtf8` keeps it.
 *
 * @example
 * headerText(fromUtf8(':event-type')) // ':event-type'
 */
export function headerText(bytes: Uint8Array): string {
  return HEADER_DECODER.decode(bytes);
}

const HEADER_DECODER = new TextDecoder('utf-8', { ignoreBOM: true });

/** A frame's total length and headers length (8 bytes) and the prelude CRC (4). */
const PRELUDE_BYTES = 12;
/** The smallest legal frame: prelude plus the message CRC. */
const MIN_FRAME_BYTES = 16;
/** The spec's limit for one message (16 MiB payload plus headers). */
const MAX_FRAME_BYTES = 16 * 1024 * 1024 + 128 * 1024;
/**
 * What is first set aside for a frame cut across reads, unless more has come: Bedrock's frames
 * (a delta, a chunk of Claude's stream) are well under it, so they are allocated once; a larger
 * one grows from it as its bytes come (`EventStreamFrames`).
 */
const FIRST_FRAME_BYTES = 64 * 1024;

/** The byte stream did not hold well-formed frames (bad length, bad CRC, or cut off mid-frame). */
export class EventStreamFormatError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EventStreamFormatError';
  }
}

/**
 * The messages of an event stream, in order, however the bytes were cut into chunks: a frame may
 * be split anywhere and one chunk may hold several frames. The codec checks both CRCs; framing by
 * the length prefix is ours because the codec decodes whole frames only.
 *
 * @example
 * for await (const message of decodeEventStream(response.body)) {
 *   if (message.headers[':message-type'] === 'event') handle(message.headers[':event-type'], message.body);
 * }
 */
export async function* decodeEventStream(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<EventStreamMessage> {
  const frames = new EventStreamFrames();
  // A loop, not `yield*`: an async generator's `yield*` over an array wraps it in an async iterator, promise hops a frame.
  for await (const chunk of chunks) for (const message of frames.take(chunk)) yield message;
  frames.end();
}

/**
 * The same decoding fed chunk by chunk, in step (for a reader that must decide as the bytes
 * arrive, as the answer's start scan does): each `take` gives the messages whose frames the chunk
 * completed, and keeps the bytes of the one it left open.
 *
 * @example
 * const frames = new EventStreamFrames();
 * frames.take(firstHalf);  // []
 * frames.take(secondHalf); // [{ headers: { ':message-type': 'exception', … }, body }]
 */
export class EventStreamFrames {
  readonly #codec = new EventStreamCodec(headerText, fromUtf8);
  /** The open frame's length prefix, while its bytes are fewer than 4. */
  readonly #prefix = Buffer.alloc(4);
  /**
   * The open frame once its prefix is whole, filled as its bytes come and held in one buffer (a
   * list of the pieces cost ~120 bytes a piece: ~120 MiB for a 1 MiB frame read a byte at a time).
   * Not allocated at the length the prefix gives, as the SDK's own `getChunkedStream` does: an
   * upstream may claim 16 MiB and stall, and the gateway would hold 16 MiB a stream for 4 bytes.
   * It starts at what has come or `FIRST_FRAME_BYTES` and doubles as bytes come, capped at the
   * frame's length (`nextFrameSize`): the copying at most ~3 times the frame's bytes however many
   * reads bring it (linear still), and a frame under `FIRST_FRAME_BYTES` (Bedrock's are) allocated
   * once, as before. A larger one costs about twice the fresh memory: a 1 MiB frame in 16 KiB
   * reads ~0.9–1.7 ms, ~0.6–1.2 allocated at its length (on the loaded 2-core machine).
   */
  #frame: Buffer | undefined;
  /** The open frame's length, from its prefix, once the prefix is whole. */
  #length = 0;
  /** How many bytes of the open frame are held (in `#prefix`, then in `#frame`). */
  #held = 0;

  /**
   * The bytes set aside for the open frame (its prefix's 4, then its buffer's size): they follow
   * the bytes received, never more than twice them past a first 64 KiB, not the length the
   * prefix claims (up to 16 MiB), which an upstream may send and then stall.
   */
  get reservedBytes(): number {
    return this.#frame?.byteLength ?? (this.#held > 0 ? 4 : 0);
  }

  /** The messages whose frames `chunk` completed; throws `EventStreamFormatError` on a broken frame. */
  take(chunk: Uint8Array): EventStreamMessage[] {
    return this.frames(chunk).map((frame) => decodeFrame(this.#codec, frame));
  }

  /**
   * The whole frames `chunk` completed, in order, not decoded (for a reader that decodes only those
   * it must, `decode`); throws `EventStreamFormatError` on a frame with an impossible length, as
   * soon as its 4-byte prefix is whole. A frame whole in `chunk` is a view of it; the bytes kept
   * for the next call are copied, so the caller may reuse `chunk` once it is done with the frames.
   */
  frames(chunk: Uint8Array): Uint8Array[] {
    const frames: Uint8Array[] = [];
    let offset = this.#held > 0 ? this.#fill(chunk, frames) : 0;
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    while (chunk.byteLength - offset >= 4) {
      const length = checkedLength(view.getUint32(offset, false));
      if (chunk.byteLength - offset < length) break;
      frames.push(chunk.subarray(offset, offset + length));
      offset += length;
    }
    // A copy, not a view (`Buffer#slice` is one): the caller may reuse its buffer after the call,
    // and the few bytes held must not keep a large read alive.
    if (offset < chunk.byteLength) this.#fill(chunk.subarray(offset), frames);
    return frames;
  }

  /** One whole frame (from `frames`), its CRCs checked; throws `EventStreamFormatError` when it is broken. */
  decode(frame: Uint8Array): EventStreamMessage {
    return decodeFrame(this.#codec, frame);
  }

  /** The stream ended: throws when it ended inside a frame. */
  end(): void {
    if (this.#held > 0) throw new EventStreamFormatError(`event stream ended inside a frame (${this.#held} bytes left over)`);
  }

  /** Copies from the start of `chunk` what the open frame lacks, and pushes the frame onto `frames` when that completes it; how many bytes it took. */
  #fill(chunk: Uint8Array, frames: Uint8Array[]): number {
    let taken = 0;
    if (this.#frame === undefined) {
      // To the prefix's end first: its length is checked before a frame is allocated at it.
      taken = Math.min(4 - this.#held, chunk.byteLength);
      this.#prefix.set(chunk.subarray(0, taken), this.#held);
      this.#held += taken;
      if (this.#held < 4) return taken;
      this.#length = checkedLength(this.#prefix.readUInt32BE(0));
      this.#frame = Buffer.allocUnsafe(Math.min(this.#length, Math.max(FIRST_FRAME_BYTES, 4 + chunk.byteLength - taken)));
      this.#prefix.copy(this.#frame);
    }
    const rest = Math.min(this.#length - this.#held, chunk.byteLength - taken);
    if (this.#held + rest > this.#frame.byteLength) this.#frame = grown(this.#frame, this.#held, nextFrameSize(this.#frame.byteLength, this.#held + rest, this.#length));
    this.#frame.set(chunk.subarray(taken, taken + rest), this.#held);
    this.#held += rest;
    if (this.#held === this.#length) {
      frames.push(this.#frame);
      this.#frame = undefined;
      this.#held = 0;
    }
    return taken + rest;
  }
}

/**
 * The size an open frame's buffer of `size` bytes grows to, to hold the `received` bytes that
 * have come of its `length`: double, or what has come if more; the frame's length once that is
 * at most twice what has come, so that a frame is not grown to just short of its length and
 * again to it (a 1 MiB frame: 64, 128, 256 and 512 KiB, then its length). Never more than twice
 * what has come, so what is held follows the bytes, not the length claimed.
 *
 * @example
 * nextFrameSize(64 * 1024, 80 * 1024, 1024 * 1024)  // 131072 (doubled)
 * nextFrameSize(512 * 1024, 528 * 1024, 1024 * 1024) // 1048576 (its length)
 */
export function nextFrameSize(size: number, received: number, length: number): number {
  return length <= 2 * received ? length : Math.max(2 * size, received);
}

/** `frame`'s first `held` bytes in a new buffer of `size` bytes. */
function grown(frame: Buffer, held: number, size: number): Buffer {
  const bigger = Buffer.allocUnsafe(size);
  frame.copy(bigger, 0, 0, held);
  return bigger;
}

/** A frame's length prefix, or `EventStreamFormatError` when no frame can be that long or short. */
function checkedLength(length: number): number {
  if (length < MIN_FRAME_BYTES || length > MAX_FRAME_BYTES) throw new EventStreamFormatError(`event-stream frame with an impossible length (${length} bytes)`);
  return length;
}

function decodeFrame(codec: EventStreamCodec, frame: Uint8Array): EventStreamMessage {
  if (frame.byteLength < PRELUDE_BYTES) throw new EventStreamFormatError('event-stream frame shorter than its prelude');
  let decoded;
  try {
    decoded = codec.decode(frame);
  } catch (err) {
    throw new EventStreamFormatError(`malformed event-stream frame: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const headers: Record<string, string> = {};
  // The codec's headers are a plain object of its own making: `for…in` walks its own keys without Object.entries' arrays.
  for (const name in decoded.headers) headers[name] = String(decoded.headers[name]!.value);
  return { headers, body: decoded.body };
}

/**
 * Whether a message comes before an answer without being any of it, so that an exception may
 * still follow it in place of the answer: ConverseStream's `messageStart` (the role, before the
 * model has written anything), InvokeModelWithResponseStream's `chunk` carrying Anthropic's
 * `message_start` or `ping` (the same rule as Anthropic's own stream, `SseStartScan`), and any
 * message both relays skip, as nothing of it reaches the client: a `chunk` with no Claude event
 * (`anthropicChunkEvent`: no bytes, no type, a type no `event:` line can carry), an event of a
 * type neither reads (one Bedrock adds later), a message of a kind that is neither an event nor
 * a failure. Converse's answer events (`CONVERSE_ANSWER_EVENTS`), Claude's other events, an
 * exception and a chunk that is no JSON (its reader reports it broken) are no opening.
 *
 * @example
 * isOpeningMessage({ headers: { ':message-type': 'event', ':event-type': 'messageStart' }, body }) // true
 * isOpeningMessage({ headers: { ':message-type': 'event', ':event-type': 'contentBlockDelta' }, body }) // false
 */
export function isOpeningMessage(message: EventStreamMessage): boolean {
  const kind = message.headers[':message-type'];
  // A message without a kind is no message of Bedrock's: it starts the answer, for its reader to report (the scan checks no CRC).
  if (kind !== 'event') return kind !== undefined && kind !== 'exception' && kind !== 'error';
  const type = message.headers[':event-type'];
  if (type === 'chunk') return isOpeningChunk(message.body);
  return type === undefined || !CONVERSE_ANSWER_EVENTS.has(type);
}

/**
 * ConverseStream's events: the one list of them. Its relay reads each (`parseConverseStream`,
 * whose `switch` the compiler holds to exactly these), and the start scan takes all but
 * `messageStart` for the answer (`CONVERSE_ANSWER_EVENTS`), so an event added here is read by
 * both, not held by the scan until its bound.
 */
export const CONVERSE_EVENTS = ['messageStart', 'contentBlockStart', 'contentBlockDelta', 'contentBlockStop', 'messageStop', 'metadata'] as const;

/** One of ConverseStream's events (`CONVERSE_EVENTS`). */
export type ConverseEvent = (typeof CONVERSE_EVENTS)[number];

/**
 * Whether an `:event-type` is one of ConverseStream's events (`CONVERSE_EVENTS`).
 *
 * @example
 * isConverseEvent('contentBlockDelta') // true
 * isConverseEvent('futureEvent')       // false
 */
export function isConverseEvent(type: string | undefined): type is ConverseEvent {
  return type !== undefined && CONVERSE_EVENT_SET.has(type);
}

// Asked of every frame of every Converse answer: a set's lookup, not a walk of the list.
const CONVERSE_EVENT_SET: ReadonlySet<string> = new Set(CONVERSE_EVENTS);

/** ConverseStream's events that carry the answer: all it has but `messageStart`, which only names the role. */
const CONVERSE_ANSWER_EVENTS: ReadonlySet<string> = new Set(CONVERSE_EVENTS.filter((type) => type !== 'messageStart'));

/** A `chunk` before the answer: Anthropic's `message_start` or `ping`, or none the relay passes on; a chunk that is no JSON starts it, for its reader to report. */
function isOpeningChunk(body: Uint8Array): boolean {
  let event: AnthropicChunkEvent | undefined;
  try {
    event = anthropicChunkEvent(body);
  } catch {
    return false;
  }
  return event === undefined || event.type === 'message_start' || event.type === 'ping';
}

/**
 * `isOpeningMessage` of one whole frame (from `EventStreamFrames.frames`), its headers read by the
 * codec's own header parser without the CRCs: the start scan asks it of every Bedrock answer's
 * opening frame, which its reader then decodes again, CRCs and all, and reports if broken. A frame
 * whose headers cannot be read is no opening: it starts the answer, for its reader to report.
 *
 * @example
 * isOpeningFrame(messageStartFrame)      // true
 * isOpeningFrame(throttlingExceptionFrame) // false
 */
export function isOpeningFrame(frame: Uint8Array): boolean {
  if (frame.byteLength < MIN_FRAME_BYTES) return false;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const headersEnd = PRELUDE_BYTES + view.getUint32(4, false);
  if (headersEnd > frame.byteLength - 4) return false;
  let parsed;
  try {
    parsed = HEADERS.parse(new DataView(frame.buffer, frame.byteOffset + PRELUDE_BYTES, headersEnd - PRELUDE_BYTES));
  } catch {
    return false;
  }
  const headers: Record<string, string> = {};
  for (const [name, header] of Object.entries(parsed)) headers[name] = String(header.value);
  return isOpeningMessage({ headers, body: frame.subarray(headersEnd, frame.byteLength - 4) });
}

const HEADERS = new HeaderMarshaller(headerText, fromUtf8);

/**
 * What the headers of a frame that is never an opening one hold, as bytes: Converse's answer event
 * types (`CONVERSE_ANSWER_EVENTS`, made from that list so the two cannot drift), and an exception's
 * or an error message's mark (`exception`, `:error-code`).
 */
const NEVER_OPENING = [...CONVERSE_ANSWER_EVENTS, 'exception', ':error-code'].map((mark) => Buffer.from(mark));

/**
 * Whether a whole frame may be an opening one (`isOpeningMessage`), by a search of its headers'
 * bytes for the event types of Converse's answer and the marks of a failure (`NEVER_OPENING`): a
 * frame naming one is none, and need not be decoded to say so (the codec's header decoding costs
 * ~3 µs a frame). Any other (a `chunk`, `messageStart`, an event type Bedrock adds) is decoded to
 * know; so is a frame too short to hold its headers.
 *
 * @example
 * mayBeOpening(contentBlockDeltaFrame) // false
 * mayBeOpening(messageStartFrame)      // true (decode it to know)
 */
export function mayBeOpening(frame: Uint8Array): boolean {
  if (frame.byteLength < PRELUDE_BYTES) return true;
  const headersLength = new DataView(frame.buffer, frame.byteOffset, PRELUDE_BYTES).getUint32(4, false);
  if (PRELUDE_BYTES + headersLength > frame.byteLength) return true;
  const headers = Buffer.from(frame.buffer, frame.byteOffset + PRELUDE_BYTES, headersLength);
  return !NEVER_OPENING.some((type) => headers.includes(type));
}

/** An Anthropic stream event read from a `chunk` message: its JSON text as sent, its `type`, and the object it parses to. */
export interface AnthropicChunkEvent {
  json: string;
  type: string;
  event: Record<string, unknown>;
}

/**
 * The Anthropic event a `chunk` message carries (`{"bytes":"<base64 of the event's JSON>"}`): its
 * JSON text, its `type` and the parsed event (parsed once here, so the stream's meter need not
 * parse it again). Undefined when the message has no `bytes` or the event no `type` (JSON that is
 * no object, `null` included, has neither) or one that cannot be an event name (`CLAUDE_EVENT_TYPE`):
 * no Claude event, which the relay skips and the start scan looks past;
 * throws the `SyntaxError` of a payload or an event that is not JSON (a broken stream, which
 * `bedrockAnthropicStreamToSse` reports). The one reader of both Claude's stream and its start
 * scan (`isOpeningMessage`).
 *
 * @example
 * anthropicChunkEvent(chunkMessage.body) // { json: '{"type":"message_start","message":{…}}', type: 'message_start', event: { type: 'message_start', message: {…} } }
 */
export function anthropicChunkEvent(body: Uint8Array): AnthropicChunkEvent | undefined {
  const bytes = chunkPayloadBytes(body);
  if (bytes === undefined) return undefined;
  const json = Buffer.from(bytes, 'base64').toString('utf8');
  // The whole event is parsed, not only its type read: an event that is no JSON must end the stream as broken, not reach the client.
  const event = JSON.parse(json) as unknown;
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return undefined;
  const { type } = event as { type?: unknown };
  return typeof type === 'string' && CLAUDE_EVENT_TYPE.test(type) ? { json, type, event: event as Record<string, unknown> } : undefined;
}

/**
 * What a chunk's `type` must be to be written as its `event:` line: Claude's types are lowercase
 * words joined by `_`, and any printable ASCII but the space is allowed, so a type Anthropic adds
 * later still passes. A line break (CR, LF; JSON carries them escaped in a string) would end the
 * line, and the client would read another event name (`error`, with Claude's words unrewritten)
 * and a stray field; other controls and Unicode's line separators end a line for clients that
 * split lines as Python's `str.splitlines` does (httpx's), so they are refused too.
 */
const CLAUDE_EVENT_TYPE = /^[!-~]+$/;

/**
 * The runs of base64 that `text` becomes wherever it stands in what is encoded, one for each of
 * its three alignments (its offset mod 3): only the characters whose six bits all come from
 * `text`, so the same run whatever stands before and after it. A search of a `chunk`'s base64 for
 * these finds `text` in the Claude event it carries without decoding it; a run is 4/3 of `text`'s
 * length, less up to two characters, so it tells `text`'s first and last bytes in part only (a
 * search for `"error"` tells it from `\"error\"`, which JSON writes for quoted text, by the
 * bits of its closing quote that each run holds).
 *
 * @example
 * base64Forms('"error"') // ['ImVycm9yI', 'JlcnJvci', 'iZXJyb3Ii']
 */
export function base64Forms(text: string): string[] {
  const bytes = Buffer.from(text, 'utf8');
  return [0, 1, 2].map((offset) => {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes, Buffer.alloc(2)]).toString('base64');
    // Character k holds bits 6k to 6k+6 of the encoded bytes; `text` holds bits 8·offset to 8·(offset+length).
    return encoded.slice(Math.ceil((8 * offset) / 6), Math.floor((8 * (offset + bytes.length)) / 6));
  });
}

/**
 * A `chunk` payload as Bedrock writes it, `{"bytes":"<base64>"}` or with its padding after,
 * `{"bytes":"<base64>","p":"<letters and digits>"}`: the base64 is read without parsing the
 * JSON around it. Anything else goes to `JSON.parse`.
 */
const PLAIN_CHUNK_PAYLOAD = /^\{"bytes":"([A-Za-z0-9+/=]*)"(?:,"p":"[A-Za-z0-9]*")?\}$/;

/**
 * The base64 text of a `chunk` payload's `bytes`, undefined when it has none (or not a string);
 * throws the `SyntaxError` of a payload that is not JSON.
 *
 * @example
 * chunkPayloadBytes(fromUtf8('{"bytes":"eyJ0eXBlIjoicGluZyJ9","p":"abc"}')) // 'eyJ0eXBlIjoicGluZyJ9'
 * chunkPayloadBytes(fromUtf8('{"p":"abc"}'))                                // undefined
 */
export function chunkPayloadBytes(body: Uint8Array): string | undefined {
  // latin1, one character a byte: a payload with any byte past ASCII fails the pattern and is read as UTF-8 JSON below.
  const plain = PLAIN_CHUNK_PAYLOAD.exec(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1'));
  if (plain) return plain[1];
  // `null` is JSON too: read as a payload without bytes (an event without a type), not destructured into a TypeError.
  const bytes = (JSON.parse(toUtf8(body)) as { bytes?: unknown } | null)?.bytes;
  return typeof bytes === 'string' ? bytes : undefined;
}
