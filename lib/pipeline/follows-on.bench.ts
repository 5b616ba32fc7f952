/**
 * What keeping what a Responses stream sent costs the stream guard (`SentEvents.see`), per stream
 * of 200 events each its own chunk, against keeping only the last chunk (`carriesEvents`, what
 * the guard did before it kept the opening): a first chunk that holds the first event whole (it
 * nearly always does) is searched for a blank line, once per stream, and only a stream whose first
 * event is cut across chunks or follows a comment pays an SSE parser, until that event ends. The
 * search grows with `response.created`, which echoes the client's instructions and tools (Codex's
 * are tens of KB). Other surfaces keep nothing.
 *
 *   npx tsx lib/pipeline/follows-on.bench.ts
 */
import { carriesEvents, SentEvents } from './follows-on';

const sse = (type: string, data: Record<string, unknown>, n: number) => Buffer.from(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: n, ...data })}\n\n`);
const created = (instructions: number) => sse('response.created', { response: { id: 'resp_1', object: 'response', status: 'in_progress', model: 'gpt-4o', instructions: 'Be brief. '.repeat(instructions / 10), output: [] } }, 0);
const stream = (instructions: number) => [created(instructions), ...Array.from({ length: 199 }, (_, i) => sse('response.output_text.delta', { item_id: 'msg_1', output_index: 0, content_index: 0, delta: ' word' }, i + 1))];

function lastOnly(chunks: Buffer[]): void {
  let last: Uint8Array | undefined;
  for (const chunk of chunks) if (carriesEvents(chunk)) last = chunk;
  void last;
}

function kept(chunks: Buffer[]): void {
  const sent = new SentEvents();
  for (const chunk of chunks) sent.see(chunk);
}

function perCall(fn: () => unknown, n: number): number {
  for (let i = 0; i < n / 10; i++) fn();
  const started = performance.now();
  for (let i = 0; i < n; i++) fn();
  return ((performance.now() - started) * 1e6) / n;
}

const rows: [string, number][] = [];
for (const size of [200, 30_000]) {
  const chunks = stream(size);
  rows.push([`last chunk only, response.created of ${chunks[0]!.byteLength} B`, perCall(() => lastOnly(chunks), 20_000)]);
  rows.push([`SentEvents, response.created of ${chunks[0]!.byteLength} B`, perCall(() => kept(chunks), 20_000)]);
}
console.log('| per stream of 200 chunks | ns |');
console.log('|---|---|');
for (const [step, ns] of rows) console.log(`| ${step} | ${ns.toFixed(0)} |`);
