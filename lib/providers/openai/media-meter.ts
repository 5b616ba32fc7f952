import { GatewayError } from '../../http/errors';
import { sseTap, type StreamTap } from '../../http/sse-tap';
import type { TokenUsage } from '../../usage/tokens';
import { parseEventData } from '../anthropic/sse';
import { usageFromResponses } from './usage';

/** The events of OpenAI's media streams that carry output: the first marks the first token. */
const DELTAS = new Set(['transcript.text.delta', 'speech.audio.delta', 'image_generation.partial_image', 'image_edit.partial_image']);
/** The events that end them, with the usage when the model counts tokens. */
const DONE = new Set(['transcript.text.done', 'speech.audio.done', 'image_generation.completed', 'image_edit.completed']);
/** The events that each bring one finished image (an image stream has one per image asked, `n`). */
const IMAGE_DONE = new Set(['image_generation.completed', 'image_edit.completed']);

/**
 * What the gateway learns from a streamed transcription (`transcript.text.delta` … `.done`),
 * speech (`speech.audio.delta` … `.done`, `stream_format: "sse"`) or image (`image_generation.partial_image`
 * … `.completed`) while its bytes pass on
 * untouched: the first delta, the end, its `usage` (input and output tokens), an in-band error.
 * These streams end with their `.done` event, not `[DONE]`.
 *
 * An image stream with `n` > 1 has a `.completed` event per image, each with that image's usage:
 * `images` counts them (the units a price per image is charged for), their output tokens add up,
 * and the input is the largest one reported, since the prompt is read once (a whole answer's usage
 * counts it once for all `n`; OpenAI does not document the per-event split, so this is the
 * conservative reading of it).
 *
 * @example
 * const meter = new MediaStreamMeter(performance.now());
 * for await (const chunk of upstream.body) { yield chunk; meter.feed(chunk); }
 */
export class MediaStreamMeter implements StreamTap {
  usage: TokenUsage | undefined;
  firstTokenMs: number | undefined;
  complete = false;
  /** The finished images of an image stream (0 for other media). */
  images = 0;
  /**
   * An in-band error, as the client had it: a media stream's error events go on as the upstream
   * wrote them, so its words are the upstream's and nothing of it is the log's alone (no `detail`),
   * and it is booked without a code.
   */
  error: GatewayError | undefined;
  /** Reads the stream's raw bytes (or text) as they pass (`StreamTap`). */
  readonly feed: StreamTap['feed'];
  /** The stream ended normally: reads what is still held (`StreamTap`). */
  readonly end: StreamTap['end'];

  constructor(
    readonly start: number,
    readonly now: () => number = performance.now.bind(performance),
  ) {
    ({ feed: this.feed, end: this.end } = sseTap((event) => this.#observe(event.event, event.data)));
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
      this.error = new GatewayError('upstream_error', typeof inner.message === 'string' ? inner.message : 'upstream error');
      return;
    }
    if (type === undefined || !DONE.has(type)) return;
    this.complete = true;
    const usage = usageFromResponses(event.usage);
    if (IMAGE_DONE.has(type)) {
      this.images++;
      if (usage) this.usage = this.usage ? withImage(this.usage, usage) : usage;
    } else if (usage) this.usage = usage;
  }
}

/** One more image's usage onto an image stream's: its output added, the prompt counted once. */
function withImage(sofar: TokenUsage, image: TokenUsage): TokenUsage {
  return { ...sofar, input: Math.max(sofar.input, image.input), output: sofar.output + image.output, reasoning: sofar.reasoning + image.reasoning };
}
