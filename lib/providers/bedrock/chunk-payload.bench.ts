/**
 * What reading the base64 out of a `chunk` payload costs, by the pattern (`chunkPayloadBytes`)
 * and by `JSON.parse` of its UTF-8 text (the fallback, and what it replaced), for a text delta's
 * payload as Bedrock pads it.
 *
 *   npx tsx lib/providers/bedrock/chunk-payload.bench.ts
 */
import { toUtf8 } from '@smithy/util-utf8';
import { medianNsPerCall } from '../../../bench/measure';
import { chunkPayloadBytes } from './eventstream';

const event = { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'tok42 ' } };
const payload = Buffer.from(JSON.stringify({ bytes: Buffer.from(JSON.stringify(event)).toString('base64'), p: 'abcdefghijklmnopqrstuvwxy' }));
const N = 200_000;

let sink = 0;
for (let i = 0; i < 3; i++) {
  console.log(`pattern     ${medianNsPerCall(() => (sink += chunkPayloadBytes(payload)!.length), N).toFixed(0)} ns/payload`);
  console.log(`JSON.parse  ${medianNsPerCall(() => (sink += ((JSON.parse(toUtf8(payload)) as { bytes: string }).bytes).length), N).toFixed(0)} ns/payload`);
}
if (sink === 0) console.log('');
