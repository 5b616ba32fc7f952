/**
 * What mending costs a passed-through chat call (`mendedCall` in `lib/pipeline/model-call.ts`):
 * the capabilities look-up and the property reads on a body that needs nothing (the common case,
 * whose bytes then go up as they are), beside a body that does need mending (a copy and
 * `JSON.stringify`), on a short chat body and on a coding agent's (Claude Code's captured
 * messages, as Chat Completions messages). The model off (`unsupported: "pass"`) and a model the
 * table does not know are the floor.
 *
 *   npx tsx lib/params/mend.bench.ts
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelConfig, ProviderConfig } from '../config/schema';
import { newContext } from '../pipeline/context';
import { mendedCall } from '../pipeline/mending';
import type { AdmittedCall } from '../pipeline/model-call';
import type { ProxyDeps } from '../pipeline/deps';
import type { Attempt } from '../routing/attempts';
import type { CatalogModel, Target } from '../routing/catalog';
import { medianNsPerCall } from '../../bench/measure';

const measure = (fn: () => unknown, n = 2000) => medianNsPerCall(fn, n);

const provider = (type: string) => ({ id: type, type, baseUrl: 'http://127.0.0.1:1/v1', accounts: [] }) as unknown as ProviderConfig;
const account = { id: 'a', weight: 1 } as Attempt['account'];
const deps = { logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} } } as unknown as ProxyDeps;

function callTo(type: string, model: string, body: Record<string, unknown>, config: Partial<ModelConfig> = {}): { call: AdmittedCall; attempt: Attempt } {
  const p = provider(type);
  const entry = { name: 'm', targets: [{ provider: p, accounts: [account], model }] as unknown as Target[], pooled: false, config: { name: 'm', targets: [{ provider: type, model }], ...config } } as unknown as CatalogModel;
  return { call: { caller: {} as AdmittedCall['caller'], body, raw: Buffer.from(JSON.stringify(body)), model: 'm', entry }, attempt: { provider: p, account, model } };
}

const fixture = join(__dirname, '../../test/fixtures/claude-code/cc-1.0.6-tool-loop.json');
const captured = (JSON.parse(readFileSync(fixture, 'utf8')) as { request: { body: { messages: { role: string; content: unknown }[] } } }).request.body.messages;
const agentMessages = captured.map((m) => ({ role: m.role, content: JSON.stringify(m.content) }));
const short = [{ role: 'user', content: 'Write a haiku about the sea.' }];

console.log('| body | KB | case | ns per call |');
console.log('|---|---|---|---|');
for (const [name, messages] of [['short chat', short], ['coding agent', agentMessages]] as const) {
  const asTaken = { model: 'm', messages, max_completion_tokens: 4096, stream: true };
  const chatty = { model: 'm', messages, max_tokens: 4096, temperature: 0.2, top_p: 0.9, stream: true };
  const kb = (Buffer.byteLength(JSON.stringify(chatty)) / 1024).toFixed(1);
  const cases: [string, ReturnType<typeof callTo>][] = [
    ['pass (mending off)', callTo('openai', 'o3', chatty, { params: { unsupported: 'pass' } })],
    ['unknown model (openai-compatible)', callTo('openai-compatible', 'llama3', chatty)],
    ['gpt-4o, nothing to mend', callTo('openai', 'gpt-4o', chatty)],
    ['o3, nothing to mend', callTo('openai', 'o3', asTaken)],
    ['o3, mended and re-serialised', callTo('openai', 'o3', chatty)],
  ];
  for (const [label, { call, attempt }] of cases) {
    const ns = measure(() => {
      const ctx = newContext('req', 'openai', new Date(0));
      return mendedCall(call, attempt, 'openai', ctx, deps);
    });
    console.log(`| ${name} | ${kb} | ${label} | ${ns.toFixed(0)} |`);
  }
}
const floor = measure(() => newContext('req', 'openai', new Date(0)));
console.log(`\n(each row includes building a request context, ${floor.toFixed(0)} ns, which the call pays anyway)`);
