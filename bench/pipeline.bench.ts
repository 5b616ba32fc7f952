/**
 * The gateway's own CPU on a call's critical path: `gateway.handle` from the request (its body in
 * hand, as node:http gives it) to the response ready to write, against an upstream answered from
 * memory (no socket, no undici: what `bench/alternate.sh` measures around this is node's and the
 * kernel's). Whole answers, one at a time: the OpenAI passthrough (gpt-4o-mini) and the translated
 * call (OpenAI Chat Completions to Anthropic). The books (usage record, log line) close after the
 * response, off the timed path, and are timed apart. Median CPU µs (user + system) per call of 15
 * rounds: the process's CPU time, not the clock's, so that a machine busy with other work slows
 * the figure less (it still moves with the CPU's caches and clock; compare builds in turn).
 *
 * Then the same calls on a cold core, as the shared harness's streams with 5 ms between chunks
 * meet them: one call after each `PACE_MS` (5) of sleep, 400 of them, the median wall µs to the
 * answer (a whole one) and to a stream's first chunk (the OpenAI passthrough and the translated call, streamed: the
 * upstream's first write, as the harness's fake upstream makes it, at once, the rest a turn later). tsx names every function it compiles
 * (`__name`), which costs most on a cold core: bundle it to compare builds.
 *   npx tsx bench/pipeline.bench.ts
 *   npx esbuild bench/pipeline.bench.ts --bundle --platform=node --packages=external --outfile=/tmp/pipeline.js && taskset -c 1 node /tmp/pipeline.js
 */
import { mintKey } from '../lib/access/api-key';
import { parseConfig } from '../lib/config/load';
import { LocalCredentials } from '../lib/credentials/local';
import { createGateway } from '../lib/gateway';
import { isStreamBody, type GatewayRequest } from '../lib/http/types';
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

// The harness's stream: a role chunk, 17 tokens, the finish, the usage asked for, [DONE].
const CHUNK_BASE = { id: 'chatcmpl-fake0001', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', system_fingerprint: 'fp_fake' };
const sse = (chunk: object) => `data: ${JSON.stringify({ ...CHUNK_BASE, ...chunk })}\n\n`;
const FIRST_EVENT = Buffer.from(sse({ choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] }));
const REST_EVENTS = Buffer.from(
  Array.from({ length: 17 }, (_, i) => sse({ choices: [{ index: 0, delta: { content: `tok${i + 1} ` }, logprobs: null, finish_reason: null }] })).join('') +
    sse({ choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }] }) +
    sse({ choices: [], usage: { prompt_tokens: 12, completion_tokens: 17, total_tokens: 29 } }) +
    'data: [DONE]\n\n',
);

// Anthropic's: message_start, the text block's start and a ping, 17 deltas, the block's stop, message_delta, message_stop.
const event = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
const ANTHROPIC_FIRST_EVENTS = Buffer.from(
  event('message_start', { message: { id: 'msg_fake0001', type: 'message', role: 'assistant', model: 'claude-3-5-haiku-20241022', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 12, output_tokens: 1 } } }) +
    event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
    event('ping', {}),
);
const ANTHROPIC_REST_EVENTS = Buffer.from(
  Array.from({ length: 17 }, (_, i) => event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: `tok${i + 1} ` } })).join('') +
    event('content_block_stop', { index: 0 }) +
    event('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 17 } }) +
    event('message_stop', {}),
);

/** An upstream that answers every call at once from memory, with the body undici's handler would have filled. */
const memoryUpstream: UpstreamClient = {
  async send(req: UpstreamRequest) {
    const body = new UpstreamBody(
      () => {},
      () => {},
    );
    if (String(req.body).includes('"stream":true')) {
      const anthropic = req.url.includes('/messages');
      body.push(anthropic ? ANTHROPIC_FIRST_EVENTS : FIRST_EVENT);
      setImmediate(() => {
        body.push(anthropic ? ANTHROPIC_REST_EVENTS : REST_EVENTS);
        body.end();
      });
      return { status: 200, headers: { 'content-type': 'text/event-stream' }, body };
    }
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
  const bodyOf = (model: string, stream: boolean) => Buffer.from(JSON.stringify({ model, messages: [{ role: 'user', content: 'Say hello' }], stream }));
  const bodies = new Map(['gpt-4o-mini', 'claude-3-5-haiku-20241022'].map((model) => [model, bodyOf(model, false)]));
  const request = (model: string, i: number, body = bodies.get(model)!): GatewayRequest => ({
    method: 'POST',
    path: '/v1/chat/completions',
    query: new URLSearchParams(),
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', host: '127.0.0.1:8787' },
    body,
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
    lines.push(`${model.padEnd(28)} critical path ${median(path).toFixed(2).padStart(6)} CPU µs/call   books after it ${median(books).toFixed(2).padStart(6)} CPU µs/call`);
  }
  // On a cold core: the whole answers as above, then the passthrough streamed, warmed first.
  const streamed = bodyOf('gpt-4o-mini', true);
  const streamedClaude = bodyOf('claude-3-5-haiku-20241022', true);
  const cold: [string, () => GatewayRequest][] = [
    ['gpt-4o-mini', () => request('gpt-4o-mini', 0)],
    ['claude-3-5-haiku-20241022', () => request('claude-3-5-haiku-20241022', 0)],
    ['gpt-4o-mini, streamed', () => request('gpt-4o-mini', 0, streamed)],
    ['claude-3-5-haiku, streamed', () => request('claude-3-5-haiku-20241022', 0, streamedClaude)],
  ];
  for (let i = 0; i < 5_000; i++) {
    await firstChunkMicros(gateway, request('gpt-4o-mini', i, streamed));
    await firstChunkMicros(gateway, request('claude-3-5-haiku-20241022', i, streamedClaude));
  }
  const pace = Number(process.env.PACE_MS ?? 5);
  for (const [name, make] of cold) {
    const times: number[] = [];
    for (let i = 0; i < 400; i++) {
      await new Promise((resolve) => setTimeout(resolve, pace));
      times.push(await firstChunkMicros(gateway, make()));
      await gateway.drain();
    }
    lines.push(`${name.padEnd(28)} on a core idle ${pace} ms before: ${median(times).toFixed(1).padStart(6)} µs to the ${name.endsWith('streamed') ? 'first chunk' : 'answer'} (wall, median)`);
  }
  await gateway.close();
  process.stderr.write(lines.join('\n') + '\n');
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** Wall µs from the call to its answer in hand (a whole one) or its first chunk (a stream), the stream then read to its end. */
async function firstChunkMicros(gateway: ReturnType<typeof createGateway>, req: GatewayRequest): Promise<number> {
  const start = performance.now();
  const res = await gateway.handle(req);
  if (res.status !== 200) throw new Error(`status ${res.status}: ${String(res.body)}`);
  if (!isStreamBody(res.body)) return (performance.now() - start) * 1000;
  const chunks = res.body[Symbol.asyncIterator]();
  await chunks.next();
  const micros = (performance.now() - start) * 1000;
  while (!(await chunks.next()).done);
  return micros;
}

void main();
