/**
 * What screening a stored object's answer by the rules on answers costs (`screenedStoredAnswer`):
 * - a caller without such rules (most gateways): one property read, the bytes as they came;
 * - a conversation's page of 20 items (10 of them the model's, ~8 KB) with a redact rule that
 *   finds nothing, and with one that finds a token in an assistant's message (parsed once to
 *   tell the model's items from the client's);
 * - a stored response of 200 events streamed again (`relayedStoredStream`), per event, relayed
 *   through the Responses relay, without rules on answers and with them.
 *
 *   npx tsx lib/pipeline/stored-answers.bench.ts
 */
import { FAKE } from '../guardrails/fake-tokens';
import { Guardrails } from '../guardrails/scan';
import { GuardrailsSchema } from '../guardrails/config';
import type { RequestContext } from './context';
import type { ProxyDeps } from './deps';
import { passthroughFor } from './passthrough';
import { relayedStoredStream, screenedStoredAnswer } from './stored-answers';
import type { UpstreamResponse } from '../upstream/http';
import type { StoredObjectOperation } from './stored-responses';

const operation: StoredObjectOperation = { ref: { kind: 'conversation', id: 'conv_1' }, action: 'items' };
const page = (secret: string) => {
  const data = Array.from({ length: 20 }, (_, i) => ({ id: `msg_${i}`, type: 'message', status: 'completed', role: i % 2 ? 'assistant' : 'user', content: [{ type: i % 2 ? 'output_text' : 'input_text', text: `${'A sentence of an ordinary turn. '.repeat(12)}${i === 19 ? secret : ''}` }] }));
  return Buffer.from(JSON.stringify({ object: 'list', data, first_id: 'msg_0', last_id: 'msg_19', has_more: false }));
};
const clean = page('');
const dirty = page(FAKE.githubClassic);
const rules = Guardrails.from(GuardrailsSchema.parse({ on: ['response'], rules: [{ detect: 'secrets', action: 'redact' }] }), 'response')!;
const logger = { debug() {}, info() {}, warn() {}, error() {} };
const screened = { answerGuardrails: { rules, window: 512 }, logger } as unknown as ProxyDeps;
const unscreened = { logger } as unknown as ProxyDeps;
const context = (marked: boolean) => ({ surface: 'openai-responses', requestId: 'r', ...(marked ? { screensAnswer: true } : {}) }) as unknown as RequestContext;

// A stored response's replay: created, 196 deltas, done, completed, each its own chunk as the account writes them.
const sse = (type: string, data: Record<string, unknown>, n: number) => Buffer.from(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: n, ...data })}\n\n`);
const response = { id: 'resp_1', object: 'response', status: 'completed', model: 'gpt-4o', output: [], usage: { input_tokens: 10, output_tokens: 196, total_tokens: 206 } };
const events = [
  sse('response.created', { response: { ...response, status: 'in_progress' } }, 0),
  ...Array.from({ length: 196 }, (_, i) => sse('response.output_text.delta', { item_id: 'msg_1', output_index: 0, content_index: 0, delta: ' word' }, i + 1)),
  sse('response.output_text.done', { item_id: 'msg_1', output_index: 0, content_index: 0, text: ' word'.repeat(196) }, 197),
  sse('response.completed', { response }, 198),
];
const reader = passthroughFor('openai-responses', { provider: { id: 'oai', type: 'openai' }, account: { id: 'a' }, model: 'gpt-4o' } as never, { passthrough: () => undefined } as never);
function upstream(): UpstreamResponse {
  async function* chunks(): AsyncGenerator<Buffer> {
    yield* events;
  }
  return { status: 200, headers: { 'content-type': 'text/event-stream' }, body: Object.assign(chunks(), { text: async () => '', bytes: async () => Buffer.alloc(0), dump: async () => {} }) };
}
async function relayedWhole(deps: ProxyDeps, marked: boolean): Promise<void> {
  const ctx = { ...context(marked), startPerf: performance.now() } as RequestContext;
  const { body } = relayedStoredStream(upstream(), reader!, ctx, deps, undefined, () => {});
  for await (const _ of body as AsyncIterable<Uint8Array>) void _;
}

async function perCall(fn: () => unknown, n: number): Promise<number> {
  for (let i = 0; i < n / 10; i++) await fn();
  const started = performance.now();
  for (let i = 0; i < n; i++) await fn();
  return ((performance.now() - started) * 1e6) / n;
}

async function main(): Promise<void> {
  const rows: [string, number][] = [
    ['a caller without rules on answers', await perCall(() => screenedStoredAnswer(operation, clean, context(false), unscreened), 200_000)],
    [`a page of 20 items (${clean.byteLength} B), secrets redacted, no match`, await perCall(() => screenedStoredAnswer(operation, clean, context(true), screened), 5_000)],
    // A fresh context each call: its hits are booked on it.
    ["the same page, a token in the model's last item", await perCall(() => screenedStoredAnswer(operation, dirty, context(true), screened), 5_000)],
    [`a stored response streamed again, per event (${events.length} events), without rules on answers`, (await perCall(() => relayedWhole(unscreened, false), 2_000)) / events.length],
    [`the same stream, per event, secrets redacted, no match`, (await perCall(() => relayedWhole(screened, true), 500)) / events.length],
  ];
  console.log('| step | ns per call |');
  console.log('|---|---|');
  for (const [step, ns] of rows) console.log(`| ${step} | ${ns.toFixed(0)} |`);
}

void main();
