import { fuzzer } from '../../test/fuzz';
import { eventBound } from '../upstream/event-bound';
import { InBandErrorGuard } from './in-band-errors';
import { SseReader } from './sse';
import { SseEventEnds } from './sse-event-ends';

/**
 * The scanner against a straightforward reference, over every way to cut a stream: each short
 * stream of line ends and text exhaustively, and seeded random longer ones (past the four bytes
 * looked at one by one, so the native search runs too) at every position. Then the two users of
 * the scanner, which must cut a stream where it does.
 */

/** Every index just past a blank line of the whole stream (`\n\n`, `\r\r` or `\n\r\n` ends before it). */
function referenceEnds(stream: string): number[] {
  const ends: number[] = [];
  for (let i = 1; i <= stream.length; i++) {
    const two = stream.slice(Math.max(0, i - 2), i);
    if (two === '\n\n' || two === '\r\r' || stream.slice(Math.max(0, i - 3), i) === '\n\r\n') ends.push(i);
  }
  return ends;
}

/** The stream cut at `cuts` (ascending; equal cuts make empty chunks). */
function cut(stream: string, cuts: number[]): string[] {
  return [...cuts, stream.length].map((to, k) => stream.slice(k === 0 ? 0 : cuts[k - 1], to));
}

/** What the reference says `lastEnd` answers for each chunk: the last end inside it, from its start, or -1. */
function expectedLastEnds(stream: string, chunks: string[]): number[] {
  const ends = referenceEnds(stream);
  let start = 0;
  return chunks.map((chunk) => {
    const inside = ends.filter((e) => e > start && e <= start + chunk.length);
    const answer = inside.length > 0 ? inside[inside.length - 1]! - start : -1;
    start += chunk.length;
    return answer;
  });
}

/** A chunk as a plain Uint8Array view into a larger buffer (not a Buffer), as a fetch body's may be. */
function view(chunk: string): Uint8Array {
  const padded = Buffer.from(`xx${chunk}x`, 'latin1');
  return new Uint8Array(padded.buffer, padded.byteOffset + 2, chunk.length);
}

function scanned(chunks: string[], as: (chunk: string) => Uint8Array): number[] {
  const ends = new SseEventEnds();
  return chunks.map((chunk) => ends.lastEnd(as(chunk)));
}

/** Every stream of up to `length` characters of `alphabet`. */
function* allStreams(alphabet: string, length: number): Generator<string> {
  yield '';
  if (length === 0) return;
  for (const shorter of allStreams(alphabet, length - 1)) if (shorter.length === length - 1) for (const c of alphabet) yield shorter + c;
}

const latin1 = (s: string) => Buffer.from(s, 'latin1');

/** The cases where `found` answered otherwise than the reference (none, when they agree). */
function disagreements(cases: Iterable<{ stream: string; chunks: string[] }>, as: (chunk: string) => Uint8Array): object[] {
  const found: object[] = [];
  for (const { stream, chunks } of cases) {
    const expected = expectedLastEnds(stream, chunks);
    const ends = scanned(chunks, as);
    if (ends.some((e, k) => e !== expected[k])) found.push({ chunks, ends, expected });
  }
  return found;
}

function* everyCutInThree(streams: Iterable<string>): Generator<{ stream: string; chunks: string[] }> {
  for (const stream of streams) for (let a = 0; a <= stream.length; a++) for (let b = a; b <= stream.length; b++) yield { stream, chunks: cut(stream, [a, b]) };
}

function* everyCutInTwo(streams: Iterable<string>): Generator<{ stream: string; chunks: string[] }> {
  for (const stream of streams) for (let at = 0; at <= stream.length; at++) yield { stream, chunks: cut(stream, [at]) };
}

it('finds what the reference finds in every stream of up to 7 line ends and letters, cut in three every way', () => {
  expect(disagreements(everyCutInThree(allStreams('\n\ra', 7)), latin1)).toEqual([]);
});

/** Seeded random SSE-like streams: events of a few lines, any line ends, sometimes a BOM first. */
function randomStreams(seed: number, count: number): string[] {
  const { random, pick } = fuzzer(seed, { names: [], scalars: [] });
  const pieces = ['data: ', '{"a":1}', 'event: e', ': c', 'x', '\n', '\r', '\r\n', '\n\n', '\r\n\r\n', '\r\r', '\n\r\n'];
  return Array.from({ length: count }, () => {
    let stream = random() < 0.2 ? '\xef\xbb\xbf' : '';
    for (let k = Math.floor(random() * 12); k > 0; k--) stream += pick(pieces);
    return stream;
  });
}

it('finds what the reference finds in 400 random streams, cut at every position, as Buffers and as plain views', () => {
  const streams = randomStreams(5, 400);
  expect(disagreements(everyCutInTwo(streams), latin1)).toEqual([]);
  expect(disagreements(everyCutInTwo(streams), view)).toEqual([]);
});

it('has the in-band error guard send each event as soon as the reference ends it, and only whole events', () => {
  const rule = { markers: ['NEVER'], rewrite: () => undefined };
  for (const stream of randomStreams(9, 200)) {
    const ends = referenceEnds(stream);
    for (let at = 0; at <= stream.length; at++) {
      const guard = new InBandErrorGuard(rule);
      let sent = '';
      let upTo = 0;
      for (const chunk of cut(stream, [at])) {
        upTo += chunk.length;
        const out = guard.pass(latin1(chunk));
        if (out) sent += Buffer.from(out).toString('latin1');
        // Sent so far: all up to the last end within what has come, no more.
        const ended = Math.max(0, ...ends.filter((e) => e <= upTo));
        expect({ stream, at, sent: sent.length }).toEqual({ stream, at, sent: ended });
      }
      const rest = guard.end();
      if (rest) sent += Buffer.from(rest).toString('latin1');
      // What came after the last end goes on when the gateway's reader reads it as an event (with the blank line it lacked), else not at all.
      const last = Math.max(0, ...ends);
      const tail = stream.slice(last);
      expect(sent).toBe(stream.slice(0, last) + (readsAnEvent(tail) ? tail + (tail.endsWith('\n') ? '\n' : '\n\n') : ''));
    }
  }
});

it('has the bound on one upstream event count the bytes since the end the reference finds', () => {
  const limit = 6;
  for (const stream of randomStreams(13, 200)) {
    const ends = referenceEnds(stream);
    for (let at = 0; at <= stream.length; at++) {
      const bound = eventBound('sse', limit);
      let upTo = 0;
      for (const chunk of cut(stream, [at])) {
        upTo += chunk.length;
        const open = upTo - Math.max(0, ...ends.filter((e) => e <= upTo));
        // A refused chunk ends the stream: the bound is not fed again.
        const taken = bound.take(latin1(chunk));
        expect({ stream, at, taken }).toEqual({ stream, at, taken: open <= limit });
        if (!taken) break;
      }
    }
  }
});

/** Whether `SseReader` reads an event from a stream's last bytes once it ends (its data `[DONE]` or a JSON object). */
function readsAnEvent(tail: string): boolean {
  let read = false;
  const reader = new SseReader({ onEvent: () => (read = true) });
  reader.feed(latin1(tail));
  reader.end();
  return read;
}
