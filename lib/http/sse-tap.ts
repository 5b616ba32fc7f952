import type { EventSourceMessage } from 'eventsource-parser';
import { SseReader } from './sse';

/**
 * What reads a stream on the side while its bytes pass on untouched (a meter): fed each chunk as
 * it goes by, then told the stream ended.
 */
export interface StreamTap {
  /** Reads raw bytes (or text) of the stream; chunks may split events and UTF-8 characters anywhere. */
  readonly feed: (chunk: Uint8Array | string) => void;
  /** The stream ended normally (never call it for one cut off): reads what is still held. */
  readonly end: () => void;
}

/**
 * A tap on an SSE stream: each event goes to `onEvent` as it completes, its data unparsed, so that
 * each meter reads only the events it wants and only as far as it needs (a delta's characters
 * skimmed from its text, a final event's usage parsed). A meter's `feed` and `end` are the tap's.
 * Its `end` reads the last event when the stream's line ends are CRs, or when it came whole
 * without its blank line (`SseReader.end`).
 *
 * @example
 * class Meter {
 *   readonly feed: StreamTap['feed'];
 *   readonly end: StreamTap['end'];
 *   constructor() {
 *     ({ feed: this.feed, end: this.end } = sseTap((event) => this.#observe(event.event, event.data)));
 *   }
 * }
 */
export function sseTap(onEvent: (event: EventSourceMessage) => void): StreamTap {
  const reader = new SseReader({ onEvent });
  return { feed: (chunk) => reader.feed(chunk), end: () => reader.end() };
}
