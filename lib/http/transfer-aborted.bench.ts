/**
 * What the Lambda door's `failingLast` (a streamed body's failure held until the writes after the
 * answer are drained) costs a stream: a 1 000-chunk body piped as middy pipes it
 * (`Readable.from` into the response stream) plainly, and through `failingLast`.
 *
 *   npx tsx lib/http/transfer-aborted.bench.ts
 */
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { failingLast } from './transfer-aborted';

const CHUNKS = 1_000;
const chunk = Buffer.from(`data: ${JSON.stringify({ choices: [{ delta: { content: 'word ' } }] })}\n\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function* body(): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < CHUNKS; i++) yield chunk;
}
const sink = () =>
  new Writable({
    write(_chunk, _enc, done) {
      done();
    },
  });

const plain = () => pipeline(Readable.from(body()), sink());
const wrapped = () => pipeline(Readable.from(failingLast(body(), async () => undefined)), sink());

async function main(): Promise<void> {
  for (const [name, run] of [['plain', plain], ['failingLast', wrapped], ['plain', plain], ['failingLast', wrapped]] as const) {
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      const start = process.hrtime.bigint();
      await run();
      times.push(Number(process.hrtime.bigint() - start) / CHUNKS);
    }
    console.log(`${name.padEnd(12)} ${(median(times) / 1_000).toFixed(3)} µs/chunk (median of 200 streams of ${CHUNKS} chunks)`);
  }
}

void main();
