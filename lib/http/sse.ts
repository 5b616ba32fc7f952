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

/** Whether an event's data is whole: `[DONE]`, or JSON (what every dialect's events carry). */
function isWholeData(data: string): boolean {
  if (data === '[DONE]') return true;
  try {
    JSON.parse(data);
    return true;
  } catch {
    return false;
  }
}

/**
 * An eventsource-parser that also reads the last event of a stream whose line ends are CRs: the
 * parser holds a chunk's last CR until it sees whether an LF follows (CRLF is one line end), so
 * at the end, where none will, the event that CR ends (`data: [DONE]\r\r`) would never be read.
 * `end` feeds that LF, making the held CR the one line end it was. Costs one character read a
 * chunk. A class, not closures: V8 runs its methods as fast as the bare parser (`sse-reader.bench.ts`).
 *
 * A stream that ends normally with its last event whole but without the blank line after it
 * (`data: [DONE]` and the connection closed) has that event read too, as OpenAI's client reads it
 * (its decoder flushes what is pending at the end; the SSE spec, and Anthropic's client, drop it):
 * else such a server would work with that client called directly and fail through the gateway,
 * every answer booked as cut and, translated, ended with an error. Whole means `[DONE]` or data that parses as JSON; the
 * start of an event a server cut off is left unread, as before.
 *
 * @example
 * const reader = new SseReader({ onEvent: (event) => console.log(event.data) });
 * reader.feed(Buffer.from('data: [DONE]\r\r'));
 * reader.end(); // logs [DONE]
 */
export class SseReader {
  readonly #parser: EventSourceParser;
  readonly #text = new Utf8Stream();
  #endsInCr = false;
  /** Set while `end` reads the last event: one that came without its blank line is read only when whole. */
  #ending = false;

  constructor(callbacks: ParserCallbacks) {
    const { onEvent } = callbacks;
    this.#parser = createParser(onEvent ? { ...callbacks, onEvent: (event) => (!this.#ending || isWholeData(event.data)) && onEvent(event) } : callbacks);
  }

  /** Reads a chunk: bytes (chunks may split events and UTF-8 characters anywhere) or text. */
  feed(chunk: Uint8Array | string): void {
    this.#feedText(typeof chunk === 'string' ? chunk : this.#text.write(chunk));
  }

  /** The stream ended normally (never call it for one cut off): reads what is still held. */
  end(): void {
    this.#feedText(this.#text.end());
    if (this.#endsInCr) this.#parser.feed('\n');
    this.#endsInCr = false;
    // The blank line a last event may lack; nothing pending, it reads nothing.
    this.#ending = true;
    this.#parser.feed('\n\n');
    this.#ending = false;
  }

  #feedText(text: string): void {
    if (text === '') return;
    this.#endsInCr = text.charCodeAt(text.length - 1) === CR;
    this.#parser.feed(text);
  }
}
