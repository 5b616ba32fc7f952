import { createParser, type EventSourceMessage } from 'eventsource-parser';

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

/**
 * A feed for SSE bytes read on the side (chunks may split events and UTF-8 characters anywhere):
 * each complete event goes to `onEvent`.
 */
export function sseFeed(onEvent: (event: EventSourceMessage) => void): (chunk: Uint8Array | string) => void {
  const parser = createParser({ onEvent });
  const decoder = new TextDecoder();
  return (chunk) => parser.feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
}
