/**
 * Gemini's other stream: `streamGenerateContent` without `alt=sse` answers one JSON array written
 * progressively (`[{…}\n,\r\n{…}\n]`, each element pretty-printed), with `application/json` as
 * its type. Reading it on the side needs each top-level element as soon as its closing brace
 * arrives. @streamparser/json (`paths: ['$.*']`) would hand over elements, but it tokenizes and
 * builds every value while the meter's decoder wants the element's text (and parses it once), and
 * ending a cut array needs to know whether the cut fell inside an element; so this is a small
 * splitter that tracks only depth, strings and escapes, fuzzed against `JSON.parse`.
 */

import { Utf8Stream } from './utf8-stream';

/** Where the splitter stands in the array. */
type Phase = 'before' | 'between' | 'inside' | 'after';

/**
 * An incremental splitter of a JSON array's top-level elements. Chunks may cut elements, strings,
 * escapes and UTF-8 characters anywhere. It checks only what it must (brackets, strings, escapes):
 * each element's text is handed over for `JSON.parse` to judge.
 *
 * @example
 * const split = new JsonArraySplitter((text) => console.log(JSON.parse(text)));
 * split.feed('[{"a": 1}\n,\r\n{"b"'); // logs { a: 1 }
 * split.feed(': "]"}\n]');            // logs { b: ']' }; split.closed === true
 */
export class JsonArraySplitter implements ArrayState {
  #phase: Phase = 'before';
  #depth = 0;
  #inString = false;
  #escaped = false;
  // The element so far, as text pieces (joined once it closes: no quadratic concatenation).
  #pieces: string[] = [];
  // What came since the last element was handed over (the open element's pieces, and whatever
  // lies before, between or after elements, or after the input turned out no array): whoever
  // relays the array holds it back until an element ends, so none of it may pass `maxElementChars`.
  #held = 0;
  readonly #text = new Utf8Stream();
  /** Elements handed over so far. */
  elements = 0;
  /** Set when the input is not a JSON array of objects and arrays (the rest is ignored). */
  invalid = false;

  /**
   * `maxElementChars` bounds what is held of one element, and what comes between elements: the
   * feed that takes either past throws `tooLarge()` (the stream's reader ends the stream with it).
   */
  constructor(
    private readonly onElement: (text: string) => void,
    private readonly maxElementChars = Infinity,
    private readonly tooLarge: () => Error = () => new Error(`a JSON array element passed ${maxElementChars} characters`),
  ) {}

  /** The array has been opened (`[` seen). */
  get opened(): boolean {
    return this.#phase !== 'before';
  }

  /** The array has been closed (`]` seen at the top level). */
  get closed(): boolean {
    return this.#phase === 'after';
  }

  /** Part way through an element: a cut here leaves text no closing can make valid. */
  get insideElement(): boolean {
    return this.#phase === 'inside';
  }

  feed(chunk: Uint8Array | string): void {
    if (this.invalid || this.closed) return this.#hold(chunk.length);
    const text = typeof chunk === 'string' ? chunk : this.#text.write(chunk);
    let start = this.#phase === 'inside' ? 0 : -1;
    // Just past the last element that ended in this chunk, if one did.
    let handed = -1;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.#phase === 'inside') {
        if (this.#inString) {
          if (this.#escaped) this.#escaped = false;
          else if (c === BACKSLASH) this.#escaped = true;
          else if (c === QUOTE) this.#inString = false;
        } else if (c === QUOTE) this.#inString = true;
        else if (c === OPEN_BRACE || c === OPEN_BRACKET) this.#depth++;
        else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
          if (--this.#depth === 0) {
            this.#pieces.push(text.slice(start, i + 1));
            const element = this.#pieces.join('');
            this.#pieces = [];
            handed = i + 1;
            this.#phase = 'between';
            this.elements++;
            this.onElement(element);
          }
        }
        continue;
      }
      if (isSpace(c)) continue;
      if (this.#phase === 'before') {
        if (c === OPEN_BRACKET) this.#phase = 'between';
        else return this.#failed(handed, text.length);
      } else if (this.#phase === 'between') {
        if (c === COMMA) continue;
        if (c === CLOSE_BRACKET) {
          this.#phase = 'after';
          return this.#heldSince(handed, text.length);
        }
        // Gemini's elements are objects; a bare scalar has no end this reader could find.
        if (c !== OPEN_BRACE && c !== OPEN_BRACKET) return this.#failed(handed, text.length);
        this.#phase = 'inside';
        this.#depth = 1;
        start = i;
      }
    }
    this.#heldSince(handed, text.length);
    if (this.#phase === 'inside') this.#pieces.push(text.slice(Math.max(0, start)));
  }

  /** The chunk's `length` characters, of which those from `handed` on (all of them when -1) are still held. */
  #heldSince(handed: number, length: number): void {
    if (handed >= 0) this.#held = 0;
    this.#hold(handed >= 0 ? length - handed : length);
  }

  #hold(chars: number): void {
    this.#held += chars;
    if (this.#held <= this.maxElementChars) return;
    this.#fail();
    this.#held = 0;
    throw this.tooLarge();
  }

  #fail(): void {
    this.invalid = true;
    this.#pieces = [];
  }

  /** Not an array this reader can split: the rest is ignored, but still held by whoever relays it. */
  #failed(handed: number, length: number): void {
    this.#fail();
    this.#heldSince(handed, length);
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** Where an array stream stands: what bytes can still end it validly. */
export interface ArrayState {
  readonly opened: boolean;
  readonly closed: boolean;
  readonly insideElement: boolean;
}

/**
 * The bytes that end an array stream cut short with an error element: the `{"error": {code,
 * message, status}}` object Google's API puts in its streams when it fails after the first byte,
 * as the last element, then `]`, so the body stays valid JSON (Google documents no framing for it
 * in the array; this is the gateway's choice): `[…]` if nothing was written yet, `,…]` after a whole element. Nothing when
 * the array is already closed, or when the cut fell inside an element: no bytes can make that
 * valid JSON, and the client's parser fails as on a dropped connection.
 *
 * @example
 * arrayErrorTail({ opened: true, closed: false, insideElement: false }, '{"error": {}}') // '\n,\r\n{"error": {}}\n]'
 */
export function arrayErrorTail(state: ArrayState, json: string): string {
  if (state.closed || state.insideElement) return '';
  return state.opened ? `\n,\r\n${json}\n]` : `[${json}\n]`;
}

/** The headers of an array stream: Google's type, and no buffering by proxies in front of a local gateway. */
export const JSON_ARRAY_STREAM_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'application/json; charset=UTF-8',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
});

/**
 * Writes elements as Google writes this stream: `[` before the first, `\n,\r\n` between, `\n]`
 * after the last (`close`). Each element goes out the moment it is given, so the array adds no
 * delay over SSE. It remembers what it wrote, so an error can still end the array as valid JSON.
 *
 * @example
 * const w = new JsonArrayWriter();
 * w.element('{"a": 1}') + w.element('{"b": 2}') + w.close() // '[{"a": 1}\n,\r\n{"b": 2}\n]'
 */
export class JsonArrayWriter implements ArrayState {
  #count = 0;
  #closed = false;
  readonly insideElement = false;

  get opened(): boolean {
    return this.#count > 0;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The bytes of one more element (its JSON text). */
  element(json: string): string {
    return `${this.#count++ === 0 ? '[' : '\n,\r\n'}${json}`;
  }

  /** The array's end (`[]` when nothing was written); empty once closed. */
  close(): string {
    if (this.#closed) return '';
    this.#closed = true;
    return this.#count === 0 ? '[]' : '\n]';
  }
}

/**
 * An SSE text of `data:` events (the Gemini surface's encoder output) as array pieces: one
 * element per event, written as the event comes, the array closed when the events end.
 *
 * @example
 * for await (const piece of sseAsJsonArray(encodeGeminiStream(events, { model }), new JsonArrayWriter())) write(piece);
 */
export async function* sseAsJsonArray(sse: AsyncIterable<string>, writer: JsonArrayWriter): AsyncGenerator<string> {
  for await (const text of sse) {
    let out = '';
    for (const data of sseDataOf(text)) out += writer.element(data);
    if (out) yield out;
  }
  yield writer.close();
}

/** The `data:` payloads of whole SSE events (the encoder yields whole events, one or more per string). */
export function sseDataOf(text: string): string[] {
  const found: string[] = [];
  for (const event of text.split(/\r?\n\r?\n/)) {
    const lines = event.split(/\r?\n/).filter((l) => l.startsWith('data:'));
    if (lines.length > 0) found.push(lines.map((l) => l.slice(l.startsWith('data: ') ? 6 : 5)).join('\n'));
  }
  return found;
}
