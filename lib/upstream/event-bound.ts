import { GatewayError } from '../http/errors';
import { SseEventEnds } from '../http/sse-event-ends';

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

/**
 * SSE: the bytes since the last blank line, found where the relays that hold an event back until
 * its end find them (`SseEventEnds`, shared with `InBandErrorGuard`). A lone CR after a line end
 * is no end to them: counted on, or an upstream ending its events so would have them hold without
 * bound.
 */
class SseBound implements EventBound {
  #open = 0;
  readonly #ends = new SseEventEnds();

  constructor(readonly limit: number) {}

  take(chunk: Uint8Array): boolean {
    const end = this.#ends.lastEnd(chunk);
    this.#open = end < 0 ? this.#open + chunk.length : chunk.length - end;
    return this.#open <= this.limit;
  }

  readonly error = () => eventTooLarge(this.limit);
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
