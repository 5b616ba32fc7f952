import type { GatewayError } from './errors';

/**
 * How a passed-through stream's events are told apart in its bytes: `sse` ends each event with a
 * blank line (`\n\n`, `\r\n\r\n`, `\r\r`); `array` is Gemini's JSON array without `alt=sse`,
 * whose writer puts `\n,\r\n` between top-level elements (inside an element a raw newline is only
 * ever followed by indentation or a closing bracket, never by a comma).
 */
export type EventFraming = 'sse' | 'array';

/** What to do with a dialect's in-band error events. */
export interface InBandErrorRule {
  /**
   * Byte strings at least one of which every error event of the dialect holds (`"error"`):
   * a run of whole events with none of them goes on as it came, without being decoded.
   */
  readonly markers: readonly string[];
  /**
   * One whole event's text (an SSE event without the blank line that ends it; an array element
   * with the `[`, `,` and spaces around it) → what to send instead, and the error it reported; or
   * undefined when the event is no error (it then goes on unchanged).
   */
  rewrite(event: string): { text: string; error: GatewayError } | undefined;
}

const SSE_BOUNDARIES = ['\n\n', '\r\n\r\n', '\r\r'].map((b) => Buffer.from(b));
const ARRAY_BOUNDARIES = [Buffer.from('\n,\r\n')];
// One event and the blank line that ends it (any of SSE's line ends, twice), as text.
// A CR followed by LF is one line end, never two.
const SSE_EVENT = /([\s\S]*?)((?:\r\n|\r(?!\n)|\n)(?:\r\n|\r(?!\n)|\n))/g;
const ARRAY_ELEMENT = /([\s\S]*?)(\n,\r\n)/g;

/**
 * Passes a same-dialect stream on as the upstream's bytes and swaps each in-band error event for
 * the gateway's own, made safe as the provider's HTTP error path makes it (`rule.rewrite`).
 *
 * Only whole events leave: a chunk goes on as it came (the same buffer, no copy) when it ends on
 * an event boundary, which is how upstreams write; an event cut across chunks waits for its end
 * (a client cannot use half an event anyway), and only then are the pieces joined. A run of whole
 * events is decoded and split only when it holds one of `rule.markers`; the rest pay two native
 * byte searches a chunk. What the source still holds when it ends goes on (or is rewritten) as it is.
 *
 * @example
 * const guard = new InBandErrorGuard({ markers: ['"error"'], rewrite: (e) => … }, 'sse');
 * for await (const chunk of guard.relay(upstream.body)) write(chunk);
 * if (guard.error) ctx.errorDetail = guard.error.detail;
 */
export class InBandErrorGuard {
  /** The last error event rewritten (its `detail` is what the client was not told). */
  error: GatewayError | undefined;
  readonly #markers: readonly Buffer[];
  readonly #boundaries: readonly Buffer[];
  readonly #split: RegExp;

  constructor(
    readonly rule: InBandErrorRule,
    readonly framing: EventFraming = 'sse',
  ) {
    this.#markers = rule.markers.map((m) => Buffer.from(m));
    this.#boundaries = framing === 'sse' ? SSE_BOUNDARIES : ARRAY_BOUNDARIES;
    this.#split = framing === 'sse' ? SSE_EVENT : ARRAY_ELEMENT;
  }

  /** The source's bytes, less its error events, which come out rewritten. */
  async *relay(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    let held: Buffer | undefined;
    for await (const chunk of source) {
      const bytes = held ? Buffer.concat([held, chunk]) : asBuffer(chunk);
      const end = this.#lastBoundaryEnd(bytes);
      if (end === 0) {
        held = bytes;
        continue;
      }
      held = end < bytes.length ? bytes.subarray(end) : undefined;
      const whole = end < bytes.length ? bytes.subarray(0, end) : bytes;
      yield this.#hasMarker(whole) ? this.#rewritten(whole) : whole;
    }
    if (held) yield this.#hasMarker(held) ? this.#rewritten(held) : held;
  }

  /** The index just past the last event boundary in `bytes`, or 0 when none is whole in it. */
  #lastBoundaryEnd(bytes: Buffer): number {
    // Upstreams write whole events: most chunks end on a boundary, found without a search.
    for (const b of this.#boundaries) if (endsWith(bytes, b)) return bytes.length;
    let end = 0;
    for (const b of this.#boundaries) {
      const at = bytes.lastIndexOf(b);
      if (at >= 0) end = Math.max(end, at + b.length);
    }
    return end;
  }

  #hasMarker(bytes: Buffer): boolean {
    for (const m of this.#markers) if (bytes.includes(m)) return true;
    return false;
  }

  /** Whole events holding a marker: each error among them rewritten, the others as they came. */
  #rewritten(bytes: Buffer): Buffer {
    const text = bytes.toString('utf8');
    let out = '';
    let last = 0;
    const events = new RegExp(this.#split);
    for (let m = events.exec(text); m; m = events.exec(text)) {
      out += this.#event(m[1]!) + m[2]!;
      last = events.lastIndex;
    }
    // The stream's last event may come without the boundary after it.
    if (last < text.length) out += this.#event(text.slice(last));
    return out === text ? bytes : Buffer.from(out);
  }

  #event(text: string): string {
    if (!this.rule.markers.some((m) => text.includes(m))) return text;
    const rewritten = this.rule.rewrite(text);
    if (!rewritten) return text;
    this.error = rewritten.error;
    return rewritten.text;
  }
}

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

function endsWith(bytes: Buffer, tail: Buffer): boolean {
  if (bytes.length < tail.length) return false;
  for (let i = 1; i <= tail.length; i++) if (bytes[bytes.length - i] !== tail[tail.length - i]) return false;
  return true;
}
