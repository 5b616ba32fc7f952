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
// An agent's turn: system parts, a tool call and its result, tools with `strict` (what the decoding's hand checks are for).
const agentBody = {
  model: 'claude-3-5-haiku-20241022',
  messages: [
    { role: 'system', content: [{ type: 'text', text: 'You are a coding agent.' }, { type: 'text', text: 'Use the tools.' }] },
    { role: 'user', content: [{ type: 'text', text: 'Read /a' }] },
    { role: 'assistant', content: [{ type: 'text', text: 'Reading.' }], tool_calls: [{ id: 'c1', type: 'function', function: { name: 'read', arguments: '{"p":"/a"}' } }] },
    { role: 'tool', tool_call_id: 'c1', content: [{ type: 'text', text: 'file' }] },
  ],
  tools: [
    { type: 'function', function: { name: 'read', description: 'Reads a file', parameters: { type: 'object', properties: { p: { type: 'string' } } }, strict: true } },
    { type: 'function', function: { name: 'write', parameters: { type: 'object' } } },
  ],
  seed: 7,
  stream: false,
};
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
  ['(decode an agent body)', medianNsPerCall(() => OPENAI_CHAT.decode(agentBody), n)],
  ['cache breakpoints', medianNsPerCall(() => withCacheBreakpoints(canonical), n)],
  ['Anthropic request', medianNsPerCall(() => anthropicProvider.buildRequest(request, context), n)],
  ['parse Anthropic answer', medianNsPerCall(() => anthropicProvider.parseResponse(JSON.parse(answer), request), n)],
  ['encode OpenAI answer', medianNsPerCall(() => JSON.stringify(OPENAI_CHAT.surface.encodeResponse(parsed, 'claude-3-5-haiku-20241022', body)), n)],
];
for (const [step, ns] of rows) console.log(`${step.padEnd(30)} ${(ns / 1000).toFixed(2).padStart(7)} µs`);
// The agent body's row (in brackets) is not one of the call's steps.
console.log(`${'total'.padEnd(30)} ${(rows.reduce((sum, [step, ns]) => (step.startsWith('(') ? sum : sum + ns), 0) / 1000).toFixed(2).padStart(7)} µs`);
