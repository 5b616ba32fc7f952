import { isAscii } from 'node:buffer';

const PIECE = 4096;
/** Below this many bytes the text is under 64 K UTF-16 units, which V8 keeps out of its large-object space. */
const PLAIN_MAX = 65_520;
const NON_ASCII = /[\u0080-\uffff]/g;
/** An odd run of backslashes right before a non-ASCII character: an invalid escape the rewrite would make valid. */
const ESCAPED_NON_ASCII = /(?<!\\)(?:\\\\)*\\[\u0080-\uffff]/;

const unicodeEscape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * UTF-8 JSON bytes as text for `JSON.parse`. A large body with a few non-ASCII characters has them
 * written as `\uXXXX` escapes, so that it stays one flat one-byte string: the same values.
 *
 * Why: Node 20's V8 puts a string of more than 64 K two-byte characters in its large-object space,
 * and decoding into one is ten times slower than into a smaller one (0.12 ms for 70 KB against
 * 11 µs for 64 KB, one emoji in each); JSON.parse reads it slower too. Claude Code's bodies are of
 * that size and hold a few emoji: 0.31 ms to decode and parse the 73 KB capture plainly, 0.12 ms
 * this way (ASCII pieces copied as they are, the few others decoded small and escaped). Smaller
 * bodies, all-ASCII ones, and those whose non-ASCII characters are many or spread out take the
 * plain decode (the checks cost ~2–10 % of it when they say so). Non-ASCII characters are only
 * valid inside JSON strings, where any character may be escaped, so the parsed value is the same;
 * text that is not valid JSON stays invalid: the one rewrite that could make it valid (a backslash
 * before a non-ASCII character) takes the plain decode instead.
 */
export function jsonText(bytes: Uint8Array): string {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < PLAIN_MAX || isAscii(buf)) return buf.toString('utf8');
  // Escaping pays only where non-ASCII text is rare and bunched (Claude Code's bodies: 2 to 4 pieces
  // of 15 to 27); spread through the body, decoding piece by piece costs more than it saves.
  if (!mostlyAsciiPieces(buf)) return buf.toString('utf8');
  const pieces = asciiPieces(buf);
  // And within those pieces, a few characters per kilobyte at most (not a page of another script).
  let budget = buf.length >> 7;
  const parts: Buffer[] = [];
  for (const { bytes: piece, ascii } of pieces) {
    if (ascii) parts.push(piece);
    else {
      const text = piece.toString('utf8');
      // A character takes one to three bytes more than its UTF-16 units: enough to bound the count.
      budget -= piece.length - text.length;
      if (budget < 0 || ESCAPED_NON_ASCII.test(text)) return buf.toString('utf8');
      parts.push(Buffer.from(text.replace(NON_ASCII, unicodeEscape), 'latin1'));
    }
  }
  return Buffer.concat(parts).toString('latin1');
}

/** The body in pieces of about 4 KB that end before an ASCII byte: no character is cut, and no escape spans two pieces. */
function asciiPieces(buf: Buffer): { bytes: Buffer; ascii: boolean }[] {
  const pieces: { bytes: Buffer; ascii: boolean }[] = [];
  for (let start = 0; start < buf.length; ) {
    let end = Math.min(start + PIECE, buf.length);
    while (end < buf.length && buf[end]! >= 0x80) end++;
    const bytes = buf.subarray(start, end);
    pieces.push({ bytes, ascii: isAscii(bytes) });
    start = end;
  }
  return pieces;
}

/**
 * Whether at most a quarter of the body's 4 KB pieces hold anything but ASCII (a native check each).
 * It runs before `asciiPieces` and not on its pieces: cutting walks each non-ASCII run byte by byte
 * to its end, which on text that is mostly another script costs ~15 % of the plain decode.
 */
function mostlyAsciiPieces(buf: Buffer): boolean {
  let mixed = 0;
  for (let start = 0; start < buf.length; start += PIECE) if (!isAscii(buf.subarray(start, start + PIECE))) mixed++;
  return mixed * 4 <= Math.ceil(buf.length / PIECE);
}
