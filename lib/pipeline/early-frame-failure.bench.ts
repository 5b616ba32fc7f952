/**
 * What reading a Bedrock stream's early window for a failure costs (`earlyFrameFailure`), once a
 * stream, on the frames held up to its answer's start, as Bedrock writes them: a sound start
 * (the usual case), and the failures it finds.
 *
 *   npx tsx lib/pipeline/early-frame-failure.bench.ts
 */
import { anthropicStreamEvents, chunkFrame, converseStreamEvents, eventFrame, exceptionFrame } from '../../test/fakes/bedrock-wire';
import { medianNsPerCall } from '../../bench/measure';
import { earlyFrameFailure } from './upstream-error-events';

const N = 20_000;
const answer = { text: 'Hi there', chunks: ['Hi ', 'there'], calls: [], stopReason: 'end_turn' as const, usage: { input: 12, output: 2 } };
const converse = converseStreamEvents(answer).map((e) => Buffer.from(eventFrame(e.type, e.payload)));
const claude = anthropicStreamEvents(answer, 'claude-sonnet-4-5').map((e) => Buffer.from(chunkFrame(e)));
const claudeStart = claude[0]!;

const WINDOWS: [string, Buffer[]][] = [
  ['converse messageStart + first delta', converse.slice(0, 2)],
  ['claude message_start + content_block_start', claude.slice(0, 2)],
  ['claude message_start + ping + block start', [claudeStart, Buffer.from(chunkFrame({ type: 'ping' })), claude[1]!]],
  ['claude whole answer in one read', [Buffer.concat(claude)]],
  ['claude message_start + error (type first)', [claudeStart, Buffer.from(chunkFrame({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }))]],
  ['claude message_start + error (type last)', [claudeStart, Buffer.from(chunkFrame({ error: { type: 'overloaded_error', message: 'Overloaded' }, type: 'error' }))]],
  ['converse messageStart + throttling', [converse[0]!, Buffer.from(exceptionFrame('throttlingException', 'Too many requests.'))]],
];

let sink = 0;
for (let round = 0; round < 2; round++) {
  for (const [name, chunks] of WINDOWS) {
    const ns = medianNsPerCall(() => (sink += earlyFrameFailure(chunks, 'aws') ? 1 : 0), N);
    console.log(`${name.padEnd(46)} ${ns.toFixed(0)} ns/window`);
  }
}
if (sink < 0) console.log('');
