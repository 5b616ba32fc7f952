/**
 * What stop emulation costs, on and off. Off (every call but a Chat Completions call with `stop` to
 * a model that refuses it): `mendedCall` as before (nothing new on a body that needs nothing) and
 * one property read per answer (`ctx.emulatedStop`). On: per streamed event, the matcher and the
 * chunk's JSON read (and written again only when the chunk changes), beside the chunk's parse alone
 * as the floor; per whole answer, its parse and, when cut, its serialising again.
 *
 *   npx tsx lib/pipeline/stop-emulation/stop-emulation.bench.ts
 */
import { medianNsPerCall } from '../../../bench/measure';
import type { StreamEvent } from '../../canonical/types';
import { newContext } from '../context';
import { stoppedEvents } from './canonical';
import { ChatStopStream, stoppedCompletion } from './chat-completions';
import { StopMatcher } from './matcher';

const SEQ = ['\nObservation:', '</answer>'];
const chunk = (content: string) => JSON.stringify({ id: 'chatcmpl-AbC123', object: 'chat.completion.chunk', created: 1764200000, model: 'o3-2025-04-16', system_fingerprint: null, choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }], usage: null });
const plain = chunk(' word');
const nearSequence = chunk(' then\n');
const words = Array.from({ length: 700 }, (_, i) => `word${i}`).join(' ');
const whole = (text: string) => Buffer.from(JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion', model: 'o3', choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 900, total_tokens: 905 } }));
const wholeWithout = whole(words);
const wholeWith = whole(`${words}\nObservation: ${words}`);

const rows: [string, () => unknown, number][] = [
  ['off: the answer writer’s read of ctx.emulatedStop', (() => {
    const ctx = newContext('req', 'openai', new Date(0));
    return () => ctx.emulatedStop;
  })(), 200_000],
  ['on: StopMatcher.push, a 5-character delta nowhere near a sequence', (() => {
    const matcher = new StopMatcher(SEQ);
    return () => matcher.push(' word');
  })(), 100_000],
  ['on: a chunk\u2019s JSON.parse alone (the floor)', () => JSON.parse(plain), 50_000],
  ['on: ChatStopStream.event, a chunk that goes on as it came', (() => {
    const stream = new ChatStopStream({ sequences: SEQ, choices: 1 });
    return () => stream.event(plain);
  })(), 50_000],
  ['on: ChatStopStream.event, a chunk whose tail is held (written again)', (() => {
    const stream = new ChatStopStream({ sequences: SEQ, choices: 1 });
    return () => stream.event(nearSequence);
  })(), 50_000],
  [`on: stoppedCompletion, a ${(wholeWithout.length / 1024).toFixed(1)} KB answer without a sequence`, () => stoppedCompletion(wholeWithout, SEQ), 2_000],
  [`on: stoppedCompletion, a ${(wholeWith.length / 1024).toFixed(1)} KB answer cut in the middle`, () => stoppedCompletion(wholeWith, SEQ), 2_000],
];

console.log('| case | ns per call |');
console.log('|---|---|');
for (const [label, fn, n] of rows) console.log(`| ${label} | ${medianNsPerCall(fn, n).toFixed(1)} |`);

// The translated stream: 2 000 text events through the async generator, per event.
async function perCanonicalEvent(wrap: boolean): Promise<number> {
  const events: StreamEvent[] = Array.from({ length: 2000 }, () => ({ type: 'text_delta', text: ' word' }));
  async function* source() {
    yield* events;
  }
  const times: number[] = [];
  for (let round = 0; round < 15; round++) {
    const start = process.hrtime.bigint();
    for await (const _ of wrap ? stoppedEvents(source(), SEQ) : source());
    times.push(Number(process.hrtime.bigint() - start) / events.length);
  }
  return times.sort((a, b) => a - b)[7]!;
}
void (async () => {
  const bare = await perCanonicalEvent(false);
  const wrapped = await perCanonicalEvent(true);
  console.log(`| translated stream, per text event: the generator alone / with stoppedEvents | ${bare.toFixed(1)} / ${wrapped.toFixed(1)} |`);
})();
