import type { EventSourceMessage } from 'eventsource-parser';
import { SseReader } from '../../http/sse';

/** The SSE events of a byte stream, as they complete (chunks may split events and UTF-8 characters anywhere). */
export async function* sseEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<EventSourceMessage> {
  const ready: EventSourceMessage[] = [];
  const reader = new SseReader({ onEvent: (event) => ready.push(event) });
  for await (const chunk of body) {
    reader.feed(chunk);
    while (ready.length > 0) yield ready.shift()!;
  }
  reader.end();
  while (ready.length > 0) yield ready.shift()!;
}

/** An Anthropic event's name: the `event:` line, or the `type` in its data when a proxy dropped the line. */
export function eventName(event: EventSourceMessage, data: Record<string, unknown> | undefined): string | undefined {
  return event.event ?? (typeof data?.type === 'string' ? data.type : undefined);
}

export function parseEventData(data: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(data) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
