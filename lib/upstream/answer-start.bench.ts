/**
 * What the first-answer deadline (`timeouts.firstByteMs`) adds to one upstream answer in this
 * process: an `UpstreamBody` given a stream's first chunk and read, without a watch, and with the
 * deadline's timer set, the chunk scanned (`startScan`) and the timer cleared at the first event,
 * as `dispatch` does. Everything after the first event is the same in both.
 *
 *   npx tsx lib/upstream/answer-start.bench.ts
 */
import { startScan } from './answer-start';
import { UpstreamBody } from './response-body';
import { medianNsPerAsyncCall } from '../../bench/measure';

const N = 100_000;
// A Chat Completions stream's first event as OpenAI writes it.
const first = Buffer.from(`data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, finish_reason: null }] })}\n\n`);
const noop = () => undefined;

async function unwatched(): Promise<void> {
  const body = new UpstreamBody(noop, noop);
  body.push(first);
  await body.started();
  body.end();
  for await (const _ of body);
}

async function watched(): Promise<void> {
  const deadline = setTimeout(noop, 10_000);
  const body = new UpstreamBody(noop, noop, undefined, { scan: startScan('text/event-stream'), onStart: () => clearTimeout(deadline) });
  body.push(first);
  await body.started();
  body.end();
  for await (const _ of body);
}

const nsPerCall = (run: () => Promise<unknown>) => medianNsPerAsyncCall(run, N, 11);

async function main(): Promise<void> {
  for (const [name, run] of [['no deadline', unwatched], ['deadline', watched], ['no deadline', unwatched], ['deadline', watched]] as const) {
    console.log(`${name.padEnd(12)} ${(await nsPerCall(run)).toFixed(0)} ns/answer (median of 11 rounds of ${N})`);
  }
}

void main();
