/**
 * Where SSE events end in a stream's bytes, read chunk by chunk: just past a blank line, that is
 * `\n\n`, `\r\r` or `\n\r\n` (the end of `\r\n\r\n`), in any mix of line ends and across chunk
 * ends. The one scanner of the relays that hold an event back until its end (`InBandErrorGuard`)
 * and of the bound on one upstream event (`eventBound`), so both cut a stream in the same places.
 *
 * A lone CR after a line end (`\n\r`, then no LF) is a blank line to the spec but no end here: at
 * a chunk's end it cannot be told from the first half of a CRLF, and a relay that let the event go
 * there could cut one in two. A BOM (`EF BB BF`) before the first line is neither CR nor LF and
 * changes nothing.
 */

const LF = 0x0a;
const CR = 0x0d;
// No byte: what stands before a stream's first byte.
const NONE = -1;

/**
 * Finds the end of the last blank line of each chunk of one stream, remembering the last two bytes
 * of the chunks before it (a blank line may straddle them).
 *
 * @example
 * const ends = new SseEventEnds();
 * ends.lastEnd(Buffer.from('data: 1\n\ndata: 2\n')); // 9: just past the first event
 * ends.lastEnd(Buffer.from('\ndata: 3'));            // 1: the blank line begun in the chunk before
 * ends.lastEnd(Buffer.from('more'));                 // -1: no event ended
 */
export class SseEventEnds {
  // The stream's last two bytes before the next chunk (newest first), or NONE.
  #last = NONE;
  #beforeLast = NONE;

  /** The index in `chunk` just past the last blank line that ends in it, or -1. */
  lastEnd(chunk: Uint8Array): number {
    const n = chunk.length;
    if (n === 0) return -1;
    const end = lastBlankLineEnd(chunk, this.#last, this.#beforeLast);
    this.#beforeLast = n > 1 ? chunk[n - 2]! : this.#last;
    this.#last = chunk[n - 1]!;
    return end;
  }
}

/**
 * Just past the chunk's last blank line, or -1 (`last`, `beforeLast`: the stream's two bytes
 * before the chunk, newest first, or -1). Upstreams write whole events, so a chunk nearly always
 * ends with a blank line and the look at its last four bytes finds it at once; before them the
 * line ends are found by the runtime's native byte search, which passes over the text of an event
 * cut across chunks far faster than a loop. LF and CR are searched for apart, each only again once
 * the look back has passed the last one found: a chunk of many lines in one kind of line end is
 * passed over once, not once a line.
 */
export function lastBlankLineEnd(chunk: Uint8Array, last: number, beforeLast: number): number {
  const n = chunk.length;
  const tail = Math.max(0, n - 4);
  for (let i = n - 1; i >= tail; i--) if (endsBlankLine(chunk, i, last, beforeLast)) return i + 1;
  if (tail === 0) return -1;
  let lf = chunk.lastIndexOf(LF, tail - 1);
  let cr = chunk.lastIndexOf(CR, tail - 1);
  while (lf >= 0 || cr >= 0) {
    const i = lf > cr ? lf : cr;
    if (endsBlankLine(chunk, i, last, beforeLast)) return i + 1;
    // (From index -1, `lastIndexOf` would search from the end: at 0 there is nothing left before.)
    if (i === lf) lf = i > 0 ? chunk.lastIndexOf(LF, i - 1) : -1;
    else cr = i > 0 ? chunk.lastIndexOf(CR, i - 1) : -1;
  }
  return -1;
}

/** Whether the byte at `i` ends a blank line: `\n\n`, `\r\r` or `\n\r\n` end there. */
function endsBlankLine(chunk: Uint8Array, i: number, last: number, beforeLast: number): boolean {
  const b = chunk[i]!;
  const before = i > 0 ? chunk[i - 1]! : last;
  if (b === CR) return before === CR;
  if (b !== LF) return false;
  if (before === LF) return true;
  return before === CR && (i > 1 ? chunk[i - 2]! : i === 1 ? last : beforeLast) === LF;
}
