/**
 * What writing a translated stream as OpenAI chunks costs: `encodeChatStream` over the events of
 * the shared harness's answer (a start, 17 text deltas, the finish, the usage), µs per stream,
 * with the client's `include_usage` and without.
 *
 *   npx tsx lib/surfaces/openai-chat/encode.bench.ts
 */
import type { StreamEvent } from '../../canonical/types';
import { medianNsPerAsyncCall } from '../../../bench/measure';
import { encodeChatStream } from './encode';

const events: StreamEvent[] = [
  { type: 'start', id: 'msg_fake0001', model: 'claude-3-5-haiku-20241022' },
  { type: 'usage', usage: { input: 12, output: 1, cacheRead: 0, cacheWrite: 0, reasoning: 0 } },
  ...Array.from({ length: 17 }, (_, i): StreamEvent => ({ type: 'text_delta', text: `tok${i + 1} ` })),
  { type: 'finish', reason: 'stop' },
  { type: 'usage', usage: { input: 12, output: 17, cacheRead: 0, cacheWrite: 0, reasoning: 0 } },
];

async function* from(list: StreamEvent[]): AsyncGenerator<StreamEvent> {
  yield* list;
}

async function encodeAll(includeUsage: boolean): Promise<number> {
  let bytes = 0;
  for await (const text of encodeChatStream(from(events), { model: 'claude-3-5-haiku-20241022', includeUsage })) bytes += text.length;
  return bytes;
}

async function main(): Promise<void> {
  for (const includeUsage of [false, true]) {
    const ns = await medianNsPerAsyncCall(() => encodeAll(includeUsage), 2_000);
    console.log(`include_usage ${String(includeUsage).padEnd(5)} ${(ns / 1000).toFixed(2)} µs per stream of ${events.length} events`);
  }
}

void main();
