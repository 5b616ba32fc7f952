/**
 * What the gateway adds before a client has the first byte of its answer, streamed and not, in
 * this process: the fake OpenAI upstream, the gateway as `npm start` runs it (node:http, embedded
 * dynalite, a key without limits) and a keep-alive node:http client, one request at a time. All
 * three share one thread, so the figures are CPU spent, free of the cross-core wake-ups that make
 * loopback harness figures noisy on a shared machine. The four kinds (direct and through the
 * gateway, whole and streamed) alternate in rounds so that a slow stretch of the machine falls on
 * all of them.
 *
 * `request → first write` is the gateway's own view: from its server's `request` event to the
 * first write on the client's socket (the headers and the first chunk, or the whole answer),
 * the fake upstream's work included (the same in every build). It is the figure to compare
 * builds by: the client's own first byte, on this one thread, also waits for the gateway to relay
 * the rest of the chunks that came in the same read as the first (which a client in another
 * process does not).
 *
 *   taskset -c 1 npx tsx bench/first-byte.ts      N (per kind and round, default 500), ROUNDS (default 5),
 *                                                 CHUNKS (content deltas per stream, default 17: 20 events as the shared harness),
 *                                                 BODY=agent (a 74 KB agent's history, its stream without
 *                                                 `stream_options`, as the OpenAI SDKs send it; default: the
 *                                                 harness's small body, usage asked for),
 *                                                 FIRST_BYTE_MS (the upstream's timeouts.firstByteMs; default: none)
 *
 * Prints, per kind, the p50 of the time to the response headers and to the first body byte, and
 * the gateway's overhead over direct for each. Loopback only; stops by itself.
 */
import { request, Agent, type IncomingMessage } from 'node:http';
import { parseConfig } from '../lib/config/load';
import { silentLogger } from '../lib/observe/logger';
import { startLocalGateway } from '../lib/local/start';
import { startFakeOpenAI } from '../test/fakes/openai';
import { firstWrites } from './first-writes';
import { claudeCodeBody, percentile } from './load';

const N = Number(process.env.N ?? 500);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const CHUNKS = Number(process.env.CHUNKS ?? 17);
const ADMIN_TOKEN = 'bench-admin-token-first-byte';

interface Timing {
  headers: number;
  firstByte: number;
}

/** One POST; resolves with the times to the headers and to the first body byte once the body has ended. */
function once(agent: Agent, url: URL, headers: Record<string, string>, body: Buffer): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-type': 'application/json', 'content-length': String(body.length) } }, (res: IncomingMessage) => {
      const headersAt = performance.now();
      let firstAt: number | undefined;
      res.on('data', () => (firstAt ??= performance.now()));
      res.on('end', () => (res.statusCode === 200 ? resolve({ headers: headersAt - start, firstByte: (firstAt ?? headersAt) - start }) : reject(new Error(`status ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A Chat Completions body of an agent's size: the Claude Code capture's history and tools (74 KB), in OpenAI's shape. */
function agentChat(): Record<string, unknown> {
  type Tool = { name: string; description?: string; input_schema: unknown };
  const capture = JSON.parse(claudeCodeBody('gpt-4o-mini')) as { system?: unknown; messages: { role: string; content: unknown }[]; tools?: Tool[] };
  const messages = [{ role: 'system', content: JSON.stringify(capture.system ?? '') }, ...capture.messages.map((m) => ({ role: m.role, content: JSON.stringify(m.content) }))];
  const tools = (capture.tools ?? []).map((tool) => ({ type: 'function', function: { name: tool.name, description: tool.description ?? '', parameters: tool.input_schema } }));
  return { model: 'gpt-4o-mini', messages, tools };
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  process.env.FIRST_BYTE_UP_KEY = 'sk-up';
  const words = Array.from({ length: CHUNKS }, (_, i) => `tok${i} `);
  const upstream = await startFakeOpenAI({ apiKey: 'sk-up', recordRequests: false });
  upstream.reply(() => ({ kind: 'text', text: words.join(''), chunks: words, usage: { prompt: 9, completion: CHUNKS } }));
  const config = parseConfig({
    providers: [{ id: 'up', type: 'openai-compatible', baseUrl: upstream.url, accounts: [{ id: 'a', apiKey: { env: 'FIRST_BYTE_UP_KEY' } }] }],
    models: [{ name: 'gpt-4o-mini', targets: [{ provider: 'up', model: 'gpt-4o-mini' }] }],
    ...(process.env.FIRST_BYTE_MS ? { timeouts: { firstByteMs: Number(process.env.FIRST_BYTE_MS) } } : {}),
  });
  const gateway = await startLocalGateway({ config, adminToken: ADMIN_TOKEN, store: { embedded: undefined }, logger: silentLogger, budgetAlerts: false, shareHealth: false });
  const written = firstWrites(gateway.server);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const minted = await fetch(`${gateway.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: '{"name":"bench"}' });
    const { key } = (await minted.json()) as { key: string };
    const agentBody = process.env.BODY === 'agent';
    const message = agentBody ? agentChat() : { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello' }], max_tokens: 64 };
    const bodies = {
      whole: Buffer.from(JSON.stringify(message)),
      stream: Buffer.from(JSON.stringify(agentBody ? { ...message, stream: true } : { ...message, stream: true, stream_options: { include_usage: true } })),
    };
    const kinds = [
      { name: 'direct whole', url: new URL(`${upstream.url}/chat/completions`), key: 'sk-up', body: bodies.whole },
      { name: 'gateway whole', url: new URL(`${gateway.url}/v1/chat/completions`), key, body: bodies.whole },
      { name: 'direct stream', url: new URL(`${upstream.url}/chat/completions`), key: 'sk-up', body: bodies.stream },
      { name: 'gateway stream', url: new URL(`${gateway.url}/v1/chat/completions`), key, body: bodies.stream },
    ];
    const timings = new Map<string, Timing[]>(kinds.map((kind) => [kind.name, []]));
    const gatewayWrites = new Map<string, number[]>([['gateway whole', []], ['gateway stream', []]]);
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of kinds) {
        const headers = { authorization: `Bearer ${kind.key}` };
        // A short warm-up per kind and round: the first calls after a switch pay for the other kind's code leaving the caches.
        for (let i = 0; i < 20; i++) await once(agent, kind.url, headers, kind.body);
        written.length = 0;
        for (let i = 0; i < N; i++) timings.get(kind.name)!.push(await once(agent, kind.url, headers, kind.body));
        gatewayWrites.get(kind.name)?.push(...written);
      }
    }
    const p50 = (name: string, of: keyof Timing) => percentile(timings.get(name)!.map((t) => t[of]), 50);
    const ms = (value: number) => `${value.toFixed(3)} ms`;
    const lines = kinds.map((kind) => `${kind.name.padEnd(15)} headers ${ms(p50(kind.name, 'headers'))}  first byte ${ms(p50(kind.name, 'firstByte'))}`);
    for (const mode of ['whole', 'stream']) {
      lines.push(`overhead ${mode.padEnd(7)}headers +${ms(p50(`gateway ${mode}`, 'headers') - p50(`direct ${mode}`, 'headers'))}  first byte +${ms(p50(`gateway ${mode}`, 'firstByte') - p50(`direct ${mode}`, 'firstByte'))}`);
    }
    for (const [name, times] of gatewayWrites) lines.push(`${name.padEnd(15)} request → first write ${ms(percentile(times, 50))} (p90 ${ms(percentile(times, 90))})`);
    process.stdout.write(`${N} × ${ROUNDS} rounds per kind, ${CHUNKS + 3} events a stream\n${lines.join('\n')}\n`);
  } finally {
    agent.destroy();
    await gateway.close();
    await upstream.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
