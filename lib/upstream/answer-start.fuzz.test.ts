import { fuzzer } from '../../test/fuzz';
import { startScan } from './answer-start';

/**
 * The SSE start scan against a plain reference, over random streams of keep-alives and events in
 * every line ending, each cut at random places: the scan must say "started" in the piece where the
 * reference, reading the whole text line by line, finds the blank line that ends the answer's first event.
 */

/** Lines a stream may hold, keep-alives and answers alike. */
const LINES = [': ping', ':', ': OPENROUTER PROCESSING', 'event: ping', 'event:ping', 'data: {"type": "ping"}', 'id: 7', 'retry: 3000', '', '', '', 'event: message_start', 'data: {"type":"error"}', 'event: pingpong', 'data: {"n":1}', 'data', 'data:', 'event: response.created'];
const ENDS = ['\n', '\r\n', '\r'];

/**
 * Where the answer starts in `text` (the index just past the byte that decides it), or -1, read
 * the slow way: whole lines split by the spec's line ends, each judged as the format says; the
 * blank line that ends the first event with data or a name, not `ping` nor `message_start`, decides.
 */
function referenceStart(text: string): number {
  let data = false;
  let event: string | undefined;
  let at = 0;
  const lineEnd = /\r\n|\r|\n/g;
  for (;;) {
    const match = lineEnd.exec(text);
    if (!match) return -1;
    const line = text.slice(at, match.index);
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (line === '') {
      if ((data || event !== undefined) && event !== 'ping' && event !== 'message_start') return at + 1;
      data = false;
      event = undefined;
    } else if (colon !== 0 && name === 'data') data = true;
    else if (colon > 0 && name === 'event') event = value;
    at = match.index + match[0].length;
  }
}

describe('SseStartScan, fuzzed', () => {
  it('starts in the piece the reference says, for 5 000 random streams cut at random', () => {
    // Runs whose reference never started, and that did.
    const stats = [0, 0];
    const { random, pick } = fuzzer(41, { names: [], scalars: [] });
    for (let run = 0; run < 5_000; run++) {
      // Prepare
      const text = Array.from({ length: 1 + Math.floor(random() * 8) }, () => pick(LINES) + pick(ENDS)).join('') + (random() < 0.3 ? pick(LINES) : '');
      const cuts = [...new Set(Array.from({ length: Math.floor(random() * 4) }, () => Math.floor(random() * (text.length + 1))))].sort((a, b) => a - b);
      const bounds = [0, ...cuts, text.length];
      const pieces = bounds.slice(1).map((end, i) => text.slice(bounds[i], end));
      const expectedAt = referenceStart(text);

      // Act
      const scan = startScan('text/event-stream');
      const startedIn = pieces.findIndex((piece) => scan.take(Buffer.from(piece, 'latin1')));

      // Assess: the piece holding the deciding byte (the reference's index is just past it).
      const expectedIn = expectedAt < 0 ? -1 : bounds.findIndex((_, i) => i > 0 && expectedAt <= bounds[i]! && expectedAt > bounds[i - 1]!) - 1;
      stats[expectedIn < 0 ? 0 : 1]! += 1;
      if (startedIn !== expectedIn) throw new Error(`run ${run}: ${JSON.stringify(pieces)} started in ${startedIn}, reference ${expectedIn} (at ${expectedAt})`);
    }
    // Both verdicts are well represented: the streams are not all keep-alives, nor all answers.
    expect(Math.min(...stats)).toBeGreaterThan(500);
  });
});
