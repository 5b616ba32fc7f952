import { StringDecoder } from 'node:string_decoder';

const BOM = 0xfeff;

/**
 * A stream's bytes as text, chunk by chunk, where chunks may cut a UTF-8 character anywhere: the
 * text `TextDecoder` gives with `{ stream: true }` (a BOM at the very start dropped, malformed bytes
 * as U+FFFD, `utf8-stream.test.ts` holds them equal), from node's StringDecoder. A TextDecoder opens
 * an ICU converter for each decoder and goes through it for every chunk: ~1 µs warm and 15–20 µs
 * on a cold core for each stream a reader starts, on the first chunk's path (`utf8-stream.bench.ts`).
 *
 * @example
 * const text = new Utf8Stream();
 * text.write(Uint8Array.of(0xef, 0xbb, 0xbf, 0x61, 0xe2, 0x82)); // 'a'
 * text.write(Uint8Array.of(0xac)); // '€'
 * text.end(); // ''
 */
export class Utf8Stream {
  readonly #decoder = new StringDecoder('utf8');
  #started = false;

  /** The text of `chunk`, less the bytes of a character it cuts (they come with the next). */
  write(chunk: Uint8Array): string {
    return this.#first(this.#decoder.write(chunk));
  }

  /** What is still held: a character cut by the stream's end, as U+FFFD. */
  end(): string {
    return this.#first(this.#decoder.end());
  }

  #first(text: string): string {
    if (this.#started || text === '') return text;
    this.#started = true;
    return text.charCodeAt(0) === BOM ? text.slice(1) : text;
  }
}
