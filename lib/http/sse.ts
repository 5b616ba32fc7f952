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
