/**
 * When an upstream's answer has started, for the first-answer deadline (`timeouts.firstByteMs`)
 * and, in a stream, for telling an upstream that failed before answering (`earlyFailure`) from
 * one that answers: the bytes that arrive before it are read here until one says the answer is
 * under way, then no more (the scan costs nothing once it has said so). Headers alone are no
 * start, nor is a keep-alive: an SSE comment (`: ping`, OpenRouter's `: OPENROUTER PROCESSING`) or
 * an event named `ping` (Anthropic's) says the upstream is alive, not that it answers, nor is
 * Anthropic's `message_start`, which an `event: error` may follow; JSON's leading blanks (a proxy
 * keeping a whole answer's connection open) say no more.
 */
import { GatewayError } from '../http/errors';

/** Fed an answer's bytes as they arrive: says whether its answer has started by the end of `chunk`. */
export interface StartScan {
  take(chunk: Uint8Array): boolean;
}

/**
 * The scan for an answer of this content type: the end of SSE's first event that is not a
 * keep-alive nor Anthropic's `message_start` (`SseStartScan`); JSON's first byte that is not a blank; any other answer's first byte (audio,
 * text, Bedrock's event-stream frames, which have no keep-alive).
 *
 * @example
 * startScan('text/event-stream').take(Buffer.from(': ping\n\n'));     // false
 * startScan('text/event-stream').take(Buffer.from('data: {"id":1}\n\n')); // true
 * startScan('application/json').take(Buffer.from('\n  '));           // false
 * startScan('audio/mpeg').take(Buffer.from([0xff]));                 // true
 */
export function startScan(contentType: string): StartScan {
  if (isEventStream(contentType)) return new SseStartScan();
  const media = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return media === 'application/json' || media.endsWith('+json') ? new JsonStartScan() : ANY_BYTE;
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

/** JSON: its first byte that is not whitespace (RFC 8259) starts it. */
class JsonStartScan implements StartScan {
  take(chunk: Uint8Array): boolean {
    for (const byte of chunk) if (byte !== SPACE && byte !== LF && byte !== CR && byte !== TAB) return true;
    return false;
  }
}

/**
 * Where the scan is in the line at hand: at its first byte (`start`), in a field's name (`name`,
 * collected in `#name`), in an `event:` field's value (`event`, collected in `#name`), or in a line
 * whose value decides nothing by itself (`skip`: a comment, `id:`, `retry:`, a `data:` value) until its end.
 */
type Line = 'start' | 'name' | 'event' | 'skip';

/** An event name longer than this is none of `HELD_EVENTS`: no more of it is kept. */
const NAME_MAX = 16;

/**
 * Events that come before an answer without being any of it: Anthropic's keep-alive (`ping`) and
 * its `message_start` (the message's id and the prompt's usage, sent before the model has written
 * anything: an `event: error` may still follow it, and the answer has not started until one of
 * `content_block_start`, `message_delta`, `message_stop` comes). The real API writes
 * `message_start`, `content_block_start` and a `ping` in one write, so holding it costs no wait.
 */
const HELD_EVENTS: ReadonlySet<string> = new Set(['ping', 'message_start']);

/**
 * SSE (the WHATWG event-stream format): the answer starts at the end (the blank line) of the first
 * event that has data or a name and is not one of `HELD_EVENTS`; its bytes are then all in hand, so
 * that its reader can tell an error reported as the first event (`earlyFailure`) from an answer.
 * Comments, `id:`, `retry:` and blank lines are no start, nor an event named `ping` or
 * `message_start`, data and all. Lines may end in LF, CR or CRLF and break across chunks; only a
 * field's name (or a short event name) is kept between them.
 */
export class SseStartScan implements StartScan {
  #line: Line = 'start';
  #afterCr = false;
  #name = '';
  // The event at hand has a `data:` line.
  #data = false;
  // The event at hand's name, once its `event:` line ended (undefined: none yet).
  #event: string | undefined;
  // The space after `event:` was passed (one is the format's, not the name's).
  #spaceSeen = false;

  take(chunk: Uint8Array): boolean {
    for (const byte of chunk) {
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
          this.#name = String.fromCharCode(byte);
          break;
        case 'name':
          if (byte !== COLON) {
            if (this.#name.length < NAME_MAX) this.#name += String.fromCharCode(byte);
            break;
          }
          if (this.#name === 'event') {
            this.#line = 'event';
            this.#name = '';
            break;
          }
          if (this.#name === 'data') this.#data = true;
          this.#line = 'skip';
          break;
        case 'event':
          if (this.#name.length === 0 && byte === SPACE && !this.#spaceSeen) {
            this.#spaceSeen = true;
            break;
          }
          if (this.#name.length < NAME_MAX) this.#name += String.fromCharCode(byte);
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
    const name = this.#name;
    this.#line = 'start';
    this.#name = '';
    this.#spaceSeen = false;
    switch (line) {
      case 'start': {
        // A blank line ends the event: the next may be anything.
        const event = this.#event;
        const starts = (this.#data || event !== undefined) && !(event !== undefined && HELD_EVENTS.has(event));
        this.#data = false;
        this.#event = undefined;
        return starts;
      }
      case 'name':
        // A field with no colon has an empty value: `data` alone is an empty data line.
        if (name === 'data') this.#data = true;
        return false;
      case 'event':
        this.#event = name;
        return false;
      case 'skip':
        return false;
    }
  }
}
