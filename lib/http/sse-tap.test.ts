import { sseTap } from './sse-tap';

/** The `[event, data]` of each event a tap hands on, fed `chunks` and then ended (or not). */
function tapped(chunks: readonly (Uint8Array | string)[], ended = true): [string | undefined, string][] {
  const events: [string | undefined, string][] = [];
  const tap = sseTap((event) => events.push([event.event, event.data]));
  for (const chunk of chunks) tap.feed(chunk);
  if (ended) tap.end();
  return events;
}

/** `bytes` cut in two at `at`. */
const cutAt = (bytes: Buffer, at: number): Buffer[] => [bytes.subarray(0, at), bytes.subarray(at)];

describe('sseTap', () => {
  const CASES: [string, string, [string | undefined, string][]][] = [
    ['two events, LF', 'data: {"a":1}\n\ndata: [DONE]\n\n', [[undefined, '{"a":1}'], [undefined, '[DONE]']]],
    ['named events, CRLF', 'event: ping\r\ndata: {"type":"ping"}\r\n\r\nevent: message_stop\r\ndata: {"type":"message_stop"}\r\n\r\n', [['ping', '{"type":"ping"}'], ['message_stop', '{"type":"message_stop"}']]],
    ['CR line ends, the last event read at the end', 'data: {"a":1}\r\rdata: {"b":2}\r\r', [[undefined, '{"a":1}'], [undefined, '{"b":2}']]],
    ['data of several characters of several bytes', 'data: {"text":"héllo, 世界 🙂"}\n\n', [[undefined, '{"text":"héllo, 世界 🙂"}']]],
    ['a last event without its blank line, its data whole', 'data: {"a":1}\n\nevent: response.completed\ndata: {"type":"response.completed"}', [[undefined, '{"a":1}'], ['response.completed', '{"type":"response.completed"}']]],
    ['a last event without its blank line, cut off inside its JSON: not read', 'data: {"a":1}\n\ndata: {"type":"resp', [[undefined, '{"a":1}']]],
    ['a data line that is no JSON, handed on as it came', 'event: error\ndata: upstream overloaded\n\ndata: {"a":1}\n\n', [['error', 'upstream overloaded'], [undefined, '{"a":1}']]],
    ['a comment, which is no event', ': keep-alive\n\ndata: {"a":1}\n\n', [[undefined, '{"a":1}']]],
  ];

  it.each(CASES)('hands on the events of %s, the stream cut in two at every byte', (_name, text, expected) => {
    // Prepare
    const bytes = Buffer.from(text);

    // Act
    const reads = Array.from({ length: bytes.length + 1 }, (_, at) => tapped(cutAt(bytes, at)));

    // Assess
    for (const read of reads) expect(read).toEqual(expected);
  });

  it.each(CASES)('hands on the events of %s, fed a byte at a time', (_name, text, expected) => {
    // Prepare
    const bytes = Buffer.from(text);

    // Act
    const read = tapped(Array.from(bytes, (_, at) => bytes.subarray(at, at + 1)));

    // Assess
    expect(read).toEqual(expected);
  });

  it.each(CASES)('hands on the events of %s, fed as text', (_name, text, expected) => {
    expect(tapped([text])).toEqual(expected);
  });

  it('leaves a last event without its blank line unread when the stream is not ended (cut off)', () => {
    // Prepare
    const text = 'data: {"a":1}\n\ndata: {"b":2}';

    // Act
    const read = tapped([text], false);

    // Assess
    expect(read).toEqual([[undefined, '{"a":1}']]);
  });

  it('reads with its feed and end taken apart from it, as a meter takes them', () => {
    // Prepare
    const events: string[] = [];
    const { feed, end } = sseTap((event) => events.push(event.data));

    // Act
    feed(Buffer.from('data: {"a":1}\r\r'));
    end();

    // Assess
    expect(events).toEqual(['{"a":1}']);
  });

  it('lets an error thrown by onEvent out of feed, as the reader does', () => {
    // Prepare
    const tap = sseTap(() => {
      throw new Error('meter failed');
    });

    // Act
    const feed = () => tap.feed('data: {"a":1}\n\n');

    // Assess
    expect(feed).toThrow('meter failed');
  });

  it.each([
    ['the last event a CR ends', 'data: {"a":1}\r\r'],
    ['a last event without its blank line', 'data: {"a":1}'],
  ])('lets an error thrown by onEvent for %s out of end, as the reader does', (_name, text) => {
    // Prepare
    const tap = sseTap(() => {
      throw new Error('meter failed');
    });

    // Act
    const feed = () => tap.feed(text);
    const end = () => tap.end();

    // Assess
    expect(feed).not.toThrow();
    expect(end).toThrow('meter failed');
  });
});
