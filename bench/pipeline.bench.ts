/**
 * The gateway's own CPU on a call's critical path: `gateway.handle` from the request (its body in
 * hand, as node:http gives it) to the response ready to write, against an upstream answered from
 * memory (no socket, no undici: what `bench/alternate.sh` measures around this is node's and the
 * kernel's). Whole answers, one at a time: the OpenAI passthrough (gpt-4o-mini) and the translated
 * call (OpenAI Chat Completions to Anthropic). The books (usage record, log line) close after the
 * response, off the timed path, and are timed apart. Median CPU µs (user + system) per call of 15
 * rounds: the process's CPU time, not the clock's, so that a machine busy with other work slows
 * the figure less (it still moves with the CPU's caches and clock; compare builds in turn).
 *   npx tsx bench/pipeline.bench.ts
 */
import { mintKey } from '../lib/access/api-key';
import { parseConfig } from '../lib/config/load';
import { LocalCredentials } from '../lib/credentials/local';
import { createGateway } from '../lib/gateway';
import type { GatewayRequest } from '../lib/http/types';
import { MemoryKeyStore } from '../lib/store/keys';
import { MemoryRateWindows } from '../lib/store/rate-windows';
import { MemorySpendStore } from '../lib/store/spend';
import { UpstreamBody } from '../lib/upstream/response-body';
import type { UpstreamClient, UpstreamRequest } from '../lib/upstream/http';
import { MemoryUsageSink } from '../lib/usage/record';
import { createLogger } from '../lib/observe/logger';

const TEXT = 'Hello! This is a fixed response from the fake upstream.';
// The shared harness's fake upstream's answers (../shared/bench/fake-upstream.mjs).
const OPENAI_ANSWER = Buffer.from(JSON.stringify({ id: 'chatcmpl-fake0001', object: 'chat.completion', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, message: { role: 'assistant', content: TEXT, refusal: null }, logprobs: null, finish_reason: 'stop' }], usage: { prompt_tokens: 12, completion_tokens: 12, total_tokens: 24 } }));
const ANTHROPIC_ANSWER = Buffer.from(JSON.stringify({ id: 'msg_fake0001', type: 'message', role: 'assistant', model: 'claude-3-5-haiku-20241022', content: [{ type: 'text', text: TEXT }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 12, output_tokens: 12 } }));

/** An upstream that answers every call at once from memory, with the body undici's handler would have filled. */
const memoryUpstream: UpstreamClient = {
  async send(req: UpstreamRequest) {
    const body = new UpstreamBody(
      () => {},
      () => {},
    );
    body.push(req.url.includes('/messages') ? ANTHROPIC_ANSWER : OPENAI_ANSWER);
    body.end();
    return { status: 200, headers: { 'content-type': 'application/json' }, body };
  },
  close: async () => {},
};

/** CPU µs (user + system) this process spent since `start`. */
function cpuMicros(start: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(start);
  return user + system;
}

async function main(): Promise<void> {
  const keys = new MemoryKeyStore();
  const { key, record } = mintKey({ name: 'bench', models: ['*'] }, new Date());
  await keys.put(record);
  const config = parseConfig({
    providers: [
      { id: 'fake-openai', type: 'openai-compatible', baseUrl: 'http://127.0.0.1:9100/v1', accounts: [{ id: 'a', apiKey: { env: 'FAKE_OPENAI_KEY' } }] },
      { id: 'fake-anthropic', type: 'anthropic', baseUrl: 'http://127.0.0.1:9100', accounts: [{ id: 'a', apiKey: { env: 'FAKE_ANTHROPIC_KEY' } }] },
    ],
    models: [
      { name: 'gpt-4o-mini', targets: [{ provider: 'fake-openai', model: 'gpt-4o-mini' }] },
      { name: 'claude-3-5-haiku-20241022', targets: [{ provider: 'fake-anthropic', model: 'claude-3-5-haiku-20241022' }] },
    ],
  });
  // The access log line as the gateway writes it, to /dev/null unless LOG=1 keeps it on stdout.
  if (process.env.LOG !== '1') process.stdout.write = (() => true) as typeof process.stdout.write;
  const gateway = createGateway({ config, keys, rates: new MemoryRateWindows(), spend: new MemorySpendStore(), usage: new MemoryUsageSink(), credentials: new LocalCredentials({ FAKE_OPENAI_KEY: 'sk-fake-openai', FAKE_ANTHROPIC_KEY: 'sk-ant-fake' }), upstream: memoryUpstream, logger: createLogger() });
  const bodies = new Map(['gpt-4o-mini', 'claude-3-5-haiku-20241022'].map((model) => [model, Buffer.from(JSON.stringify({ model, messages: [{ role: 'user', content: 'Say hello' }], stream: false }))]));
  const request = (model: string, i: number): GatewayRequest => ({
    method: 'POST',
    path: '/v1/chat/completions',
    query: new URLSearchParams(),
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', host: '127.0.0.1:8787' },
    body: bodies.get(model)!,
    sourceIp: '127.0.0.1',
    requestId: `bench-${i}`,
  });
  const lines: string[] = [];
  for (const model of ['gpt-4o-mini', 'claude-3-5-haiku-20241022']) {
    const calls = 1_000;
    const path: number[] = [];
    const books: number[] = [];
    for (let round = 0; round < 16; round++) {
      let start = process.cpuUsage();
      for (let i = 0; i < calls; i++) {
        const res = await gateway.handle(request(model, i));
        if (res.status !== 200) throw new Error(`${model}: status ${res.status}: ${String(res.body)}`);
      }
      const handled = cpuMicros(start) / calls;
      start = process.cpuUsage();
      // The books of the calls above, closed as the door's next turns would.
      await gateway.drain();
      const closed = cpuMicros(start) / calls;
      // The first round warms the JIT and the key cache.
      if (round > 0) {
        path.push(handled);
        books.push(closed);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
    lines.push(`${model.padEnd(28)} critical path ${median(path).toFixed(2).padStart(6)} CPU µs/call   books after it ${median(books).toFixed(2).padStart(6)} CPU µs/call`);
  }
  await gateway.close();
  process.stderr.write(lines.join('\n') + '\n');
}

void main();
