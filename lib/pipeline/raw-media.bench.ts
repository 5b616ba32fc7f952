/**
 * What holding speech's attempt open until its first audio chunk is in hand (`firstAudioInHand`)
 * costs: the client's time to the first audio byte, and the CPU of relaying an answer.
 *
 * 1. First byte: the fake OpenAI upstream of the speech tests (five pieces `GAP_MS` apart), the
 *    gateway as `npm start` runs it (node:http, embedded dynalite) and a keep-alive node:http
 *    client in this process, one call at a time, read to its end; direct to the fake and through
 *    the gateway alternate in rounds. The p50 and p90 of the time from sending to the first body
 *    byte, the gateway's p50 overhead over direct, and the gateway's own view: from its server's
 *    `request` event to the first write on the client's socket (the fake's work included), the
 *    figure to compare builds by on a busy machine.
 * 2. CPU: a five-chunk answer in an `UpstreamBody`, read chunk by chunk as `rawMediaAnswer` reads
 *    it, straight and through `firstAudioInHand` (median of 11 rounds).
 *
 *   npx tsx lib/pipeline/raw-media.bench.ts      N (calls per kind and round, default 10), ROUNDS (default 3)
 */
import { Agent, request, type IncomingMessage } from 'node:http';
import { parseConfig } from '../config/load';
import { startLocalGateway } from '../local/start';
import { silentLogger } from '../observe/logger';
import type { UpstreamResponse } from '../upstream/http';
import { UpstreamBody } from '../upstream/response-body';
import { firstWrites } from '../../bench/first-writes';
import { percentile } from '../../bench/load';
import { startFakeOpenAI } from '../../test/fakes/openai';
import { firstAudioInHand } from './raw-media';

const N = Number(process.env.N ?? 10);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const GAP_MS = 150;
const ADMIN_TOKEN = 'bench-admin-token-speech';
const SPEECH = Buffer.from(JSON.stringify({ model: 'tts', voice: 'alloy', input: 'The quick brown fox jumps over the lazy dog, and then reads the whole paragraph aloud.' }));

/** One speech POST read to its end; resolves with the ms from sending to its first body byte. */
function firstByteMs(agent: Agent, url: URL, key: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const req = request(url, { method: 'POST', agent, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-length': String(SPEECH.length) } }, (res: IncomingMessage) => {
      let firstAt: number | undefined;
      res.on('data', () => (firstAt ??= performance.now()));
      res.on('end', () => (res.statusCode === 200 && firstAt !== undefined ? resolve(firstAt - start) : reject(new Error(`status ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(SPEECH);
  });
}

async function firstBytes(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  process.env.SPEECH_BENCH_UP_KEY = 'sk-up';
  const upstream = await startFakeOpenAI({ apiKey: 'sk-up', chunkDelayMs: GAP_MS, recordRequests: false });
  const config = parseConfig({
    providers: [{ id: 'up', type: 'openai', baseUrl: upstream.url, accounts: [{ id: 'a', apiKey: { env: 'SPEECH_BENCH_UP_KEY' } }] }],
    models: [{ name: 'tts', targets: [{ provider: 'up', model: 'gpt-4o-mini-tts' }] }],
  });
  const gateway = await startLocalGateway({ config, adminToken: ADMIN_TOKEN, store: { embedded: undefined }, logger: silentLogger, budgetAlerts: false, shareHealth: false });
  const written = firstWrites(gateway.server);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const minted = await fetch(`${gateway.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: '{"name":"bench"}' });
    const { key } = (await minted.json()) as { key: string };
    const kinds = [
      { name: 'direct', url: new URL(`${upstream.url}/audio/speech`), key: 'sk-up' },
      { name: 'gateway', url: new URL(`${gateway.url}/v1/audio/speech`), key },
    ];
    const times = new Map<string, number[]>(kinds.map((kind) => [kind.name, []]));
    const gatewayWrites: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of kinds) {
        await firstByteMs(agent, kind.url, kind.key); // warm-up
        written.length = 0;
        for (let i = 0; i < N; i++) times.get(kind.name)!.push(await firstByteMs(agent, kind.url, kind.key));
        if (kind.name === 'gateway') gatewayWrites.push(...written);
      }
    }
    for (const kind of kinds) {
      const values = times.get(kind.name)!;
      process.stdout.write(`${kind.name.padEnd(8)} first byte p50 ${percentile(values, 50).toFixed(2)} ms, p90 ${percentile(values, 90).toFixed(2)} ms (${values.length} calls)\n`);
    }
    process.stdout.write(`overhead first byte p50 +${(percentile(times.get('gateway')!, 50) - percentile(times.get('direct')!, 50)).toFixed(2)} ms\n`);
    process.stdout.write(`gateway request → first write p50 ${percentile(gatewayWrites, 50).toFixed(2)} ms, p90 ${percentile(gatewayWrites, 90).toFixed(2)} ms (${gatewayWrites.length} calls)\n`);
  } finally {
    agent.destroy();
    await gateway.close();
    await upstream.close();
  }
}

const PIECES = Array.from({ length: 5 }, () => Buffer.alloc(16 * 1024, 0xff));

function audioAnswer(): UpstreamResponse {
  const body = new UpstreamBody(
    () => undefined,
    () => undefined,
  );
  for (const piece of PIECES) body.push(piece);
  body.end();
  return { status: 200, headers: { 'content-type': 'audio/mpeg' }, body };
}

async function readChunks(res: UpstreamResponse): Promise<number> {
  let n = 0;
  for await (const chunk of res.body) n += chunk.byteLength;
  return n;
}

async function nsPerAnswer(run: () => Promise<unknown>): Promise<number> {
  const rounds: number[] = [];
  for (let round = 0; round < 11; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < 50_000; i++) await run();
    rounds.push(Number(process.hrtime.bigint() - start) / 50_000);
  }
  return rounds.sort((a, b) => a - b)[5]!;
}

async function relayCost(): Promise<void> {
  const straight = () => readChunks(audioAnswer());
  const held = async () => readChunks(await firstAudioInHand(audioAnswer(), undefined, 'up'));
  for (const [name, run] of [['read straight', straight], ['first chunk in hand', held], ['read straight', straight], ['first chunk in hand', held]] as const) {
    process.stdout.write(`${name.padEnd(20)} ${(await nsPerAnswer(run)).toFixed(0)} ns/answer of 5 chunks (median of 11 rounds of 50 000)\n`);
  }
}

async function main(): Promise<void> {
  await firstBytes();
  await relayCost();
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
