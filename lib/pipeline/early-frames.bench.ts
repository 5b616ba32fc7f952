/**
 * What holding Bedrock's event stream and Gemini's JSON array until their first answer event
 * (so that an exception frame or an error element there fails over: `EventStreamStartScan`,
 * `JsonArrayStartScan`, `earlyFrameFailure`, `earlyElementFailure`) costs one streamed answer in
 * this process, beside relaying it unwatched as before (these framings were not watched without a
 * first-answer deadline). An `UpstreamBody` is given the stream's reads, held, checked, then read.
 * Each stream is measured short and long (ten times the events): the scan stops at the start, so
 * the difference should not grow with the answer.
 *
 *   npx tsx lib/pipeline/early-frames.bench.ts
 */
import { anthropicStreamEvents, chunkFrame, converseStreamEvents, eventFrame } from '../../test/fakes/bedrock-wire';
import { heldAnswer, unwatchedAnswer } from '../../bench/held-stream';
import { medianNsPerAsyncCall } from '../../bench/measure';

const N = 20_000;
const EVENT_STREAM = 'application/vnd.amazon.eventstream';
const ARRAY = 'application/json; charset=UTF-8';

/** A ConverseStream answer of `words` text deltas, one frame a read, as Bedrock writes it. */
function converse(words: number): Buffer[] {
  const chunks = Array.from({ length: words }, (_, i) => `tok${i} `);
  const events = converseStreamEvents({ chunks, calls: [], stopReason: 'end_turn', usage: { input: 12, output: words } });
  return events.map((e) => Buffer.from(eventFrame(e.type, e.payload)));
}

/** An InvokeModelWithResponseStream answer (Claude's events in chunks) of `words` text deltas, one frame a read. */
function claudeChunks(words: number): Buffer[] {
  const chunks = Array.from({ length: words }, (_, i) => `tok${i} `);
  return anthropicStreamEvents({ chunks, calls: [], stopReason: 'end_turn', usage: { input: 12, output: words } }, 'claude-sonnet-4-5').map((e) => Buffer.from(chunkFrame(e)));
}

/** Gemini's JSON array of `words` elements, pretty-printed as Google writes them, one element a read. */
function geminiArray(words: number): Buffer[] {
  return Array.from({ length: words }, (_, i) => {
    const element = { candidates: [{ content: { parts: [{ text: `tok${i} ` }], role: 'model' }, index: 0 }], usageMetadata: { promptTokenCount: 12, candidatesTokenCount: i + 1, totalTokenCount: 13 + i }, modelVersion: 'gemini-2.5-flash' };
    return Buffer.from(`${i === 0 ? '[' : '\n,\r\n'}${JSON.stringify(element, null, 2)}${i === words - 1 ? ']' : ''}`);
  });
}

const nsPerCall = (run: () => Promise<unknown>) => medianNsPerAsyncCall(run, N, 11);

async function main(): Promise<void> {
  const cases = [
    ['converse, 10 deltas', converse(10), EVENT_STREAM],
    ['converse, 100 deltas', converse(100), EVENT_STREAM],
    ['claude chunks, 10', claudeChunks(10), EVENT_STREAM],
    ['gemini array, 10', geminiArray(10), ARRAY],
    ['gemini array, 100', geminiArray(100), ARRAY],
  ] as const;
  for (const [kind, reads, type] of cases) {
    const unwatched = unwatchedAnswer(reads);
    const held = heldAnswer(reads, type, type === ARRAY);
    for (const [name, run] of [['unwatched', unwatched], ['held', held], ['unwatched', unwatched], ['held', held]] as const) {
      console.log(`${kind.padEnd(22)} ${name.padEnd(10)} ${(await nsPerCall(run)).toFixed(0)} ns/answer (median of 11 rounds of ${N})`);
    }
  }
}

void main();
