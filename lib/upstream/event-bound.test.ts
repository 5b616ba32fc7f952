import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { eventBound, upstreamLimits } from './event-bound';

const bytes = (s: string) => Buffer.from(s, 'latin1');

/** Feeds the chunks in order; the index of the first refused, or -1 when all were taken. */
function firstRefused(framing: 'sse' | 'event-stream', limit: number, chunks: Uint8Array[]): number {
  const bound = eventBound(framing, limit);
  return chunks.findIndex((chunk) => !bound.take(chunk));
}

describe('eventBound, SSE', () => {
  it.each([
    ['events ending in LF blank lines', ['data: 12345\n\n', 'data: 12345\n\n', 'data: 12345\n\n'], -1],
    ['events ending in CRLF blank lines', ['data: 12345\r\n\r\n', 'data: 12345\r\n\r\n'], -1],
    ['events ending in CR blank lines', ['data: 12345\r\r', 'data: 12345\r\r'], -1],
    ['a blank line split across two chunks (LF | LF)', ['data: 1234567\n', '\ndata: 1234567\n', '\n'], -1],
    ['a blank line split across two chunks (CRLF | CRLF)', ['data: 123456\r\n', '\r\ndata: 123456\r\n', '\r\n'], -1],
    ['an event cut across chunks, ending within the bound', ['data: 12', '34567', '8\n\n'], -1],
    ['an event growing past the bound without a blank line', ['data: 123', '4567890', '12345'], 2],
    ['lines that never make a blank line (CRLF, one each)', ['data: 1\r\n', 'data: 2\r\n', 'data: 3\r\n'], 2],
    ['the bytes after the last blank line of a chunk', ['data: 1\n\ndata: 1234567890123', '45678901'], 1],
    ['a chunk holding only part of the next event after a blank line', ['data: 1\n\ndata: 1', '2345\n\n'], -1],
    // To the spec LF then a lone CR is a blank line, but the relays hold an event until one of the four
    // boundaries above (InBandErrorGuard): counted as one event, as they hold it.
    ['LF then a lone CR, never a boundary the relays let go at', ['data: 1\n\rdata: 2\n\rdata: 3\n\r'], 0],
    ['CRLF then a lone CR, likewise', ['data: 1\r\n\r', 'data: 2\r\n\r', 'data: 3\r\n\r'], 2],
    ['CRLF blank lines cut after their first CR', ['data: 12345\r\n\r', '\ndata: 12345\r\n\r', '\n'], -1],
    ['the last blank line found behind lines of LF and CRLF (18 bytes after it)', ['data: 1\r\n\r\nid: 2\ndata: 3\r\nda', 't'], -1],
    ['the last blank line found behind lines of LF and CRLF, the event then passing the bound', ['data: 1\r\n\r\nid: 2\ndata: 3\r\nda', 'ta: 4'], 1],
  ])('%s', (_name, chunks, refused) => {
    // A bound of 20 bytes: each event of these cases is at most that when it ends in time.
    expect(firstRefused('sse', 20, chunks.map(bytes))).toBe(refused);
  });

  it('forgets an event once it ended, however long the stream', () => {
    const bound = eventBound('sse', 64);
    for (let i = 0; i < 10_000; i++) expect(bound.take(bytes(`data: {"n":${i}}\n\n`))).toBe(true);
  });

  it('looks back through a chunk of many lines and no blank line once, not once a line', () => {
    // 1 MiB of one event's lines (multi-line data, LF only): a look back that searched the whole chunk
    // again for a CR at each line end took ~0.4 s a chunk here; once through, about a millisecond.
    const line = 'data:   "key": "value",\n';
    const chunk = Buffer.from(line.repeat(Math.ceil((1024 * 1024) / line.length)));
    const bound = eventBound('sse', 32 * 1024 * 1024);
    const start = performance.now();
    for (let i = 0; i < 4; i++) expect(bound.take(chunk)).toBe(true);
    expect(performance.now() - start).toBeLessThan(200);
  });

  it('names the bound in its error, not the content', () => {
    const error = eventBound('sse', 1024).error();
    expect(error).toMatchObject({ status: 502, code: 'upstream_event_too_large', detail: 'one event passed 1024 bytes (limits.maxUpstreamEventBytes)' });
  });
});

describe('eventBound, event stream', () => {
  const codec = new EventStreamCodec(toUtf8, fromUtf8);
  const frame = (payload: string) => codec.encode({ headers: { ':event-type': { type: 'string', value: 'chunk' } }, body: fromUtf8(payload) });
  /** A prelude announcing `length`, without the frame it announces. */
  const prelude = (length: number) => {
    const out = Buffer.alloc(12);
    out.writeUInt32BE(length, 0);
    return out;
  };

  it('takes frames within the bound, whole, several to a chunk, or cut anywhere', () => {
    const frames = Buffer.concat([frame('a'.repeat(100)), frame('b'.repeat(200)), frame('c')]);
    expect(firstRefused('event-stream', 512, [frames])).toBe(-1);
    for (const cut of [1, 2, 3, 5, 13, 150, frames.length - 1]) {
      expect(firstRefused('event-stream', 512, [frames.subarray(0, cut), frames.subarray(cut)])).toBe(-1);
    }
    expect(firstRefused('event-stream', 512, [...frames].map((b) => Uint8Array.of(b)))).toBe(-1);
  });

  it('refuses a frame whose prelude announces more than the bound, before any of it arrives', () => {
    expect(firstRefused('event-stream', 1024, [frame('ok'), prelude(1025)])).toBe(1);
    // The length's four bytes cut across chunks.
    const big = prelude(4 * 1024 * 1024);
    expect(firstRefused('event-stream', 1024, [frame('ok'), big.subarray(0, 2), big.subarray(2, 3), big.subarray(3)])).toBe(3);
  });

  it('reads a length of 2 GiB or more as the number it is', () => {
    expect(firstRefused('event-stream', 1024, [prelude(0xffff_fff0)])).toBe(0);
  });
});

describe('upstreamLimits', () => {
  it('lets a whole answer be eight times one event, 32 MiB and 256 MiB by default', () => {
    expect(upstreamLimits()).toEqual({ eventBytes: 32 * 1024 * 1024, answerBytes: 256 * 1024 * 1024 });
    expect(upstreamLimits(1024 * 1024)).toEqual({ eventBytes: 1024 * 1024, answerBytes: 8 * 1024 * 1024 });
  });

  it('leaves room by default for the largest legal embeddings answer: 2 048 inputs of 3 072 floats, as OpenAI writes it', () => {
    // OpenAI pretty-prints its JSON, one float a line at ten decimals (text-embedding-3-large, encoding_format "float").
    const floats = Array.from({ length: 3072 }, (_, i) => `        ${(i % 2 ? -1 : 1) * (0.0123456789 + i / 1e6)},`.replace(/(\.\d{10})\d+/, '$1')).join('\n');
    const item = `    {\n      "object": "embedding",\n      "index": 2047,\n      "embedding": [\n${floats}\n      ]\n    },\n`;
    const answer = 2048 * Buffer.byteLength(item);
    // About 135 MiB: more than twice what twice the default event bound (64 MiB) let through.
    expect(answer).toBeGreaterThan(128 * 1024 * 1024);
    expect(upstreamLimits().answerBytes).toBeGreaterThan(answer);
  });
});
