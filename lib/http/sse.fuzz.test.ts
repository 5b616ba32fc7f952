import { createParser } from 'eventsource-parser';
import { fuzzer } from '../../test/fuzz';
import { SseReader } from './sse';

/**
 * `SseReader` keeps the text after a stream's last blank line aside, found from the chunks' ends,
 * to read the last event at `end` apart. The reference reads the whole stream at once with its
 * own parser, then the blank line, letting the event that blank line ends through only when its
 * data is `[DONE]` or a JSON object: whatever the cuts, the reader must read the same events.
 */
function reference(stream: string): string[] {
  const out: string[] = [];
  let ending = false;
  const whole = (data: string) => {
    try {
      const value: unknown = JSON.parse(data);
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    } catch {
      return data === '[DONE]';
    }
  };
  const parser = createParser({ onEvent: (event) => void ((!ending || whole(event.data)) && out.push(`${event.event ?? ''}:${event.data}`)) });
  // The reference's CR held at the end is the one line end it was (what `end` makes of it).
  parser.feed(stream.endsWith('\r') ? `${stream}\n` : stream);
  ending = true;
  parser.feed('\n\n');
  return out;
}

function read(chunks: string[]): string[] {
  const out: string[] = [];
  const reader = new SseReader({ onEvent: (event) => void out.push(`${event.event ?? ''}:${event.data}`) });
  for (const chunk of chunks) reader.feed(Buffer.from(chunk));
  reader.end();
  return out;
}

/** Seeded random SSE streams: events of a few lines, whole and cut data, any line ends. */
function randomStreams(seed: number, count: number): string[] {
  const { random, pick } = fuzzer(seed, { names: [], scalars: [] });
  const pieces = ['data: ', 'data: [DONE]', 'data: {"a":1}', 'data: {"a":', '1}', 'data: 12', 'data: [1]', 'event: e\n', ': c', 'x', '\n', '\r', '\r\n', '\n\n', '\r\n\r\n', '\r\r', '\n\r\n', '\r\r\n'];
  return Array.from({ length: count }, () => {
    let stream = '';
    for (let k = 1 + Math.floor(random() * 10); k > 0; k--) stream += pick(pieces);
    return stream;
  });
}

it('reads what the reference reads in 400 random streams, cut in two and three at every position', () => {
  const found: object[] = [];
  for (const stream of randomStreams(11, 400)) {
    const expected = reference(stream);
    for (let a = 0; a <= stream.length; a++) {
      for (let b = a; b <= stream.length; b += 3) {
        const chunks = [stream.slice(0, a), stream.slice(a, b), stream.slice(b)];
        const got = read(chunks);
        if (JSON.stringify(got) !== JSON.stringify(expected)) found.push({ chunks, got, expected });
      }
    }
  }
  expect(JSON.stringify(found.slice(0, 2))).toBe("[]");
});
