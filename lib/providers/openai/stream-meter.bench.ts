/**
 * What the side-reading of a passed-through OpenAI stream costs per event: the Chat Completions
 * meter's `observe` of one content chunk, and the Responses meter's `feed` of one text delta
 * event, as every streamed call (with or without a budget) pays them (output characters skimmed from
 * the text, `skim.ts`); beside a chunk’s
 * `JSON.parse` alone, the floor of any meter that reads what the chunk says.
 *
 *   npx tsx lib/providers/openai/stream-meter.bench.ts
 */
import { medianNsPerCall } from '../../../bench/measure';
import { ResponsesStreamMeter } from './responses-meter';
import { OpenAIStreamMeter } from './stream-meter';

const chunk = JSON.stringify({ id: 'chatcmpl-AbC123', object: 'chat.completion.chunk', created: 1764200000, model: 'gpt-4o-mini-2024-07-18', system_fingerprint: 'fp_1', choices: [{ index: 0, delta: { content: ' word' }, logprobs: null, finish_reason: null }] });
const delta = Buffer.from(`event: response.output_text.delta\ndata: ${JSON.stringify({ type: 'response.output_text.delta', sequence_number: 12, item_id: 'msg_1', output_index: 0, content_index: 0, delta: ' word', logprobs: [] })}\n\n`);

const rows: [string, () => unknown, number][] = [
  ['a chunk\u2019s JSON.parse alone (the floor)', () => JSON.parse(chunk), 50_000],
  ['OpenAIStreamMeter.observe, a content chunk', (() => {
    const meter = new OpenAIStreamMeter(0);
    // Past the first token, as nearly every chunk of a stream is.
    meter.observe(chunk);
    return () => meter.observe(chunk);
  })(), 50_000],
  ['ResponsesStreamMeter.feed, a text delta event', (() => {
    const meter = new ResponsesStreamMeter(0);
    meter.feed(delta);
    return () => meter.feed(delta);
  })(), 50_000],
];

for (const [name, fn, n] of rows) process.stdout.write(`${name}: ${medianNsPerCall(fn, n).toFixed(0)} ns\n`);
