/**
 * The translated whole-answer path's pure steps (an OpenAI Chat Completions body to Anthropic's
 * Messages API and back), as the pipeline runs them for one call, in ns per call.
 *   npx tsx bench/translated.bench.ts
 */
import { OPENAI_CHAT } from '../lib/pipeline/bindings';
import { withCacheBreakpoints } from '../lib/canonical/cache-breakpoints';
import { anthropicProvider } from '../lib/providers/anthropic';
import type { CallContext } from '../lib/providers/types';
import { medianNsPerCall } from './measure';

const body = { model: 'claude-3-5-haiku-20241022', messages: [{ role: 'user', content: 'Say hello' }], stream: false };
const answer = JSON.stringify({
  id: 'msg_fake0001',
  type: 'message',
  role: 'assistant',
  model: 'claude-3-5-haiku-20241022',
  content: [{ type: 'text', text: 'Hello! This is a fixed response from the fake upstream.' }],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 12, output_tokens: 12 },
});
const context = {
  provider: { id: 'anthropic', type: 'anthropic', baseUrl: 'http://127.0.0.1:9100' },
  account: { id: 'a' },
  apiKey: 'sk-ant-fake',
  timeouts: { headersMs: 300_000, idleMs: 300_000 },
} as unknown as CallContext;

const canonical = OPENAI_CHAT.decode(body);
const marked = withCacheBreakpoints(canonical);
const request = { ...marked, model: 'claude-3-5-haiku-20241022', stream: false };
const parsed = anthropicProvider.parseResponse(JSON.parse(answer), request);
const n = 20_000;
const rows: Array<[string, number]> = [
  ['validate (OpenAI chat body)', medianNsPerCall(() => OPENAI_CHAT.validate(body), n)],
  ['decode to canonical', medianNsPerCall(() => OPENAI_CHAT.decode(body), n)],
  ['cache breakpoints', medianNsPerCall(() => withCacheBreakpoints(canonical), n)],
  ['Anthropic request', medianNsPerCall(() => anthropicProvider.buildRequest(request, context), n)],
  ['parse Anthropic answer', medianNsPerCall(() => anthropicProvider.parseResponse(JSON.parse(answer), request), n)],
  ['encode OpenAI answer', medianNsPerCall(() => JSON.stringify(OPENAI_CHAT.surface.encodeResponse(parsed, 'claude-3-5-haiku-20241022', body)), n)],
];
for (const [step, ns] of rows) console.log(`${step.padEnd(30)} ${(ns / 1000).toFixed(2).padStart(7)} µs`);
console.log(`${'total'.padEnd(30)} ${(rows.reduce((sum, [, ns]) => sum + ns, 0) / 1000).toFixed(2).padStart(7)} µs`);
