import { GatewayError } from '../../http/errors';
import type { TokenUsage } from '../../usage/tokens';
import { sseTap, type StreamTap } from '../../http/sse-tap';
import { errorFromOpenAIEvent, errorFromResponsesErrorEvent } from './errors';
import { eventName, parseEventData } from '../anthropic/sse';
import { createdResponseId, eventTypeOf } from './response-id';
import { skimResponsesDelta } from './skim';
import { usageFromResponses } from './usage';

/** Events that carry output: the first one marks the first token. */
const OUTPUT_EVENTS = new Set([
  'response.output_text.delta',
  'response.refusal.delta',
  'response.function_call_arguments.delta',
  'response.reasoning_summary_text.delta',
  'response.reasoning_text.delta',
]);

/** Events that end a Responses stream, each carrying the whole response (and its usage). */
const FINAL_EVENTS = new Set(['response.completed', 'response.incomplete', 'response.failed']);

const SEQUENCE = /"sequence_number"\s*:\s*(\d+)/;

/**
 * What the gateway learns from a Responses API SSE stream on the side while passing its bytes on
 * untouched: usage (from the final event's `response.usage`), time to the first output, whether
 * the stream ended with its final event, and an in-band failure.
 *
 * @example
 * const meter = new ResponsesStreamMeter(performance.now());
 * for await (const chunk of upstream.body) { yield chunk; meter.feed(chunk); }
 * if (!meter.complete && !meter.error) // the stream was cut
 */
export class ResponsesStreamMeter implements StreamTap {
  usage: TokenUsage | undefined;
  /** ms from `start` to the first event that carried output. */
  firstTokenMs: number | undefined;
  /** A final event (completed, incomplete, failed) arrived. */
  complete = false;
  /** The error of an `error` event or of a failed response, worded as the gateway tells it (`errorFromOpenAIEvent`). */
  error: GatewayError | undefined;
  /** The `sequence_number` of the last event read. */
  lastSequence: number | undefined;
  /** Characters of output relayed: what a stream cut off before its final event is charged by (a key with or without a budget). */
  outputChars = 0;
  /** Reads the stream's raw bytes (or text) as they pass (`StreamTap`). */
  readonly feed: StreamTap['feed'];
  /** The stream ended normally: reads what is still held (`StreamTap`). */
  readonly end: StreamTap['end'];
  /** Whether the stream's first event is still to come: only it can name the response (`onResponseId`). */
  #first = true;

  /**
   * `start` and `now` are `performance.now()` readings unless a test clock is given. `onResponseId`
   * is told the id of the response the stream is about, from its first event, `response.created`
   * (a stream that starts with another event, an error, tells nothing). `providerId` (the
   * config's) is what an in-band error's words name.
   */
  constructor(
    readonly start: number,
    readonly now: () => number = performance.now.bind(performance),
    readonly onResponseId?: (id: string) => void,
    readonly providerId = 'openai',
  ) {
    ({ feed: this.feed, end: this.end } = sseTap((event) => this.#observe(event.event, event.data)));
  }

  #observe(name: string | undefined, data: string): void {
    if (this.#first) {
      this.#first = false;
      if (this.onResponseId && (name ?? eventTypeOf(data)) === 'response.created') {
        const id = createdResponseId(data);
        if (id !== undefined) this.onResponseId(id);
      }
    }
    // Deltas are most of a stream: their number and characters are read from the text, unparsed
    // (every stream's, so that one cut off is recorded with a fair estimate).
    if (name !== undefined && OUTPUT_EVENTS.has(name)) {
      this.firstTokenMs ??= this.now() - this.start;
      this.#number(data);
      this.outputChars += skimResponsesDelta(data);
      return;
    }
    if (name !== undefined && !FINAL_EVENTS.has(name) && name !== 'error') {
      this.#number(data);
      return;
    }
    const event = parseEventData(data);
    const type = eventName({ event: name, data, id: undefined }, event);
    if (!event || type === undefined) return;
    if (typeof event.sequence_number === 'number') this.lastSequence = event.sequence_number;
    if (OUTPUT_EVENTS.has(type)) {
      this.firstTokenMs ??= this.now() - this.start;
      if (typeof event.delta === 'string') this.outputChars += event.delta.length;
    }
    if (type === 'error') {
      this.error = errorFromResponsesErrorEvent(event, this.providerId);
      return;
    }
    if (!FINAL_EVENTS.has(type)) return;
    this.complete = true;
    const response = event.response as { usage?: unknown; error?: { message?: unknown } | null } | undefined;
    const usage = usageFromResponses(response?.usage);
    if (usage) this.usage = usage;
    if (type === 'response.failed') this.error = failedResponseError(response?.error, this.providerId);
  }

  /**
   * Reads an event's number from its text without parsing it. Only the event's own key can match:
   * the same words inside a string value have their quotes escaped, and nested objects carry none.
   */
  #number(data: string): void {
    const match = SEQUENCE.exec(data);
    if (match) this.lastSequence = Number(match[1]);
  }
}

/**
 * A failed response's error as the gateway tells it; one without an error object is passed on
 * as it came (`responsesErrorEvents` rewrites none), so it is booked with no code.
 */
function failedResponseError(said: unknown, providerId: string): GatewayError {
  if (typeof said === 'object' && said !== null) return errorFromOpenAIEvent(said, providerId);
  return new GatewayError('upstream_error', 'response failed');
}
