import type { GatewayError } from '../../http/errors';
import type { TokenUsage } from '../../usage/tokens';
import { errorFromAnthropicEvent } from './errors';
import { sseTap, type StreamTap } from '../../http/sse-tap';
import { eventName, parseEventData } from './sse';
import { mergeAnthropicUsage } from './usage';

/**
 * What the gateway learns from an Anthropic SSE stream on the side while passing its bytes on
 * untouched: usage (as TokenUsage: input includes cache reads and writes), time to the first
 * output, the stop reason, whether `message_stop` arrived, and an in-band error.
 *
 * @example
 * const meter = new AnthropicStreamMeter(performance.now());
 * for await (const chunk of upstream.body) { meter.feed(chunk); yield chunk; }
 * if (!meter.sawMessageStop && !meter.error) // the stream was cut
 */
export class AnthropicStreamMeter implements StreamTap {
  usage: TokenUsage | undefined;
  /** Anthropic's own stop_reason (`end_turn`, `tool_use`, …). */
  stopReason: string | undefined;
  /** ms from `start` to the first event that carried output. */
  firstTokenMs: number | undefined;
  sawMessageStop = false;
  error: GatewayError | undefined;
  /** Characters of output relayed (text, thinking, tool input): what a stream cut off before its last count is charged by. */
  outputChars = 0;
  /** Reads the stream's raw bytes (or text) as they pass (`StreamTap`). */
  readonly feed: StreamTap['feed'];
  /** The stream ended normally: reads what is still held (`StreamTap`). */
  readonly end: StreamTap['end'];

  /** `start` and `now` are `performance.now()` readings unless a test clock is given. */
  constructor(
    readonly start: number,
    readonly now: () => number = performance.now.bind(performance),
    readonly providerId = 'anthropic',
  ) {
    // Each event's data parsed once, for its name (when a proxy dropped the `event:` line) and its reading.
    ({ feed: this.feed, end: this.end } = sseTap((event) => {
      const parsed = parseEventData(event.data);
      this.observeParsed(eventName(event, parsed), event.data, parsed);
    }));
  }

  /**
   * Reads one already-framed event whose data a reader upstream has parsed already (`event`, the
   * object `parseEventData` would give; undefined when it is none), so it is not parsed again.
   *
   * @example
   * meter.observeParsed('content_block_delta', json, { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } });
   */
  observeParsed(name: string | undefined, data: string, event: Record<string, unknown> | undefined): void {
    if (name === 'error') {
      this.error = errorFromAnthropicEvent(data, this.providerId);
      return;
    }
    if (!event) return;
    switch (name) {
      case 'message_start':
        this.usage = mergeAnthropicUsage(undefined, (event.message as Record<string, unknown> | undefined)?.usage);
        break;
      case 'content_block_start': {
        const block = event.content_block as Record<string, unknown> | undefined;
        if (block?.type === 'tool_use' || block?.type === 'redacted_thinking') this.#firstToken();
        if (block?.type === 'tool_use' && typeof block.name === 'string') this.outputChars += block.name.length;
        break;
      }
      case 'content_block_delta':
        this.#firstToken();
        this.outputChars += deltaChars(event.delta);
        break;
      case 'message_delta': {
        this.usage = mergeAnthropicUsage(this.usage, event.usage);
        const stop = (event.delta as Record<string, unknown> | undefined)?.stop_reason;
        if (typeof stop === 'string') this.stopReason = stop;
        break;
      }
      case 'message_stop':
        this.sawMessageStop = true;
        break;
    }
  }

  #firstToken(): void {
    this.firstTokenMs ??= this.now() - this.start;
  }
}

/** The characters of output a content_block_delta carries (a signature is none). */
function deltaChars(delta: unknown): number {
  if (typeof delta !== 'object' || delta === null) return 0;
  const d = delta as { text?: unknown; thinking?: unknown; partial_json?: unknown };
  const text = d.text ?? d.thinking ?? d.partial_json;
  return typeof text === 'string' ? text.length : 0;
}
