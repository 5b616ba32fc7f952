/**
 * What reading Claude's InvokeModelWithResponseStream answer into Anthropic SSE costs
 * (`bedrockAnthropicStreamToSse`: each `chunk` frame decoded, its base64 Anthropic event read for
 * its type, written as an SSE event), per answer of 10 and of 100 text deltas, the frames one a
 * read as Bedrock writes them. Then the relay's whole work per answer (`relay`): the same reading
 * with the Anthropic stream meter fed each event, as `lib/pipeline/passthrough.ts` does.
 *
 *   npx tsx lib/providers/bedrock/anthropic-stream.bench.ts
 */
import { anthropicStreamEvents, chunkFrame } from '../../../test/fakes/bedrock-wire';
import { medianNsPerAsyncCall } from '../../../bench/measure';
import { AnthropicStreamMeter } from '../anthropic/stream-meter';
import { bedrockAnthropicStreamEvents, bedrockAnthropicStreamToSse, sseText } from './anthropic';

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

/** The relay's work: each event to the meter, then to the client as bytes. */
function relay(frames: readonly Uint8Array[]) {
  return async (): Promise<void> => {
    const meter = new AnthropicStreamMeter(0);
    for await (const event of bedrockAnthropicStreamEvents(reads(frames))) {
      meter.observeParsed(event.name, event.data, event.event);
      Buffer.from(sseText(event));
    }
  };
}

async function main(): Promise<void> {
  for (const words of [10, 100]) {
    const run = toSse(invoke(words));
    for (let i = 0; i < 2; i++) console.log(`invoke, ${String(words).padStart(3)} deltas  ${(await medianNsPerAsyncCall(run, N, 11)).toFixed(0)} ns/answer (median of 11 rounds of ${N})`);
  }
  for (const words of [10, 100]) {
    console.log(`relay,  ${String(words).padStart(3)} deltas  ${(await medianNsPerAsyncCall(relay(invoke(words)), N, 11)).toFixed(0)} ns/answer (median of 11 rounds of ${N})`);
  }
}

void main();
