/**
 * What the Lambda door's body costs a request: a 1 000-chunk body piped as middy pipes it into the
 * response stream, through `Readable.from` (what middy would make of a stream body) and through
 * `bodyReadable`; and the request's signal, `AbortSignal.timeout` (the deadline alone, before the
 * door could see its stream fail) against `DoorSignal` and against `AbortSignal.any` over both.
 *
 *   npx tsx lib/http/body-readable.bench.ts
 */
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { bodyReadable } from './body-readable';
import { DoorSignal } from './door-signal';

const CHUNKS = 1_000;
const chunk = Buffer.from(`data: ${JSON.stringify({ choices: [{ delta: { content: 'word ' } }] })}\n\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function* body(): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < CHUNKS; i++) yield chunk;
}
const sink = () =>
  new Writable({
    objectMode: true,
    write(_chunk, _enc, done) {
      done();
    },
  });
const noHooks = { left() {}, threw() {}, beforeEarlyEnd: async () => undefined };

const streams = {
  'Readable.from': () => pipeline(Readable.from(body()), sink()),
  bodyReadable: () => pipeline(bodyReadable(body(), noHooks), sink()),
};

const signals = {
  'AbortSignal.timeout': () => AbortSignal.timeout(60_000),
  DoorSignal: () => {
    const door = new DoorSignal(60_000);
    door.settled();
    return door.signal;
  },
  'AbortSignal.any': () => AbortSignal.any([new AbortController().signal, AbortSignal.timeout(60_000)]),
};

async function main(): Promise<void> {
  for (let round = 0; round < 2; round++) {
    for (const [name, run] of Object.entries(streams)) {
      const times: number[] = [];
      for (let i = 0; i < 200; i++) {
        const start = process.hrtime.bigint();
        await run();
        times.push(Number(process.hrtime.bigint() - start) / CHUNKS);
      }
      console.log(`${name.padEnd(20)} ${(median(times) / 1_000).toFixed(3)} µs/chunk (median of 200 streams of ${CHUNKS} chunks)`);
    }
    for (const [name, make] of Object.entries(signals)) {
      const times: number[] = [];
      // Batches with a turn between them, as requests come: timers left armed are then let go.
      for (let batch = 0; batch < 50; batch++) {
        const start = process.hrtime.bigint();
        for (let i = 0; i < 1_000; i++) make();
        times.push(Number(process.hrtime.bigint() - start) / 1_000);
        await nextTurn();
      }
      console.log(`${name.padEnd(20)} ${(median(times) / 1_000).toFixed(2)} µs/request (median of 50 batches of 1 000)`);
    }
  }
}

void main();
