import { createParser, type ParserCallbacks } from 'eventsource-parser';

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

/** Reads an SSE stream chunk by chunk; `end` once it ended normally (never when it was cut off). */
export interface SseReader {
  /** Reads a chunk: bytes (chunks may split events and UTF-8 characters anywhere) or text. */
  feed(chunk: Uint8Array | string): void;
  /** The stream ended: reads what is still held, the last event included when its line ends are CRs. */
  end(): void;
}

const CR = 0x0d;

/**
 * An eventsource-parser that also reads the last event of a stream whose line ends are CRs: the
 * parser holds a chunk's last CR until it sees whether an LF follows (CRLF is one line end), so
 * at the end, where none will, the event that CR ends (`data: [DONE]\r\r`) would never be read.
 * `end` feeds that LF, making the held CR the one line end it was. An event without its blank
 * line stays unread, as with any line end. Costs one character read a chunk.
 *
 * @example
 * const reader = sseReader({ onEvent: (event) => console.log(event.data) });
 * reader.feed(Buffer.from('data: [DONE]\r\r'));
 * reader.end(); // logs [DONE]
 */
export function sseReader(callbacks: ParserCallbacks): SseReader {
  const parser = createParser(callbacks);
  const decoder = new TextDecoder();
  let endsInCr = false;
  const feedText = (text: string) => {
    if (text === '') return;
    endsInCr = text.charCodeAt(text.length - 1) === CR;
    parser.feed(text);
  };
  return {
    feed: (chunk) => feedText(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true })),
    end: () => {
      feedText(decoder.decode());
      if (endsInCr) parser.feed('\n');
      endsInCr = false;
    },
  };
}
