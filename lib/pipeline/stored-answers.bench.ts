/**
 * What screening a stored object's answer by the rules on answers costs (`screenedStoredAnswer`):
 * - a caller without such rules (most gateways): one property read, the bytes as they came;
 * - a conversation's page of 20 items (10 of them the model's, ~8 KB) with a redact rule that
 *   finds nothing, and with one that finds a token in an assistant's message (parsed once to
 *   tell the model's items from the client's).
 *
 *   npx tsx lib/pipeline/stored-answers.bench.ts
 */
import { FAKE } from '../guardrails/fake-tokens';
import { Guardrails } from '../guardrails/scan';
import { GuardrailsSchema } from '../guardrails/config';
import type { RequestContext } from './context';
import type { ProxyDeps } from './deps';
import { screenedStoredAnswer } from './stored-answers';
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

async function perCall(fn: () => Promise<unknown>, n: number): Promise<number> {
  for (let i = 0; i < n / 10; i++) await fn();
  const started = performance.now();
  for (let i = 0; i < n; i++) await fn();
  return ((performance.now() - started) * 1e6) / n;
}

async function main(): Promise<void> {
  const rows: [string, number][] = [
    ['a caller without rules on answers', await perCall(() => screenedStoredAnswer(operation, 'application/json', clean, context(false), unscreened), 200_000)],
    [`a page of 20 items (${clean.byteLength} B), secrets redacted, no match`, await perCall(() => screenedStoredAnswer(operation, 'application/json', clean, context(true), screened), 5_000)],
    // A fresh context each call: its hits are booked on it.
    ["the same page, a token in the model's last item", await perCall(() => screenedStoredAnswer(operation, 'application/json', dirty, context(true), screened), 5_000)],
  ];
  console.log('| step | ns per call |');
  console.log('|---|---|');
  for (const [step, ns] of rows) console.log(`| ${step} | ${ns.toFixed(0)} |`);
}

void main();
