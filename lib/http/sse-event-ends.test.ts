import { lastBlankLineEnd, SseEventEnds } from './sse-event-ends';

const bytes = (s: string) => Buffer.from(s, 'latin1');
const BOM = '\xef\xbb\xbf';

/** The ends `SseEventEnds` finds in each chunk of one stream, in order. */
function endsOf(chunks: string[]): number[] {
  const ends = new SseEventEnds();
  return chunks.map((chunk) => ends.lastEnd(bytes(chunk)));
}

describe('lastBlankLineEnd', () => {
  it.each([
    ['an event ending in LF LF', 'data: 1\n\n', 9],
    ['an event ending in CRLF CRLF', 'data: 1\r\n\r\n', 11],
    ['an event ending in CR CR', 'data: 1\r\r', 9],
    ['LF then CRLF', 'data: 1\n\r\n', 10],
    ['CRLF then LF', 'data: 1\r\n\n', 10],
    ['the last of several events', 'data: 1\n\ndata: 2\n\ndata: 3', 18],
    ['the last of several events, far before the end (the native search)', 'data: 1\r\n\r\nid: 2\ndata: 3\r\ndata: 4', 11],
    ['a chunk of lines and no blank line', 'data: 1\ndata: 2\r\ndata: 3\rdata: 4', -1],
    ['a line end alone', '\n', -1],
    ['LF then a lone CR (no end: it may be the start of CRLF)', 'data: 1\n\r', -1],
    ['CRLF then a lone CR, with text after it', 'data: 1\r\n\rdata: 2', -1],
    ['a BOM before the first event', `${BOM}data: 1\n\n`, 12],
    ['a BOM and a blank line', `${BOM}\n\n`, 5],
    ['nothing', '', -1],
  ])('%s', (_name, chunk, expected) => {
    expect(lastBlankLineEnd(bytes(chunk), -1, -1)).toBe(expected);
  });

  it.each([
    ['LF | LF', 'a\n', '\n', 1],
    ['LF CR | LF', '\n\r', '\n', 1],
    ['LF | CR LF', 'a\n', '\r\n', 2],
    ['CR | CR', 'a\r', '\r', 1],
    ['CR | LF (one CRLF, no blank line)', 'a\r', '\n', -1],
    ['text | LF', 'aa', '\n', -1],
    ['nothing | LF (the first byte of the stream)', '', '\n', -1],
  ])('finds a blank line begun before the chunk (%s)', (_name, before, chunk, expected) => {
    // The stream's two bytes before the chunk, newest first, as SseEventEnds keeps them.
    const at = (i: number) => (i >= 0 ? before.charCodeAt(i) : -1);
    expect(lastBlankLineEnd(bytes(chunk), at(before.length - 1), at(before.length - 2))).toBe(expected);
  });
});

describe('SseEventEnds', () => {
  it.each([
    ['one event a chunk', ['data: 1\n\n', 'data: 2\n\n'], [9, 9]],
    ['an event cut in three', ['data: 1\n\nda', 'ta: ', '2\n\n'], [9, -1, 3]],
    ['LF LF split across chunks', ['data: 1\n', '\ndata: 2\n', '\n'], [-1, 1, 1]],
    ['CRLF CRLF split after each byte', ['data: 1', '\r', '\n', '\r', '\n'], [-1, -1, -1, -1, 1]],
    ['CR CR split across chunks', ['data: 1\r', '\r'], [-1, 1]],
    ['a blank line begun two chunks back', ['data: 1\n', '\r', '\n'], [-1, -1, 1]],
    ['empty chunks between the halves of a blank line', ['data: 1\n', '', '\n'], [-1, -1, 1]],
    ['a BOM cut from its stream', ['\xef', '\xbb\xbf', 'data: 1\n\n'], [-1, -1, 9]],
    ['a line end after an event that ended (another blank line)', ['data: 1\n\n', '\n'], [9, 1]],
  ])('%s', (_name, chunks, expected) => {
    expect(endsOf(chunks)).toEqual(expected);
  });
});
