/**
 * What reading Claude's InvokeModelWithResponseStream answer into Anthropic SSE costs
 * (`bedrockAnthropicStreamToSse`: each `chunk` frame decoded, its base64 Anthropic event read for
 * its type, written as an SSE event), per answer of 10 and of 100 text deltas, the frames one a
 * read as Bedrock writes them.
 *
 *   npx tsx lib/providers/bedrock/anthropic-stream.bench.ts
 */
import { anthropicStreamEvents, chunkFrame } from '../../../test/fakes/bedrock-wire';
import { medianNsPerAsyncCall } from '../../../bench/measure';
import { bedrockAnthropicStreamToSse } from './anthropic';

const N = 2_000;

/** An Invoke answer of `words` text deltas, one frame a read. */
function invoke(words: number): Uint8Array[] {
  const chunks = Array.from({ length: words }, (_, i) => `tok${i} `);
  const content = { text: chunks.join(''), chunks, calls: [], stopReason: 'end_turn', usage: { input: 12, output: words } };
  return anthropicStreamEvents(content, 'claude-sonnet-4-5').map(chunkFrame);
}

async function* reads(frames: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* frames;
}

function toSse(frames: readonly Uint8Array[]) {
  return async (): Promise<void> => {
    for await (const _ of bedrockAnthropicStreamToSse(reads(frames)));
  };
}

async function main(): Promise<void> {
  for (const words of [10, 100]) {
    const run = toSse(invoke(words));
    for (let i = 0; i < 2; i++) console.log(`invoke, ${String(words).padStart(3)} deltas  ${(await medianNsPerAsyncCall(run, N, 11)).toFixed(0)} ns/answer (median of 11 rounds of ${N})`);
  }
}

void main();
