import { sseFeed } from '../../http/sse';
import type { TokenUsage } from '../../usage/tokens';
import { parseEventData } from '../anthropic/sse';
import { usageFromResponses } from './usage';

/** The events of OpenAI's media streams that carry output: the first marks the first token. */
const DELTAS = new Set(['transcript.text.delta', 'speech.audio.delta', 'image_generation.partial_image', 'image_edit.partial_image']);
/** The events that end them, with the usage when the model counts tokens. */
const DONE = new Set(['transcript.text.done', 'speech.audio.done', 'image_generation.completed', 'image_edit.completed']);

/**
 * What the gateway learns from a streamed transcription (`transcript.text.delta` … `.done`),
 * speech (`speech.audio.delta` … `.done`, `stream_format: "sse"`) or image (`image_generation.partial_image`
 * … `.completed`) while its bytes pass on
 * untouched: the first delta, the end, its `usage` (input and output tokens), an in-band error.
 * These streams end with their `.done` event, not `[DONE]`.
 *
 * @example
 * const meter = new MediaStreamMeter(performance.now());
 * for await (const chunk of upstream.body) { yield chunk; meter.feed(chunk); }
 */
export class MediaStreamMeter {
  usage: TokenUsage | undefined;
  firstTokenMs: number | undefined;
  complete = false;
  error: string | undefined;
  readonly feed: (chunk: Uint8Array | string) => void;

  constructor(
    readonly start: number,
    readonly now: () => number = performance.now.bind(performance),
  ) {
    this.feed = sseFeed((event) => this.#observe(event.event, event.data));
  }

  #observe(name: string | undefined, data: string): void {
    if (name !== undefined && DELTAS.has(name)) {
      this.firstTokenMs ??= this.now() - this.start;
      return;
    }
    const event = parseEventData(data);
    if (!event) return;
    const type = typeof event.type === 'string' ? event.type : name;
    if (type !== undefined && DELTAS.has(type)) {
      this.firstTokenMs ??= this.now() - this.start;
      return;
    }
    if (type === 'error' || (type === undefined && event.error !== undefined)) {
      const inner = (event.error ?? event) as { message?: unknown };
      this.error = typeof inner.message === 'string' ? inner.message : 'upstream error';
      return;
    }
    if (type === undefined || !DONE.has(type)) return;
    this.complete = true;
    const usage = usageFromResponses(event.usage);
    if (usage) this.usage = usage;
  }
}
