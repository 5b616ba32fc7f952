/**
 * What cutting an event stream into frames costs (`EventStreamFrames.frames`, no decoding): one
 * large frame read in 16 KiB chunks (TCP's usual reads), whose cost must grow with its bytes, not
 * their square; and a Converse answer of 100 text deltas, one frame a chunk (as Bedrock sends
 * them) and cut every 1 000 bytes (frames split across reads).
 *
 *   npx tsx lib/providers/bedrock/eventstream.bench.ts
 */
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { eventFrame } from '../../../test/fakes/bedrock-wire';
import { medianNsPerCall } from '../../../bench/measure';
import { EventStreamFrames } from './eventstream';

/** `bytes` cut into reads of `size` bytes. */
const cut = (bytes: Uint8Array, size: number) => Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));

const large = new EventStreamCodec(toUtf8, fromUtf8).encode({ headers: { ':message-type': { type: 'string', value: 'event' } }, body: new Uint8Array(1024 * 1024).fill(0x61) });
const converse = [
  eventFrame('messageStart', { role: 'assistant' }),
  ...Array.from({ length: 100 }, (_, i) => eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: `tok${i} ` } })),
  eventFrame('contentBlockStop', { contentBlockIndex: 0 }),
  eventFrame('messageStop', { stopReason: 'end_turn' }),
  eventFrame('metadata', { usage: { inputTokens: 9, outputTokens: 100, totalTokens: 109 }, metrics: { latencyMs: 812 } }),
];
const CASES: [string, Uint8Array[], number, number][] = [
  ['1 MiB frame in 16 KiB reads', cut(large, 16 * 1024), 1, 50],
  ['converse, one frame a read', converse, converse.length, 5_000],
  ['converse, cut every 1000 bytes', cut(Buffer.concat(converse), 1000), converse.length, 5_000],
];

let sink = 0;
function read(chunks: Uint8Array[]): number {
  const frames = new EventStreamFrames();
  let count = 0;
  for (const chunk of chunks) count += frames.frames(chunk).length;
  frames.end();
  return count;
}

for (let round = 0; round < 2; round++) {
  for (const [name, chunks, expected, n] of CASES) {
    if (read(chunks) !== expected) throw new Error(`${name}: cut ${read(chunks)} frames, expected ${expected}`);
    const ns = medianNsPerCall(() => (sink += read(chunks)), n, 9);
    console.log(`${name.padEnd(32)} ${(ns / 1000).toFixed(1).padStart(8)} µs/stream`);
  }
}
if (sink < 0) console.log('');
