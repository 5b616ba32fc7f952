/**
 * What the bound on one upstream event costs a stream as it arrives: `UpstreamBody` fed 1 000
 * realistic OpenAI chunks and read chunk by chunk, unframed (as before) and framed as SSE (as every
 * stream now is), once with one event a chunk (how upstreams write: the look back stops at the
 * chunk's last bytes) and once with every event cut in two (half the chunks are looked through to
 * their start). Runs alternate, median of 300 each; then `take` alone over the same chunks.
 *
 *   npx tsx lib/upstream/event-bound.bench.ts
 */
import { eventBound } from './event-bound';
import { UpstreamBody } from './response-body';

const EVENTS = 1_000;
const RUNS = 300;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const event = (i: number) => `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"word${i} "},"finish_reason":null}]}\n\n`;
const whole = Array.from({ length: EVENTS }, (_, i) => Buffer.from(event(i)));
const halves = whole.flatMap((b) => [b.subarray(0, b.length >> 1), b.subarray(b.length >> 1)]);

async function relay(chunks: Buffer[], framed: boolean): Promise<number> {
  const body = new UpstreamBody(
    () => {},
    () => {},
  );
  if (framed) body.frame('sse');
  const start = performance.now();
  let n = 0;
  const read = (async () => {
    for await (const chunk of body) n += chunk.length;
  })();
  for (const chunk of chunks) {
    body.push(chunk);
    // One chunk a turn of the loop, as the socket delivers them.
    if ((n & 7) === 0) await Promise.resolve();
  }
  body.end();
  await read;
  return ((performance.now() - start) * 1e6) / EVENTS;
}

async function main(): Promise<void> {
  for (const [name, chunks] of [
    ['one event a chunk', whole],
    ['each event cut in two', halves],
  ] as const) {
    const plain: number[] = [];
    const framed: number[] = [];
    for (let i = 0; i < 30; i++) await relay(chunks, i % 2 === 0);
    for (let i = 0; i < RUNS; i++) {
      plain.push(await relay(chunks, false));
      framed.push(await relay(chunks, true));
    }
    const take: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const bound = eventBound('sse', 32 * 1024 * 1024);
      const start = performance.now();
      for (const chunk of chunks) bound.take(chunk);
      take.push(((performance.now() - start) * 1e6) / EVENTS);
    }
    const p = median(plain);
    const f = median(framed);
    console.log(`${name}: unframed ${p.toFixed(0)} ns/event, framed ${f.toFixed(0)} ns/event (${f - p >= 0 ? '+' : ''}${(f - p).toFixed(0)}); take() alone ${median(take).toFixed(1)} ns/event`);
  }
}

void main();
