import { afterLastBlankLine, SseReader, sseReframed } from './sse';

describe('sseReframed', () => {
  it.each([
    ['one line of data', '{"a":1}', undefined, 'data: {"a":1}\n\n'],
    ['data of several lines, one data line each', 'line 1\nline 2', undefined, 'data: line 1\ndata: line 2\n\n'],
    ['a named event', '{"error":{}}', 'error', 'event: error\ndata: {"error":{}}\n\n'],
  ])('%s', (_name, data, event, expected) => {
    expect(sseReframed(data, event)).toBe(expected);
  });
});

describe('afterLastBlankLine', () => {
  const LF = 0x0a;
  const CR = 0x0d;
  it.each<[string, string, number, number]>([
    ['a whole event, LF', 'data: a\n\n', -1, 9],
    ['a whole event, CRLF', 'data: a\r\n\r\n', -1, 11],
    ['a whole event, CR', 'data: a\r\r', -1, 9],
    ['LF then CRLF', 'data: a\n\r\n', -1, 10],
    ['CRLF then LF', 'data: a\r\n\n', -1, 10],
    ['CR then CRLF', 'data: a\r\r\n', -1, 10],
    ['a whole event and the start of the next', 'data: a\n\ndata: [DO', -1, 9],
    ['CRLF events and the start of the next', 'data: a\r\n\r\ndata: b', -1, 11],
    ['no blank line', 'data: {"a":', -1, -1],
    ['one line end, no blank line', 'data: a\r\n', -1, -1],
    ['a blank line begun in the chunk before (LF)', '\ndata: b', LF, 1],
    ['a blank line begun in the chunk before (CR)', '\rdata: b', CR, 1],
    ['no blank line across the chunks (CR then LF is one line end)', '\ndata: b', CR, -1],
    ['a one-character chunk ending a blank line', '\n', LF, 1],
  ])('%s', (_name, text, before, expected) => {
    expect(afterLastBlankLine(text, before)).toBe(expected);
  });
});

describe('SseReader', () => {
  const read = (pieces: string[], end = true): string[] => {
    const out: string[] = [];
    const reader = new SseReader({ onEvent: (event) => out.push(event.data) });
    for (const piece of pieces) reader.feed(Buffer.from(piece));
    if (end) reader.end();
    return out;
  };
  const bytes = (text: string) => [...text];

  it.each([
    ['LF line ends', ['data: a\n\ndata: [DONE]\n\n'], ['a', '[DONE]']],
    ['CRLF line ends', ['data: a\r\n\r\ndata: [DONE]\r\n\r\n'], ['a', '[DONE]']],
    ['CRLF cut between its CR and LF (read once)', ['data: a\r\n\r', '\n'], ['a']],
    ['CR line ends', ['data: a\r\rdata: [DONE]\r\r'], ['a', '[DONE]']],
    ['CR line ends, a byte at a time', bytes('data: a\r\rdata: [DONE]\r\r'), ['a', '[DONE]']],
    ['LF line ends but a CR as the very last byte', ['data: a\n\ndata: [DONE]\n\r'], ['a', '[DONE]']],
    ['CR line ends, then an empty chunk', ['data: a\r\r', ''], ['a']],
    ['an event without its blank line, its data not whole (LF): not read', ['data: a\n'], []],
    ['an event without its blank line, its data not whole (CR): not read', ['data: a\r'], []],
    ['an event without its blank line, its data not whole (CRLF): not read', ['data: a\r\n'], []],
    ['the start of a JSON event cut off: not read', ['data: a\n\ndata: {"choices":[{"delta":{"content":"hel'], ['a']],
    ['a number cut short, which still parses: not read', ['data: a\n\ndata: 12'], ['a']],
    ['a JSON string, which no dialect ends with: not read', ['data: a\n\ndata: "ab"'], ['a']],
    ['a JSON object on two data lines, the stream cut between them: not read', ['data: a\n\ndata: {"a":\n'], ['a']],
    ['a JSON object on two data lines: read', ['data: a\n\ndata: {"a":\ndata: 1}'], ['a', '{"a":\n1}']],
    ['a last [DONE] without its blank line (LF): read, as the official clients read it', ['data: a\n\ndata: [DONE]\n'], ['a', '[DONE]']],
    ['a last [DONE] without any line end', ['data: a\n\ndata: [DONE]'], ['a', '[DONE]']],
    ['a last [DONE] without its blank line (CR)', ['data: a\r\rdata: [DONE]\r'], ['a', '[DONE]']],
    ['a last JSON event without its blank line (CRLF), named', ['event: message_stop\r\ndata: {"type":"message_stop"}\r\n'], ['{"type":"message_stop"}']],
    ['a last JSON event without its blank line, a byte at a time', bytes('data: a\n\ndata: {"x":1}'), ['a', '{"x":1}']],
  ])('reads the events of a stream in %s once it ends', (_name, pieces, expected) => {
    expect(read(pieces)).toEqual(expected);
  });

  it('leaves the held CR unread when the stream does not end normally (cut off)', () => {
    expect(read(['data: a\r\rdata: [DONE]\r\r'], false)).toEqual(['a']);
  });

  it('leaves a last event without its blank line unread when the stream does not end normally (cut off)', () => {
    expect(read(['data: a\n\ndata: [DONE]\n'], false)).toEqual(['a']);
  });

  it('reads nothing twice when ended twice', () => {
    const out: string[] = [];
    const reader = new SseReader({ onEvent: (event) => out.push(event.data) });
    reader.feed('data: a\r\r');
    reader.end();
    reader.end();
    expect(out).toEqual(['a']);
  });
});
