/**
 * What the start scan asks of each Bedrock frame before the answer starts (`EventStreamStartScan`,
 * `earlyFrameFailure`): the byte check (`mayBeOpening`), then, for a frame it cannot rule out, the
 * header read and the chunk's Claude event (`isOpeningFrame`), by kind of frame.
 *
 *   npx tsx lib/providers/bedrock/opening-frame.bench.ts
 */
import { chunkFrame, eventFrame, exceptionFrame } from '../../../test/fakes/bedrock-wire';
import { medianNsPerCall } from '../../../bench/measure';
import { isOpeningFrame, mayBeOpening } from './eventstream';

const N = 100_000;
const FRAMES: [string, Uint8Array][] = [
  ['converse messageStart', eventFrame('messageStart', { role: 'assistant' })],
  ['converse contentBlockDelta', eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hi' } })],
  ["claude message_start chunk", chunkFrame({ type: 'message_start', message: { id: 'msg_bdrk_01', usage: { input_tokens: 9, output_tokens: 1 } } })],
  ['claude content_block_delta chunk', chunkFrame({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'tok42 ' } })],
  ['throttlingException', exceptionFrame('throttlingException', 'Too many requests.')],
];

let sink = 0;
for (let round = 0; round < 2; round++) {
  for (const [name, frame] of FRAMES) {
    const ns = medianNsPerCall(() => (sink += mayBeOpening(frame) && isOpeningFrame(frame) ? 1 : 0), N);
    console.log(`${name.padEnd(34)} ${ns.toFixed(0)} ns/frame`);
  }
}
if (sink < 0) console.log('');
