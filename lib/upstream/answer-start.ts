/**
 * When an upstream's answer has started, for the first-answer deadline (`timeouts.firstByteMs`):
 * the bytes that arrive before it are read here until one says the answer is under way, then no
 * more (the scan costs nothing once it has said so). Headers alone are no start, nor is a
 * keep-alive: an SSE comment (`: ping`, OpenRouter's `: OPENROUTER PROCESSING`) or an event named
 * `ping` (Anthropic's) says the upstream is alive, not that it answers; JSON's leading blanks
 * (a proxy keeping a whole answer's connection open) say no more.
 */
import { GatewayError } from '../http/errors';

/** Fed an answer's bytes as they arrive: says whether its answer has started by the end of `chunk`. */
export interface StartScan {
  take(chunk: Uint8Array): boolean;
}

/**
 * The scan for an answer of this content type: SSE's first event that is not a keep-alive
 * (`SseStartScan`); JSON's first byte that is not a blank; any other answer's first byte (audio,
 * text, Bedrock's event-stream frames, which have no keep-alive).
 *
 * @example
 * startScan('text/event-stream').take(Buffer.from(': ping\n\n'));     // false
 * startScan('text/event-stream').take(Buffer.from('data: {"id":1}')); // true
 * startScan('application/json').take(Buffer.from('\n  '));           // false
 * startScan('audio/mpeg').take(Buffer.from([0xff]));                 // true
 */
export function startScan(contentType: string): StartScan {
  const media = contentType.split(';', 1)[0]!.trim().toLowerCase();
  if (media === 'text/event-stream') return new SseStartScan();
  return media === 'application/json' || media.endsWith('+json') ? new JsonStartScan() : ANY_BYTE;
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
 * that decides nothing (`skip`: a comment, `id:`, `retry:`, a ping's `data:`) until its end.
 */
type Line = 'start' | 'name' | 'event' | 'skip';

/** An event name longer than this is not `ping`: no more of it is kept. */
const NAME_MAX = 16;

/**
 * SSE (the WHATWG event-stream format): the answer starts with the first `data:` line of an event
 * not named `ping`, or the end of an `event:` line naming anything else (Anthropic's
 * `message_start`, the Responses API's `response.created`). Comments, `id:`, `retry:` and blank
 * lines are no start; an event named `ping` is none, data and all. Lines may end in LF, CR or CRLF
 * and break across chunks; only a field's name (or a short event name) is kept between them.
 */
export class SseStartScan implements StartScan {
  #line: Line = 'start';
  #afterCr = false;
  #name = '';
  // The event at hand was named `ping`: its data is a keep-alive's.
  #ping = false;
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
          if (this.#name === 'data') {
            if (!this.#ping) return true;
            this.#line = 'skip';
          } else if (this.#name === 'event') {
            this.#line = 'event';
            this.#name = '';
          } else this.#line = 'skip';
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

  /** A line ended: true when it started the answer. */
  #endLine(): boolean {
    const line = this.#line;
    const name = this.#name;
    this.#line = 'start';
    this.#name = '';
    this.#spaceSeen = false;
    switch (line) {
      case 'start':
        // A blank line ends the event: the next may be anything.
        this.#ping = false;
        return false;
      case 'name':
        // A field with no colon has an empty value: `data` alone is an empty data line.
        return name === 'data' && !this.#ping;
      case 'event':
        if (name === 'ping') {
          this.#ping = true;
          return false;
        }
        return true;
      case 'skip':
        return false;
    }
  }
}
