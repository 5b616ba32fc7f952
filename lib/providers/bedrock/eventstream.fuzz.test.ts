import { toUtf8 } from '@smithy/util-utf8';
import { fuzzer } from '../../../test/fuzz';
import { chunkPayloadBytes, headerText } from './eventstream';

/** What a read gave: the string or undefined, or the kind of error thrown. */
function outcome(read: () => string | undefined): string | undefined | typeof SyntaxError | unknown {
  try {
    return read();
  } catch (err) {
    return err instanceof SyntaxError ? SyntaxError : err;
  }
}

/** The read the fast path stands in for: JSON.parse of the payload as UTF-8, its `bytes` if a string. */
const byJsonParse = (body: Uint8Array) => (JSON.parse(toUtf8(body)) as { bytes?: unknown } | null)?.bytes;

/**
 * Bedrock's own payloads cut, spliced and overwritten at random with the pieces that could fool a
 * pattern (escapes, quotes, a second `bytes`, whitespace and line ends, bytes past ASCII, a BOM,
 * trailing text): each read exactly as JSON.parse reads it, the same string or the same SyntaxError.
 */
const PAYLOADS = ['{"bytes":"eyJ0eXBlIjoicGluZyJ9"}', '{"bytes":"eyJ0eXBlIjoicGluZyJ9","p":"abcdefXYZ0123"}'];
const PIECES = ['{', '}', '"', ':', ',', '"bytes"', '"p"', '"bytes":"QUJD"', 'A', '/', '+', '=', '\\', '\\/', '\\u0041', '\\"', ' ', '\n', '\r', '\t', 'ž', '🐴', '\u2028', '\uFEFF', '\u0000', 'null', '42', '[', ']', 'x', '{"bytes":"QQ=="}'];

it('reads 30 000 mangled chunk payloads exactly as JSON.parse does', () => {
  const { random, pick } = fuzzer(41, { names: [], scalars: [] });
  const at = (text: string) => Math.floor(random() * (text.length + 1));
  let fast = 0;
  let differentFromBedrock = 0;
  const wrong: { text: string; read: unknown; expected: unknown }[] = [];
  for (let i = 0; i < 30_000; i++) {
    let text = pick(PAYLOADS);
    for (let edits = 1 + Math.floor(random() * 3); edits > 0; edits--) {
      const cut = at(text);
      const r = random();
      if (r < 0.4) text = text.slice(0, cut) + pick(PIECES) + text.slice(cut);
      else if (r < 0.7) text = text.slice(0, cut) + text.slice(cut + 1 + Math.floor(random() * 3));
      else text = text.slice(0, cut) + pick(PIECES) + text.slice(cut + 1);
    }
    const body = Buffer.from(text, 'utf8');

    const read = outcome(() => chunkPayloadBytes(body));

    const expected = outcome(() => {
      const bytes = byJsonParse(body);
      return typeof bytes === 'string' ? bytes : undefined;
    });
    if (read !== expected) wrong.push({ text, read, expected });
    if (!PAYLOADS.includes(text)) differentFromBedrock++;
    if (/^\{"bytes":"[A-Za-z0-9+/=]*"(,"p":"[A-Za-z0-9]*")?\}$/.test(text)) fast++;
  }
  expect(wrong).toEqual([]);
  // The pattern's ground was covered as well as the fallback's: many mangled payloads still read fast.
  expect(differentFromBedrock).toBeGreaterThan(25_000);
  expect(fast).toBeGreaterThan(1_000);
});

it('reads 30 000 random header byte strings exactly as toUtf8 does', () => {
  const { random, pick } = fuzzer(43, { names: [], scalars: [] });
  // Bytes that start, continue or break UTF-8 sequences (BOM, surrogates, overlongs, past U+10FFFF), among any byte.
  const TRICKY = [0xef, 0xbb, 0xbf, 0xed, 0xa0, 0x80, 0xbf, 0xf0, 0x9f, 0x90, 0xb4, 0xc0, 0xc1, 0xf4, 0x90, 0xf8, 0xfe, 0xff, 0x61, 0x3a];
  const wrong: { bytes: number[]; text: string; expected: string }[] = [];
  for (let i = 0; i < 30_000; i++) {
    const tail = Array.from({ length: Math.floor(random() * 14) }, () => (random() < 0.25 ? Math.floor(random() * 256) : pick(TRICKY)));
    // A tenth lead with a BOM: a decoder that strips it (TextDecoder's default) must be caught.
    const bytes = Uint8Array.from(random() < 0.1 ? [0xef, 0xbb, 0xbf, ...tail] : tail);
    // A view inside a larger buffer, as the codec hands a header.
    const view = Uint8Array.from([0x7a, ...bytes, 0x7a]).subarray(1, bytes.length + 1);

    const text = headerText(view);

    const expected = toUtf8(view);
    if (text !== expected) wrong.push({ bytes: [...bytes], text, expected });
  }
  expect(wrong).toEqual([]);
});
