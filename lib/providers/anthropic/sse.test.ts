import { sseEvents } from './sse';

async function* pieces(text: string, size: number): AsyncIterable<Uint8Array> {
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function names(text: string, size: number): Promise<(string | undefined)[]> {
  const out: (string | undefined)[] = [];
  for await (const event of sseEvents(pieces(text, size))) out.push(event.event);
  return out;
}

const LF = 'event: message_start\ndata: {"type":"message_start"}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n';

describe('sseEvents', () => {
  // SSE allows CR, LF or CRLF line ends; the last event must be read whichever a stream uses.
  it.each([
    ['LF line ends', LF],
    ['CRLF line ends', LF.replaceAll('\n', '\r\n')],
    ['CR line ends', LF.replaceAll('\n', '\r')],
    ['LF line ends but a CR as the very last byte', `${LF.slice(0, -1)}\r`],
  ])('reads every event, message_stop last, of a stream in %s', async (_name, text) => {
    for (const size of [1, 5, 10_000]) expect(await names(text, size)).toEqual(['message_start', 'message_stop']);
  });

  it('reads a last event whose blank line never came when it is whole (a stream that ended, not one cut off), whatever its line ends', async () => {
    for (const text of ['event: message_stop\ndata: {}\n', 'event: message_stop\rdata: {}\r', 'event: message_stop\r\ndata: {}']) expect(await names(text, 10_000)).toEqual(['message_stop']);
  });

  it('does not read the start of an event the stream was cut in, whatever its line ends', async () => {
    for (const text of ['event: message_delta\ndata: {"type":"message_delta","delta":{\n', 'event: message_delta\rdata: {"type":"mess']) expect(await names(text, 10_000)).toEqual([]);
  });
});
