/**
 * When an upstream's answer has started, for the first-answer deadline (`timeouts.firstByteMs`)
 * and, in a stream, for telling an upstream that failed before answering (`earlyFailure`) from
 * one that answers: the bytes that arrive before it are read here until one says the answer is
 * under way, then no more (the scan costs nothing once it has said so). Headers alone are no
 * start, nor is a keep-alive: an SSE comment (`: ping`, OpenRouter's `: OPENROUTER PROCESSING`) or
 * an event named `ping` (Anthropic's) says the upstream is alive, not that it answers, nor is
 * Anthropic's `message_start`, which an `event: error` may follow; nor, in Bedrock's event stream,
 * Converse's `messageStart` or a chunk carrying Anthropic's `message_start`, which an exception
 * frame may follow; nor the `[` of Gemini's JSON array; JSON's leading blanks (a proxy keeping a
 * whole answer's connection open) say no more.
 */
import { GatewayError } from '../http/errors';
import { JsonArraySplitter } from '../http/json-array';
import { EventStreamFrames, isOpeningFrame, mayBeOpening } from '../providers/bedrock/eventstream';

/** Fed an answer's bytes as they arrive: says whether its answer has started by the end of `chunk`. */
export interface StartScan {
  take(chunk: Uint8Array): boolean;
}

/**
 * The scan for an answer of this content type: a stream's (`streamScan`); JSON's first byte that
 * is not a blank; any other answer's first byte (audio, text).
 *
 * @example
 * startScan('text/event-stream').take(Buffer.from(': ping\n\n'));     // false
 * startScan('text/event-stream').take(Buffer.from('data: {"id":1}\n\n')); // true
 * startScan('application/json').take(Buffer.from('\n  '));           // false
 * startScan('audio/mpeg').take(Buffer.from([0xff]));                 // true
 */
export function startScan(contentType: string, jsonArray = false): StartScan {
  const stream = streamScan(contentType, jsonArray);
  if (stream) return stream;
  const media = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return media === 'application/json' || media.endsWith('+json') ? new JsonStartScan() : ANY_BYTE;
}

/**
 * The scan of a stream whose opening an in-band error may be (`earlyFailure`): SSE's
 * (`SseStartScan`), Bedrock's event stream (`EventStreamStartScan`), and Gemini's JSON array when
 * the call asked for one (`jsonArray`: its content type alone says JSON, `JsonArrayStartScan`).
 * Undefined for any other answer.
 *
 * @example
 * streamScan('application/vnd.amazon.eventstream', false) // an EventStreamStartScan
 * streamScan('application/json', true)                   // a JsonArrayStartScan
 * streamScan('application/json', false)                  // undefined
 */
export function streamScan(contentType: string, jsonArray: boolean): StartScan | undefined {
  // The usual spelling first; then the media type read once (every answer without a deadline comes here).
  if (contentType === 'text/event-stream') return new SseStartScan();
  const media = contentType.split(';', 1)[0]!.trim().toLowerCase();
  if (media === 'text/event-stream') return new SseStartScan();
  if (media === AWS_EVENT_STREAM) return new EventStreamStartScan();
  return jsonArray && media === 'application/json' ? new JsonArrayStartScan() : undefined;
}

/** Bedrock's binary framing (`application/vnd.amazon.eventstream`). */
export const AWS_EVENT_STREAM = 'application/vnd.amazon.eventstream';

/**
 * Whether a content type is Bedrock's event stream (any parameters, any case).
 *
 * @example
 * isAwsEventStream('application/vnd.amazon.eventstream') // true
 */
export function isAwsEventStream(contentType: string): boolean {
  return contentType === AWS_EVENT_STREAM || contentType.split(';', 1)[0]!.trim().toLowerCase() === AWS_EVENT_STREAM;
}

/**
 * Whether a content type is SSE's (`text/event-stream`, any parameters, any case).
 *
 * @example
 * isEventStream('text/event-stream; charset=utf-8') // true
 * isEventStream('application/json')                // false
 */
export function isEventStream(contentType: string): boolean {
  // The usual spelling first: one comparison on the hot path.
  if (contentType === 'text/event-stream') return true;
  return contentType.split(';', 1)[0]!.trim().toLowerCase() === 'text/event-stream';
}

/**
 * The 504 of an upstream whose answer had not started when the deadline passed: before its
 * headers or after them, the client's error is the headers timeout's (`upstream_timeout`), worded
 * for what did not come; the host and the setting are the log's `detail`.
 */
export function answerNotStarted(host: string, ms: number): GatewayError {
  return new GatewayError('upstream_timeout', 'The upstream provider did not start its answer in time.', {
    code: 'upstream_timeout',
    detail: `${host}: no answer within ${ms} ms of sending (timeouts.firstByteMs)`,
  });
}

const ANY_BYTE: StartScan = { take: (chunk) => chunk.length > 0 };

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
const COLON = 0x3a;

const typedIndexOf = Uint8Array.prototype.indexOf;

/** The index of `byte` in `chunk` from `from` on, or the chunk's length when it is not there. */
function indexOrEnd(chunk: Uint8Array, byte: number, from: number): number {
  // The typed array's own search, a V8 builtin: Buffer's (what undici gives) checks its arguments in JS first.
  const at = typedIndexOf.call(chunk, byte, from);
  return at < 0 ? chunk.length : at;
}

/** JSON: its first byte that is not whitespace (RFC 8259) starts it. */
class JsonStartScan implements StartScan {
  take(chunk: Uint8Array): boolean {
    for (const byte of chunk) if (byte !== SPACE && byte !== LF && byte !== CR && byte !== TAB) return true;
    return false;
  }
}

/**
 * Where the scan is in the line at hand: at its first byte (`start`), in a field's name (`name`,
 * matched against `FIELDS`), in an `event:` field's value (`event`, matched against
 * `HELD_EVENTS`), or in a line whose value decides nothing by itself (`skip`: a comment, `id:`,
 * `retry:`, a `data:` value) until its end.
 */
type Line = 'start' | 'name' | 'event' | 'skip';

/**
 * A word fed byte by byte, matched against a few known ones as it comes (no string is built: the
 * scan runs over every stream's opening bytes).
 */
class WordMatch {
  readonly #words: readonly Uint8Array[];
  #length = 0;
  // Bit w: the bytes so far are a prefix of word w.
  #alive = 0;

  /** `words` as bytes (`wordBytes`), made once for every scan. */
  constructor(words: readonly Uint8Array[]) {
    this.#words = words;
    this.reset();
  }

  reset(): void {
    this.#length = 0;
    this.#alive = (1 << this.#words.length) - 1;
  }

  get length(): number {
    return this.#length;
  }

  feed(byte: number): void {
    let alive = this.#alive;
    for (let w = 0; alive >> w !== 0; w++) if (alive & (1 << w) && this.#words[w]![this.#length] !== byte) alive &= ~(1 << w);
    this.#alive = alive;
    this.#length++;
  }

  /** The index of the known word fed, whole, or -1. */
  matched(): number {
    for (let w = 0; this.#alive >> w !== 0; w++) if (this.#alive & (1 << w) && this.#words[w]!.length === this.#length) return w;
    return -1;
  }
}

const wordBytes = (words: readonly string[]): readonly Uint8Array[] => words.map((word) => Buffer.from(word, 'latin1'));

/** The field names the scan tells apart; any other is skipped. */
const FIELDS = ['data', 'event'] as const;
const FIELD_BYTES = wordBytes(FIELDS);
const DATA = FIELDS.indexOf('data');
const EVENT = FIELDS.indexOf('event');

/**
 * Events that come before an answer without being any of it: Anthropic's keep-alive (`ping`) and
 * its `message_start` (the message's id and the prompt's usage, sent before the model has written
 * anything: an `event: error` may still follow it, and the answer has not started until one of
 * `content_block_start`, `message_delta`, `message_stop` comes). The real API writes
 * `message_start`, `content_block_start` and a `ping` in one write, so holding it costs no wait.
 */
const HELD_EVENTS = ['ping', 'message_start'] as const;
const HELD_EVENT_BYTES = wordBytes(HELD_EVENTS);

/**
 * SSE (the WHATWG event-stream format): the answer starts at the end (the blank line) of the first
 * event that has data or a name and is not one of `HELD_EVENTS`; its bytes are then all in hand, so
 * that its reader can tell an error reported as the first event (`earlyFailure`) from an answer.
 * Comments, `id:`, `retry:` and blank lines are no start, nor an event named `ping` or
 * `message_start`, data and all. Lines may end in LF, CR or CRLF and break across chunks; only
 * where the line and the event at hand are is kept between them.
 */
export class SseStartScan implements StartScan {
  #line: Line = 'start';
  #afterCr = false;
  readonly #field = new WordMatch(FIELD_BYTES);
  readonly #eventName = new WordMatch(HELD_EVENT_BYTES);
  // The event at hand has a `data:` line.
  #data = false;
  // The event at hand has an `event:` line, and whether the name it gave is one of `HELD_EVENTS`.
  #named = false;
  #held = false;
  // The space after `event:` was passed (one is the format's, not the name's).
  #spaceSeen = false;

  take(chunk: Uint8Array): boolean {
    // Where the chunk's next CR is from `i` on (`chunk.length`: none): looked up once, not per line.
    let crAt = -1;
    for (let i = 0; i < chunk.length; i++) {
      if (this.#line === 'skip') {
        // A line that decides nothing (a data line's value: most of the bytes before the start) is
        // passed in one native search for its end, not byte by byte.
        if (crAt < i) crAt = indexOrEnd(chunk, CR, i);
        const end = Math.min(indexOrEnd(chunk, LF, i), crAt);
        if (end > i) this.#afterCr = false;
        if (end === chunk.length) return false;
        i = end;
      }
      const byte = chunk[i]!;
      const afterCr = this.#afterCr;
      this.#afterCr = byte === CR;
      if (byte === LF || byte === CR) {
        // CRLF's LF: the line ended at the CR already.
        if (afterCr && byte === LF) continue;
        if (this.#endLine()) return true;
        continue;
      }
      switch (this.#line) {
        case 'start':
          if (byte === COLON) {
            this.#line = 'skip';
            break;
          }
          this.#line = 'name';
          this.#field.reset();
          this.#field.feed(byte);
          break;
        case 'name': {
          if (byte !== COLON) {
            this.#field.feed(byte);
            break;
          }
          const field = this.#field.matched();
          if (field === EVENT) {
            this.#line = 'event';
            this.#eventName.reset();
            break;
          }
          if (field === DATA) this.#data = true;
          this.#line = 'skip';
          break;
        }
        case 'event':
          if (this.#eventName.length === 0 && byte === SPACE && !this.#spaceSeen) {
            this.#spaceSeen = true;
            break;
          }
          this.#eventName.feed(byte);
          break;
        case 'skip':
          break;
      }
    }
    return false;
  }

  /** A line ended: true when it ended the event that starts the answer. */
  #endLine(): boolean {
    const line = this.#line;
    this.#line = 'start';
    this.#spaceSeen = false;
    switch (line) {
      case 'start': {
        // A blank line ends the event: the next may be anything.
        const starts = (this.#data || this.#named) && !this.#held;
        this.#data = false;
        this.#named = false;
        this.#held = false;
        return starts;
      }
      case 'name':
        // A field with no colon has an empty value: `data` alone is an empty data line.
        if (this.#field.matched() === DATA) this.#data = true;
        return false;
      case 'event':
        this.#named = true;
        this.#held = this.#eventName.matched() >= 0;
        return false;
      case 'skip':
        return false;
    }
  }
}

/**
 * Bedrock's event stream: the answer starts at the end of the first frame that is not an opening
 * one (`isOpeningMessage`: Converse's `messageStart`, a `chunk` carrying Anthropic's
 * `message_start` or `ping`), an exception frame included, so that its reader finds the exception
 * whole among the chunks up to the start (`earlyFrameFailure`). Frames are cut out of the bytes
 * by their length prefix (`EventStreamFrames`), however they were split; one whose headers cannot
 * name an opening (`mayBeOpening`) starts it unread; the others' headers are read by the codec's
 * header parser (`isOpeningFrame`: no CRC, as the reader decodes them again and checks it); a frame of an
 * impossible length, or whose headers do not read, starts it (its reader says what it is). Once
 * it has said so, the scan is dropped.
 */
export class EventStreamStartScan implements StartScan {
  readonly #frames = new EventStreamFrames();

  take(chunk: Uint8Array): boolean {
    try {
      return this.#frames.frames(chunk).some((frame) => !mayBeOpening(frame) || !isOpeningFrame(frame));
    } catch {
      return true;
    }
  }
}

/**
 * Gemini's JSON array (`streamGenerateContent` without `alt=sse`): the answer starts at the end of
 * its first element (an answer's chunk, or Google's `{"error":…}`, which `earlyElementFailure`
 * then finds whole), or at the array's end, or at the first sign it is no array (its reader says
 * what it is). Leading blanks and the `[` are no start.
 */
export class JsonArrayStartScan implements StartScan {
  #element = false;
  readonly #split = new JsonArraySplitter(() => (this.#element = true));

  take(chunk: Uint8Array): boolean {
    this.#split.feed(chunk);
    return this.#element || this.#split.closed || this.#split.invalid;
  }
}
