import type { GatewayError } from './errors';
import { SseReader } from './sse';
import { SseEventEnds } from './sse-event-ends';

/**
 * How a passed-through stream's events are told apart in its bytes: `sse` ends each event with a
 * blank line (`\n\n`, `\r\n\r\n`, `\n\r\n`, `\r\r`); `array` is Gemini's JSON array without `alt=sse`,
 * which Google pretty-prints (`[{\n  "candidates": …\n}` then `\n,\r\n{\n …\n}` and `]`): a
 * top-level element ends with the only `}` that starts a line (nested ones are indented, and a
 * string holds no raw newline). An array whose first element is not pretty-printed is passed on
 * unguarded, as before: its element ends cannot be found without parsing every byte.
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
   * with the `[` or `,` and spaces before it) → what to send instead, and the error it reported;
   * or undefined when the event is no error (it then goes on unchanged).
   */
  rewrite(event: string): { text: string; error: GatewayError } | undefined;
}

// One event and the blank line that ends it (any of SSE's line ends, twice; a CR before an LF is one line end, not two).
const SSE_EVENT = /([\s\S]*?)((?:\r\n|\r(?!\n)|\n)(?:\r\n|\r(?!\n)|\n))/g;
// One array element, with what stands before it, to its closing `}` at the start of a line.
const ARRAY_ELEMENT = /([\s\S]*?\n\})()/g;

/**
 * Passes a same-dialect stream on as the upstream's bytes and swaps each in-band error event for
 * the gateway's own, made safe as the provider's HTTP error path makes it (`rule.rewrite`).
 *
 * Only whole events leave: a chunk goes on as it came (the same buffer, no copy) when it ends on
 * an event boundary, which is how upstreams write; an event cut across chunks waits for its end
 * (a client cannot use half an event anyway), and only then are the pieces joined, once. A run
 * of whole events is decoded and split only when it holds one of `rule.markers`; the others pay
 * a look at their last bytes and a native byte search per marker. What the source still holds
 * when it ends goes on (or is rewritten) as it is, unless it holds a marker yet reads as no
 * error: then it is dropped, as a cut-off error might be.
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
  readonly #ends: EventEnds;
  readonly #split: RegExp;
  // The start of an event still coming, as the chunks that brought it (joined once it is whole).
  readonly #held: Buffer[] = [];
  // An array's layout, known once its first element has begun; none for SSE.
  #layout: ArrayLayout | undefined;

  constructor(
    readonly rule: InBandErrorRule,
    readonly framing: EventFraming = 'sse',
  ) {
    this.#markers = rule.markers.map((m) => Buffer.from(m));
    this.#ends = framing === 'sse' ? new SseEventEnds() : new ArrayElementEnds();
    this.#split = framing === 'sse' ? SSE_EVENT : ARRAY_ELEMENT;
    this.#layout = framing === 'array' ? 'unknown' : undefined;
  }

  /**
   * What to send now for the next chunk of the source: the chunk itself when it ends on a
   * boundary and holds no marker (the common case), whole events rewritten where they are
   * errors, or nothing while an event is still incomplete. Synchronous, so a relay that already
   * has a loop over the source calls it there rather than adding a generator.
   */
  pass(chunk: Uint8Array): Uint8Array | undefined {
    const bytes = asBuffer(chunk);
    if (bytes.length === 0) return undefined;
    const held = this.#held;
    if (this.#layout === 'unknown') {
      // What is held has no `{` but maybe its last byte (else the layout would be known): only that
      // byte is looked at again, not all held (copied again at each chunk, that grew as its square).
      const last = lastByteOf(held);
      this.#layout = arrayLayout(last ? Buffer.concat([last, bytes]) : bytes);
      if (this.#layout === 'compact') return Buffer.concat([...held.splice(0), bytes]);
    }
    if (this.#layout === 'compact') return bytes;
    const end = this.#ends.lastEnd(bytes);
    if (end < 0) {
      held.push(bytes);
      return undefined;
    }
    const joined = held.length > 0 ? Buffer.concat([...held.splice(0), bytes]) : bytes;
    const cut = joined.length - bytes.length + end;
    if (cut < joined.length) held.push(joined.subarray(cut));
    const whole = cut < joined.length ? joined.subarray(0, cut) : joined;
    return this.#hasMarker(whole) ? this.#rewritten(whole) : whole;
  }

  /** Whether bytes are held back now: the client has had nothing of the event they begin. */
  get holding(): boolean {
    return this.#held.length > 0;
  }

  /**
   * What is left once the source has ended: an event that came without the boundary after it,
   * rewritten when it is an error.
   *
   * In an array, an element that holds a marker but reads as no error is dropped, since it may be
   * an error cut off before the rule could read it; one without a marker goes on as it came.
   *
   * In SSE, that event goes on only when the gateway's own reader reads it (`SseReader.end`: its
   * data `[DONE]` or a JSON object), and then with the blank line it lacked: what follows it (the in-band
   * error the gateway ends a cut stream with) must not be glued to its last line, and a client
   * that drops an event without its blank line (Anthropic's) must still read a rewritten error.
   * The start of an event cut off is dropped: no client can use it, and glued to the error that
   * follows, it made both unreadable.
   */
  end(): Uint8Array | undefined {
    if (this.#held.length === 0) return undefined;
    const rest = Buffer.concat(this.#held.splice(0));
    if (this.framing === 'sse') {
      if (!readsAsEvent(rest)) return undefined;
      const framed = Buffer.concat([rest, rest[rest.length - 1] === LF ? BLANK_AFTER_LF : BLANK]);
      return this.#hasMarker(framed) ? this.#rewritten(framed) : framed;
    }
    return this.#hasMarker(rest) ? this.#rewritten(rest, true) : rest;
  }

  /** The source's bytes, less its error events, which come out rewritten (`pass` and `end` as a generator). */
  async *relay(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      const out = this.pass(chunk);
      if (out) yield out;
    }
    const rest = this.end();
    if (rest) yield rest;
  }

  #hasMarker(bytes: Buffer): boolean {
    for (const m of this.#markers) if (bytes.includes(m)) return true;
    return false;
  }

  /** Whole events holding a marker: each error among them rewritten, the others as they came (`ended`: see `end`). */
  #rewritten(bytes: Buffer, ended = false): Buffer {
    const text = bytes.toString('utf8');
    let out = '';
    let last = 0;
    const events = new RegExp(this.#split);
    for (let m = events.exec(text); m; m = events.exec(text)) {
      out += this.#event(m[1]!) + m[2]!;
      last = events.lastIndex;
    }
    // The stream's last event may come without the boundary after it.
    if (last < text.length) {
      const tail = text.slice(last);
      const event = this.#event(tail);
      if (!ended || event !== tail || !this.rule.markers.some((m) => tail.includes(m))) out += event;
    }
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

/** Whether an SSE stream's last bytes, without the blank line after them, hold an event the gateway's reader reads. */
function readsAsEvent(bytes: Uint8Array): boolean {
  let read = false;
  const reader = new SseReader({ onEvent: () => (read = true) });
  reader.feed(bytes);
  reader.end();
  return read;
}

type ArrayLayout = 'unknown' | 'pretty' | 'compact';

/** Whether an array stream's first element is pretty-printed (`[{` and a line end), as Google writes it, once its first bytes have come. */
function arrayLayout(start: Buffer): ArrayLayout {
  const brace = start.indexOf('{');
  if (brace < 0 || brace + 1 >= start.length) return 'unknown';
  return start[brace + 1] === 0x0a || start[brace + 1] === 0x0d ? 'pretty' : 'compact';
}

/** The last byte of the chunks, if they have any. */
function lastByteOf(chunks: readonly Buffer[]): Buffer | undefined {
  for (let i = chunks.length - 1; i >= 0; i--) if (chunks[i]!.length > 0) return chunks[i]!.subarray(-1);
  return undefined;
}

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** Where the events of a stream end, chunk by chunk: the index in `chunk` just past the last end in it (begun in it or before), or -1. */
interface EventEnds {
  lastEnd(chunk: Buffer): number;
}

const LF = 0x0a;
// The blank line an SSE stream's last event lacked: after an LF, one more; after a CR or none, an LF
// alone would make one line end (a CRLF) with a CR before it, so two.
const BLANK_AFTER_LF = Buffer.from('\n');
const BLANK = Buffer.from('\n\n');
const BRACE = 0x7d;
const ELEMENT_END = Buffer.from('\n}');

/** A pretty-printed array's element ends: a `}` that starts a line, across chunk ends too. */
class ArrayElementEnds implements EventEnds {
  // The stream's last byte before the next chunk: an LF there and a `}` first in the chunk end an element.
  #last = -1;

  lastEnd(chunk: Buffer): number {
    const n = chunk.length;
    if (n === 0) return -1;
    const before = this.#last;
    this.#last = chunk[n - 1]!;
    // Google writes whole elements: a chunk nearly always ends with one, found without a search.
    if (chunk[n - 1] === BRACE && (n > 1 ? chunk[n - 2] : before) === LF) return n;
    const at = chunk.lastIndexOf(ELEMENT_END);
    if (at >= 0) return at + ELEMENT_END.length;
    return chunk[0] === BRACE && before === LF ? 1 : -1;
  }
}
