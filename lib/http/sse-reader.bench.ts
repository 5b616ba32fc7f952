/**
 * What `SseReader` adds to eventsource-parser on the hot path: a stream of 20 chat chunk events,
 * one chunk each, read by a bare parser (TextDecoder + createParser, as the readers did) and by
 * `SseReader` (the same, plus a look at each chunk's last characters and `end()` once). Rounds interleave the
 * two so that a loaded machine weighs on both alike. Median of 5 000 streams a round.
 *
 *   npx tsx lib/http/sse-reader.bench.ts
 */
import { createParser } from 'eventsource-parser';
import { SseReader } from './sse';

const STREAMS = 5_000;
const events = Array.from({ length: 20 }, (_, i) =>
  Buffer.from(`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"tok${i} "},"logprobs":null,"finish_reason":null}]}\n\n`),
);
events.push(Buffer.from('data: [DONE]\n\n'));

let seen = 0;
const onEvent = () => void seen++;

function bare(): void {
  const parser = createParser({ onEvent });
  const decoder = new TextDecoder();
  for (const chunk of events) parser.feed(decoder.decode(chunk, { stream: true }));
  parser.feed(decoder.decode());
}

function reader(): void {
  const sse = new SseReader({ onEvent });
  for (const chunk of events) sse.feed(chunk);
  sse.end();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function timed(run: () => void): number {
  const times: number[] = [];
  for (let i = 0; i < STREAMS; i++) {
    const start = performance.now();
    run();
    times.push(performance.now() - start);
  }
  return median(times) * 1000;
}

for (let round = 0; round < 6; round++) {
  // Each goes first every other round: the one that runs second runs warmer.
  let a: number;
  let b: number;
  if (round % 2 === 0) {
    a = timed(bare);
    b = timed(reader);
  } else {
    b = timed(reader);
    a = timed(bare);
  }
  process.stdout.write(`a stream of 21 events: bare parser ${a.toFixed(2)} µs, SseReader ${b.toFixed(2)} µs (${(b - a).toFixed(2)} µs)\n`);
}
if (seen !== 2 * 6 * STREAMS * 21) throw new Error(`read ${seen} events, expected ${2 * 6 * STREAMS * 21}`);
