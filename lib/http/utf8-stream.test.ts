import { Utf8Stream } from './utf8-stream';

const bytes = (...b: number[]) => Uint8Array.from(b);
const BOM = [0xef, 0xbb, 0xbf];

function decoded(chunks: Uint8Array[]): string {
  const text = new Utf8Stream();
  return chunks.map((c) => text.write(c)).join('') + text.end();
}

function byTextDecoder(chunks: Uint8Array[]): string {
  const decoder = new TextDecoder();
  return chunks.map((c) => decoder.decode(c, { stream: true })).join('') + decoder.decode();
}

describe('Utf8Stream', () => {
  it.each<[string, Uint8Array[], string]>([
    ['ASCII', [bytes(0x61, 0x62)], 'ab'],
    ['a character cut in two', [bytes(0x61, 0xe2, 0x82), bytes(0xac)], 'a€'],
    ['a four-byte character cut byte by byte', [bytes(0xf0), bytes(0x9f), bytes(0x98), bytes(0x80)], '😀'],
    ['a BOM first is dropped', [bytes(...BOM, 0x61)], 'a'],
    ['a BOM cut from its stream is dropped', [bytes(0xef), bytes(0xbb, 0xbf, 0x61)], 'a'],
    ['a BOM after empty chunks is dropped', [bytes(), bytes(...BOM), bytes(0x61)], 'a'],
    ['a BOM later is kept', [bytes(0x61, ...BOM)], 'a\ufeff'],
    ['a second BOM is kept', [bytes(...BOM, ...BOM)], '\ufeff'],
    ['a character cut by the end is U+FFFD', [bytes(0x61, 0xe2, 0x82)], 'a\ufffd'],
    ['a stray continuation byte is U+FFFD', [bytes(0x61, 0x80, 0x62)], 'a\ufffdb'],
    ['an overlong form is U+FFFD each byte', [bytes(0xc0, 0xaf)], '\ufffd\ufffd'],
  ])('%s', (_name, chunks, text) => {
    expect(decoded(chunks)).toBe(text);
    expect(byTextDecoder(chunks)).toBe(text);
  });

  it('gives what TextDecoder gives for any bytes cut anywhere (seeded)', () => {
    let seed = 11;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    // Whole characters, BOMs, and the malformed: cut characters, stray and invalid bytes, surrogates, past U+10FFFF.
    const pieces = [[0x61], [0x0a], BOM, [0xc3, 0xa9], [0xe2, 0x82, 0xac], [0xf0, 0x9f, 0x98, 0x80], [0x80], [0xc3], [0xe2, 0x82], [0xf0, 0x9f], [0xff], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xc0, 0xaf]];
    for (let round = 0; round < 20_000; round++) {
      const all: number[] = [];
      for (let n = 1 + Math.floor(random() * 8); n > 0; n--) all.push(...pieces[Math.floor(random() * pieces.length)]!);
      const chunks: Uint8Array[] = [];
      let from = 0;
      for (let i = 1; i <= all.length; i++) {
        if (i === all.length || random() < 0.4) {
          chunks.push(Uint8Array.from(all.slice(from, i)));
          from = i;
        }
      }
      const got = decoded(chunks);
      const want = byTextDecoder(chunks);
      if (got !== want) throw new Error(`${JSON.stringify(all)} cut ${JSON.stringify(chunks.map((c) => c.length))}: ${JSON.stringify(got)} !== ${JSON.stringify(want)}`);
    }
  });
});
