import { GatewayError } from '../http/errors';

/**
 * How the bytes of a streamed upstream answer divide into events, for the bound on one event:
 * `sse` ends each event with a blank line; `event-stream` is Bedrock's binary frames, each
 * announcing its length in its first four bytes. (Gemini's JSON array is bounded by its own
 * splitter, `JsonArraySplitter`, which already walks every byte to find its elements' ends.)
 */
export type UpstreamFraming = 'sse' | 'event-stream';

/** The most the gateway holds of one upstream answer while reading it. */
export interface UpstreamLimits {
  /** One event of a stream (an SSE event, an array element, an event-stream frame). */
  eventBytes: number;
  /** A whole (not streamed) answer, error answers included. */
  answerBytes: number;
}

/** 32 MiB: the largest legitimate event seen is a streamed image's partial (a few MB of base64). */
export const DEFAULT_UPSTREAM_EVENT_BYTES = 32 * 1024 * 1024;

/**
 * A whole answer may be eight times the bound on one event (256 MiB by default): a legal one is
 * larger than any event, 2 048 embeddings of 3 072 floats as OpenAI writes them are ~135 MiB,
 * and 256 MiB is past what a Lambda can stream back at all (200 MB), so it refuses none that could reach the client.
 */
export function upstreamLimits(eventBytes: number = DEFAULT_UPSTREAM_EVENT_BYTES): UpstreamLimits {
  return { eventBytes, answerBytes: 8 * eventBytes };
}

/**
 * The error a stream ends with when one upstream event outgrows the bound: the client gets it
 * in-band (a 502 before the first byte); its detail, for the log only, says how far it got.
 */
export function eventTooLarge(limit: number, what = 'event'): GatewayError {
  return new GatewayError('upstream_unavailable', 'The upstream provider sent a stream event larger than the gateway accepts.', {
    code: 'upstream_event_too_large',
    detail: `one ${what} passed ${limit} bytes (limits.maxUpstreamEventBytes)`,
  });
}

/**
 * The error of a whole answer that outgrows the bound: a 502 in the client's error shape, with no
 * failover nor rest (the request made the answer that large, `tryTargets`); raw audio relayed past
 * it has its transfer aborted.
 */
export function answerTooLarge(limit: number): GatewayError {
  return new GatewayError('upstream_unavailable', 'The upstream provider sent an answer larger than the gateway accepts.', {
    code: 'upstream_answer_too_large',
    detail: `the answer passed ${limit} bytes (eight times limits.maxUpstreamEventBytes)`,
  });
}

/** Counts the bytes of the event in progress, chunk by chunk, as they arrive. */
export interface EventBound {
  /** False once the event in progress holds more than the bound (the chunk is not to be kept). */
  take(chunk: Uint8Array): boolean;
  /** The refusal to end the stream with. */
  readonly error: () => GatewayError;
}

/**
 * The bound on one event of a stream of the given framing.
 *
 * @example
 * const bound = eventBound('sse', 1024);
 * bound.take(Buffer.from('data: {}\n\n')); // true: the event ended
 * bound.take(Buffer.alloc(2048, 0x61));    // false: 2 KiB and no blank line yet
 */
export function eventBound(framing: UpstreamFraming, limit: number): EventBound {
  return framing === 'sse' ? new SseBound(limit) : new FrameBound(limit);
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * SSE: the bytes since the last blank line, as the relays that hold an event back until its end
 * find them (`InBandErrorGuard`): `\n\n`, `\r\r`, and `\n\r\n` (which ends `\r\n\r\n`). A lone CR
 * after a line end is a blank line to the spec but no boundary to them: counted on, or an upstream
 * ending its events so would have them hold without bound. Upstreams write whole events, so a
 * chunk nearly always ends with one and the look back from its end stops at once; only a chunk
 * cut inside an event is looked through, back to its last blank line.
 */
class SseBound implements EventBound {
  #open = 0;
  // The stream's last two bytes before this chunk (newest first): a blank line may straddle chunks.
  #last = -1;
  #beforeLast = -1;

  constructor(readonly limit: number) {}

  take(chunk: Uint8Array): boolean {
    const n = chunk.length;
    if (n === 0) return true;
    const end = lastBlankLineEnd(chunk, this.#last, this.#beforeLast);
    this.#beforeLast = n > 1 ? chunk[n - 2]! : this.#last;
    this.#last = chunk[n - 1]!;
    this.#open = end < 0 ? this.#open + n : n - end;
    return this.#open <= this.limit;
  }

  readonly error = () => eventTooLarge(this.limit);
}

/** Whether the byte at `i` ends a blank line: `\n\n`, `\r\r` or `\n\r\n` end there (`last`, `beforeLast`: the bytes before the chunk). */
function endsBlankLine(chunk: Uint8Array, i: number, last: number, beforeLast: number): boolean {
  const b = chunk[i]!;
  const before = i > 0 ? chunk[i - 1]! : last;
  if (b === CR) return before === CR;
  if (b !== LF) return false;
  if (before === LF) return true;
  return before === CR && (i > 1 ? chunk[i - 2]! : i === 1 ? last : beforeLast) === LF;
}

/**
 * Just past the chunk's last blank line, or -1. The last four bytes are looked at one by one
 * (where a whole event's chunk has it); before them the line ends are found by the runtime's
 * native search, which passes over the text of an event cut across chunks far faster. LF and CR
 * are searched for apart, each only again once the look back has passed the last one found: a
 * chunk of many lines in one kind of line end is passed over once, not once a line.
 */
function lastBlankLineEnd(chunk: Uint8Array, last: number, beforeLast: number): number {
  const n = chunk.length;
  const tail = Math.max(0, n - 4);
  for (let i = n - 1; i >= tail; i--) if (endsBlankLine(chunk, i, last, beforeLast)) return i + 1;
  if (tail === 0) return -1;
  let lf = chunk.lastIndexOf(LF, tail - 1);
  let cr = chunk.lastIndexOf(CR, tail - 1);
  while (lf >= 0 || cr >= 0) {
    const i = lf > cr ? lf : cr;
    if (endsBlankLine(chunk, i, last, beforeLast)) return i + 1;
    // (From index -1, `lastIndexOf` would search from the end: at 0 there is nothing left before.)
    if (i === lf) lf = i > 0 ? chunk.lastIndexOf(LF, i - 1) : -1;
    else cr = i > 0 ? chunk.lastIndexOf(CR, i - 1) : -1;
  }
  return -1;
}

/**
 * Bedrock's event stream: each frame's first four bytes (big-endian) are its whole length, so a
 * frame announcing more than the bound is refused when its prelude arrives, before any of it is
 * kept. Between preludes whole spans are skipped: the cost is per frame, not per byte.
 */
class FrameBound implements EventBound {
  // Bytes of the current frame still to come after its length.
  #left = 0;
  // The length being read (its bytes may be split across chunks).
  #length = 0;
  #lengthBytes = 0;

  constructor(readonly limit: number) {}

  take(chunk: Uint8Array): boolean {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.#left > 0) {
        const skip = Math.min(this.#left, n - i);
        this.#left -= skip;
        i += skip;
        continue;
      }
      // Multiplying, not shifting: a length of 2 GiB or more would turn negative in a 32-bit shift.
      this.#length = this.#length * 256 + chunk[i++]!;
      if (++this.#lengthBytes < 4) continue;
      if (this.#length > this.limit) return false;
      // A length under the prelude's own is malformed; the frame decoder refuses it with its own words.
      this.#left = Math.max(0, this.#length - 4);
      this.#length = 0;
      this.#lengthBytes = 0;
    }
    return true;
  }

  readonly error = () => eventTooLarge(this.limit, 'event-stream frame');
}
