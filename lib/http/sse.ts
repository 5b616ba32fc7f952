import { createParser, type EventSourceParser, type ParserCallbacks } from 'eventsource-parser';
import { Utf8Stream } from './utf8-stream';

export const SSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  // Tells nginx-style proxies in front of a local gateway not to buffer the stream.
  'x-accel-buffering': 'no',
});

/** One `data:` event. */
export function sseData(data: string): string {
  return `data: ${data}\n\n`;
}

/**
 * An event read from an upstream stream, written again as it came: its data, which the parser
 * joined by line ends, goes back on a `data:` line per line, after its `event:` line if it had one.
 *
 * @example
 * sseReframed('{"a":1}') // 'data: {"a":1}\n\n'
 * sseReframed('line 1\nline 2', 'error') // 'event: error\ndata: line 1\ndata: line 2\n\n'
 */
export function sseReframed(data: string, event?: string): string {
  return `${event ? `event: ${event}\n` : ''}data: ${data.replaceAll('\n', '\ndata: ')}\n\n`;
}

/** One named event (`event:` and `data:` lines), as Anthropic's and the Responses API's streams have them. */
export function sseEvent(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

const CR = 0x0d;
const LF = 0x0a;
const OPEN_BRACE = 0x7b;

/**
 * Whether an event's data is whole: `[DONE]`, or a JSON object (what every dialect's events carry).
 * An object, not any JSON: a number or string cut short may still parse (`12` of `123`), an object
 * cut anywhere before its last `}` does not.
 */
function isWholeData(data: string): boolean {
  if (data === '[DONE]') return true;
  if (data.charCodeAt(0) !== OPEN_BRACE) return false;
  try {
    JSON.parse(data);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where in `text` what follows its last blank line starts (`text.length` when it ends with one), or
 * -1 when it has none; `before` is the stream's character before `text` (-1 at its start). Two line
 * ends in a row hold `\n\n`, `\r\r` or `\n\r` (`\r\n\r\n`, `\r\r\n`, `\n\r\n` too), and no field
 * holds a CR or LF. Upstreams write whole events: the last characters answer, without a search.
 *
 * @example
 * afterLastBlankLine('data: a\n\n', -1)        // 9
 * afterLastBlankLine('data: a\r\n\r\n', -1)    // 11
 * afterLastBlankLine('data: a\n\ndata: [DO', -1) // 9
 * afterLastBlankLine('\ndata: b', 0x0a)        // 1
 */
export function afterLastBlankLine(text: string, before: number): number {
  const n = text.length;
  const last = text.charCodeAt(n - 1);
  const prev = n > 1 ? text.charCodeAt(n - 2) : before;
  if ((prev === LF && (last === LF || last === CR)) || (prev === CR && last === CR)) return n;
  if (last === LF && prev === CR && n > 2) {
    const third = text.charCodeAt(n - 3);
    if (third === LF || third === CR) return n;
  }
  const at = Math.max(text.lastIndexOf('\n\n'), text.lastIndexOf('\r\r'), text.lastIndexOf('\n\r'));
  // A blank line's CR may be a CRLF's: its LF is the blank line's too.
  if (at >= 0) return text.charCodeAt(at + 1) === CR && text.charCodeAt(at + 2) === LF ? at + 3 : at + 2;
  const first = text.charCodeAt(0);
  return (before === LF && (first === LF || first === CR)) || (before === CR && first === CR) ? 1 : -1;
}

/**
 * An eventsource-parser that also reads the last event of a stream whose line ends are CRs: the
 * parser holds a chunk's last CR until it sees whether an LF follows (CRLF is one line end), so
 * at the end, where none will, the event that CR ends (`data: [DONE]\r\r`) would never be read.
 * `end` feeds that LF, making the held CR the one line end it was.
 *
 * A stream that ends normally with its last event whole but without the blank line after it
 * (`data: [DONE]` and the connection closed) has that event read too, as OpenAI's client reads it
 * (its decoder flushes what is pending at the end; the SSE spec, and Anthropic's client, drop it):
 * else such a server would work with that client called directly and fail through the gateway,
 * every answer booked as cut and, translated, ended with an error. Whole means `[DONE]` or a JSON
 * object; the start of an event a server cut off is left unread, as before. That
 * event is read apart, from the text after the stream's last blank line (`afterLastBlankLine`),
 * so that the callbacks reach the parser unwrapped. The cost is a look at a chunk's last
 * characters; a class, not closures: V8 runs its methods as fast as the bare parser
 * (`sse-reader.bench.ts`).
 *
 * @example
 * const reader = new SseReader({ onEvent: (event) => console.log(event.data) });
 * reader.feed(Buffer.from('data: [DONE]\r\r'));
 * reader.end(); // logs [DONE]
 */
export class SseReader {
  readonly #parser: EventSourceParser;
  readonly #text = new Utf8Stream();
  readonly #onEvent: ParserCallbacks['onEvent'];
  // The stream's last character so far (-1 before any): a CR there is held by the parser.
  #last = -1;
  // What came after the stream's last blank line: the start of the event the parser holds, if any.
  // Kept aside (empty when a chunk ends with its events, as upstreams write them) so that `end`
  // reads it with a parser of its own, and the callbacks go to the parser unwrapped: a wrapper
  // round every event, to tell the last one, cost ~20% of the reader (`sse-reader.bench.ts`).
  #tail = '';

  constructor(callbacks: ParserCallbacks) {
    this.#parser = createParser(callbacks);
    this.#onEvent = callbacks.onEvent;
  }

  /** Reads a chunk: bytes (chunks may split events and UTF-8 characters anywhere) or text. */
  feed(chunk: Uint8Array | string): void {
    this.#feedText(typeof chunk === 'string' ? chunk : this.#text.write(chunk));
  }

  /** The stream ended normally (never call it for one cut off): reads what is still held. */
  end(): void {
    this.#feedText(this.#text.end());
    // The parser's last line ends, if it did not: a CR it held is the one line end it was, and the
    // events that line ends go out, held too (its CR and the line after it wait for a line end).
    // An event without its blank line still has none.
    if (this.#last !== LF && this.#last !== -1) this.#parser.feed('\n');
    this.#last = -1;
    const tail = this.#tail;
    this.#tail = '';
    const onEvent = this.#onEvent;
    // The blank line the last event lacked, read apart: that event goes on only when whole.
    if (tail !== '' && onEvent) createParser({ onEvent: (event) => isWholeData(event.data) && onEvent(event) }).feed(`${tail}\n\n`);
  }

  #feedText(text: string): void {
    if (text === '') return;
    const at = afterLastBlankLine(text, this.#last);
    this.#tail = at < 0 ? this.#tail + text : at === text.length ? '' : text.slice(at);
    this.#last = text.charCodeAt(text.length - 1);
    this.#parser.feed(text);
  }
}
