/**
 * What the audit log costs a streamed answer. Two measures:
 * - the relay alone: a 1 000-chunk stream read plainly, and through the capture's tee;
 * - the gateway: streamed chat completions (a fake OpenAI upstream on loopback, 100 chunks each)
 *   through `gateway.handle`, with `audit.mode` off and with it on (`all`, records to memory).
 * With `AUDIT_BENCH_OFF_ONLY=1` only the gateway with auditing off runs, and nothing of
 * `lib/audit` is imported: the same file then measures a checkout from before the audit log.
 * With `AUDIT_BENCH_FLAG_ANSWERS=1`: a `flag` rule on answers, `audit.mode` off against `flagged`
 * (where every call's capture is begun for its answer, and dropped when nothing flags).
 *
 *   npx tsx lib/audit/relay.bench.ts
 */
import { mintKey } from '../access/api-key';
import { parseConfig } from '../config/load';
import { LocalCredentials } from '../credentials/local';
import { createGateway } from '../gateway';
import type { GatewayRequest } from '../http/types';
import { MemoryKeyStore } from '../store/keys';
import { MemoryRateWindows } from '../store/rate-windows';
import { MemorySpendStore } from '../store/spend';
import { MemoryUsageSink } from '../usage/record';
import { startFakeOpenAI } from '../../test/fakes/openai';

const offOnly = process.env.AUDIT_BENCH_OFF_ONLY === '1';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function relayAlone(): Promise<void> {
  const { AuditCapture } = await import('./capture.js');
  const chunk = Buffer.from(`data: ${JSON.stringify({ choices: [{ delta: { content: 'word ' } }] })}\n\n`);
  async function* source() {
    for (let i = 0; i < 1_000; i++) yield chunk;
  }
  const plain = async () => {
    for await (const _ of source());
  };
  const teed = async () => {
    const res = { status: 200, headers: { 'content-type': 'text/event-stream' }, body: source() as AsyncIterable<Uint8Array> };
    new AuditCapture(1024 * 1024).answer(res);
    for await (const _ of res.body);
  };
  for (const [name, run] of [['plain', plain], ['tee', teed], ['plain', plain], ['tee', teed]] as const) {
    const times: number[] = [];
    for (let i = 0; i < 300; i++) {
      const start = process.hrtime.bigint();
      await run();
      times.push(Number(process.hrtime.bigint() - start) / 1_000);
    }
    process.stdout.write(`relay alone, 1000 chunks, ${name}: ${(median(times) / 1_000).toFixed(3)} µs/chunk (median of 300)\n`);
  }
}

/** `flagAnswers`: a `flag` rule on answers (a JWT), which in `flagged` mode begins a capture for every call, dropped unless its answer flags (none here does). */
async function throughGateway(mode: 'off' | 'all' | 'flagged', flagAnswers = false): Promise<void> {
  const upstream = await startFakeOpenAI({ apiKey: 'sk-up' });
  const words = Array.from({ length: 100 }, (_, i) => `w${i} `);
  upstream.reply({ kind: 'text', text: words.join(''), chunks: words });
  const keys = new MemoryKeyStore();
  const { key, record } = mintKey({ name: 'bench', models: ['*'] }, new Date());
  await keys.put(record);
  const config = parseConfig({
    providers: [{ id: 'up', type: 'openai', baseUrl: upstream.url, accounts: [{ id: 'a', apiKey: { env: 'UP' } }] }],
    models: [{ name: 'gpt-4o-mini', targets: [{ provider: 'up', model: 'gpt-4o-mini' }] }],
    // Named only when on: a checkout from before the audit log refuses the field.
    ...(mode === 'off' ? {} : { audit: { mode } }),
    ...(flagAnswers ? { guardrails: { on: ['response'], rules: [{ detect: 'jwt', action: 'flag' }] } } : {}),
  });
  const audit = mode === 'off' ? undefined : await import('./log.js').then(({ MemoryAuditSink }) => () => new MemoryAuditSink());
  const gateway = createGateway({ config, keys, rates: new MemoryRateWindows(), spend: new MemorySpendStore(), usage: new MemoryUsageSink(), credentials: new LocalCredentials({ UP: 'sk-up' }), ...(audit ? { audit } : {}) });
  const body = Buffer.from(JSON.stringify({ model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'count to a hundred' }] }));
  const request = (i: number): GatewayRequest => ({ method: 'POST', path: '/v1/chat/completions', query: new URLSearchParams(), headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body, sourceIp: '127.0.0.1', requestId: `bench-${i}` });
  const times: number[] = [];
  for (let i = 0; i < 1_300; i++) {
    const start = process.hrtime.bigint();
    const res = await gateway.handle(request(i));
    for await (const _ of res.body as AsyncIterable<Uint8Array>);
    // The first 300 warm up the JIT, the pool and the key cache.
    if (i >= 300) times.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (i % 100 === 0) await gateway.drain();
  }
  await gateway.close();
  await upstream.close();
  process.stdout.write(`gateway, streamed (100 chunks), audit ${mode}${flagAnswers ? ', a flag rule on answers' : ''}: p50 ${median(times).toFixed(3)} ms (1000 requests)\n`);
}

async function main(): Promise<void> {
  if (process.env.AUDIT_BENCH_FLAG_ANSWERS === '1') {
    // What `flagged` mode costs a call with a flag rule on answers that never flags: the capture begun for it, its tee, and the drop.
    for (const mode of ['off', 'flagged', 'off', 'flagged', 'off'] as const) await throughGateway(mode, true);
    return;
  }
  if (!offOnly) await relayAlone();
  await throughGateway('off');
  if (!offOnly) await throughGateway('all');
  await throughGateway('off');
}

void main();
