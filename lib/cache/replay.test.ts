import { sseEvents } from './replay';

const split = (text: string) => [...sseEvents(Buffer.from(text))].map((b) => Buffer.from(b).toString());

describe('sseEvents', () => {
  it.each([
    ['data: 1\n\ndata: 2\n\ndata: [DONE]\n\n', ['data: 1\n\n', 'data: 2\n\n', 'data: [DONE]\n\n']],
    ['event: message_start\ndata: {}\n\nevent: ping\ndata: {}\n\n', ['event: message_start\ndata: {}\n\n', 'event: ping\ndata: {}\n\n']],
    ['data: {"a":1}\r\n\r\ndata: {"a":2}\r\n\r\n', ['data: {"a":1}\r\n\r\n', 'data: {"a":2}\r\n\r\n']],
    ['data: 1\n\ndata: tail', ['data: 1\n\n', 'data: tail']],
    ['data: 1\r\rdata: 2\r\r', ['data: 1\r\r', 'data: 2\r\r']],
    ['data: 1\r\n\ndata: 2\n\r\ndata: 3\r\n\r', ['data: 1\r\n\n', 'data: 2\n\r\n', 'data: 3\r\n\r']],
    ['event: a\rdata: 1\r\rdata: 2', ['event: a\rdata: 1\r\r', 'data: 2']],
    ['', []],
  ])('cuts %j at its blank lines', (text, events) => {
    expect(split(text)).toEqual(events);
  });

  it('gives back every byte, in order', () => {
    const text = 'data: é\n\n\n\ndata: x\n\n';

    expect(split(text).join('')).toBe(text);
  });
});
