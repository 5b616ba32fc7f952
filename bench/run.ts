/**
 * `npm run bench`: what the gateway adds to a request's latency and takes from
 * throughput, measured against the fake OpenAI upstream directly and through
 * the gateway, in one run, on loopback.
 *
 * Three processes: this one (the undici load client), the fake upstream
 * (`bench/fake-upstream-main.ts`) and the gateway (`npx tsx lib/local/main.ts`
 * with a temporary config, data dir and admin token). Bounded in requests and
 * time; stops its children however it ends.
 *
 * Env: N (sequential requests per target and mode, default 500), WARMUP (default 50),
 * CONCURRENCY (default 50), DURATION_S (per concurrent phase, default 5), WARMUP_S
 * (default 1), FAKE_CHUNKS (content deltas per stream, default 20), GATEWAY_MAIN
 * (gateway entry, default lib/local/main.ts), BENCH_TIMEOUT_S (whole run, default 600).
 * The gateway inherits the environment, so e.g. POWERTOOLS_LOG_LEVEL=WARN applies to it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { request } from 'undici';
import { percentile, runConcurrent, runSequential, sendOne, openPool, chatBody, type RunResult, type Target } from './load';
import { killAllChildrenNow, startChild, type BenchChild } from './processes';

const ROOT = resolve(__dirname, '..');
const CHILD_READY_TIMEOUT_MS = 90_000;
const INTERRUPTED = 130;
const TIMED_OUT = 2;

interface BenchOptions {
  n: number;
  warmup: number;
  concurrency: number;
  durationS: number;
  warmupS: number;
  chunks: number;
  gatewayMain: string;
  timeoutS: number;
}

function readOptions(env: NodeJS.ProcessEnv): BenchOptions {
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    const value = raw === undefined || raw === '' ? fallback : Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be an integer from ${min} to ${max}, got ${raw}`);
    return value;
  };
  return {
    n: int('N', 500, 1, 100_000),
    warmup: int('WARMUP', 50, 0, 10_000),
    concurrency: int('CONCURRENCY', 50, 1, 1_000),
    durationS: int('DURATION_S', 5, 1, 600),
    warmupS: int('WARMUP_S', 1, 0, 60),
    chunks: int('FAKE_CHUNKS', 20, 1, 10_000),
    gatewayMain: env.GATEWAY_MAIN || 'lib/local/main.ts',
    timeoutS: int('BENCH_TIMEOUT_S', 600, 10, 7_200),
  };
}

type Phase = 'seq-json' | 'seq-stream' | 'conc-json' | 'conc-stream';
type Results = Record<Phase, Record<'direct' | 'gateway', RunResult>>;

async function main(): Promise<void> {
  const options = readOptions(process.env);
  const work = mkdtempSync(join(tmpdir(), 'aigw-bench-'));
  const children: BenchChild[] = [];
  let finished = false;
  const cleanUp = async (): Promise<void> => {
    await Promise.all(children.map((child) => child.stop()));
    if (finished) rmSync(work, { recursive: true, force: true });
    else log(`logs kept in ${work}`);
  };
  stopEarly = (reason, code) => {
    log(`${reason}; stopping.`);
    finished = code === INTERRUPTED; // An interrupt leaves nothing behind; a timeout keeps the logs.
    cleanUp().finally(() => process.exit(code));
  };
  const watchdog = setTimeout(() => stopEarly?.(`still running after BENCH_TIMEOUT_S=${options.timeoutS}`, TIMED_OUT), options.timeoutS * 1000);
  try {
    const fakeKey = `sk-bench-${randomBytes(12).toString('hex')}`;
    const adminToken = `bench-admin-${randomBytes(12).toString('hex')}`;

    const fake = await startChild({
      name: 'fake upstream',
      command: 'npx',
      args: ['tsx', 'bench/fake-upstream-main.ts'],
      cwd: ROOT,
      env: { ...process.env, FAKE_KEY: fakeKey, FAKE_CHUNKS: String(options.chunks) },
      logPath: join(work, 'fake-upstream.log'),
      readyPattern: /listening on (http:\/\/127\.0\.0\.1:\d+\/v1)/,
      readyTimeoutMs: CHILD_READY_TIMEOUT_MS,
      stdinPipe: true,
    });
    children.push(fake);

    const configPath = join(work, 'gateway.config.json');
    writeFileSync(configPath, JSON.stringify(gatewayConfig(fake.readyValue), null, 2));
    const gateway = await startChild({
      name: 'gateway',
      command: 'npx',
      args: ['tsx', options.gatewayMain],
      cwd: ROOT,
      env: { ...process.env, PORT: '0', GATEWAY_CONFIG: configPath, GATEWAY_DATA_DIR: join(work, 'data'), GATEWAY_ADMIN_TOKEN: adminToken, FAKE_KEY: fakeKey },
      logPath: join(work, 'gateway.log'),
      readyPattern: /listening on (http:\/\/127\.0\.0\.1:\d+)/,
      readyTimeoutMs: CHILD_READY_TIMEOUT_MS,
    });
    children.push(gateway);

    const fakeUrl = new URL(fake.readyValue);
    const targets = {
      direct: { name: 'direct', origin: fakeUrl.origin, path: `${fakeUrl.pathname}/chat/completions`, apiKey: fakeKey },
      gateway: { name: 'gateway', origin: gateway.readyValue, path: '/v1/chat/completions', apiKey: await createGatewayKey(gateway.readyValue, adminToken) },
    } satisfies Record<string, Target>;
    await preflight(Object.values(targets));

    log(`fake upstream ${fake.readyValue}, gateway ${gateway.readyValue}; logs in ${work}`);
    const results = await measure(targets, options);
    process.stdout.write(`\n${report(results, options)}\n`);
    finished = true;
  } finally {
    clearTimeout(watchdog);
    stopEarly = undefined;
    await cleanUp();
  }
}

function gatewayConfig(fakeUrl: string): unknown {
  return {
    providers: [{ id: 'fake', type: 'openai-compatible', baseUrl: fakeUrl, accounts: [{ id: 'a', apiKey: { env: 'FAKE_KEY' } }] }],
    models: [{ name: 'gpt-4o-mini', targets: [{ provider: 'fake', model: 'gpt-4o-mini' }] }],
  };
}

async function createGatewayKey(origin: string, adminToken: string): Promise<string> {
  const res = await request(`${origin}/admin/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench' }),
  });
  const text = await res.body.text();
  const key = res.statusCode < 300 ? (JSON.parse(text) as { key?: unknown }).key : undefined;
  if (typeof key !== 'string') throw new Error(`POST /admin/keys answered ${res.statusCode}: ${text}`);
  return key;
}

/** One request of each kind per target, so a misconfiguration fails loudly before any timing. */
async function preflight(targets: Target[]): Promise<void> {
  for (const target of targets) {
    const pool = openPool(target, 1);
    try {
      for (const stream of [false, true]) await sendOne(pool, target, chatBody(stream), stream);
    } finally {
      await pool.close();
    }
  }
}

async function measure(targets: Record<'direct' | 'gateway', Target>, o: BenchOptions): Promise<Results> {
  const results: Partial<Results> = {};
  const both = async (phase: Phase, run: (target: Target) => Promise<RunResult>, warm: (target: Target) => Promise<unknown>): Promise<void> => {
    const pair: Partial<Record<'direct' | 'gateway', RunResult>> = {};
    for (const key of ['direct', 'gateway'] as const) {
      await warm(targets[key]);
      pair[key] = await run(targets[key]);
      log(`${phase} ${key}: ${pair[key].timings.length} ok, ${pair[key].errors} failed, ${(pair[key].elapsedMs / 1000).toFixed(1)} s`);
    }
    results[phase] = pair as Record<'direct' | 'gateway', RunResult>;
  };
  const warmConcurrent = (stream: boolean) => (t: Target) => (o.warmupS > 0 ? runConcurrent(t, stream, o.concurrency, o.warmupS * 1000) : Promise.resolve());
  await both('seq-json', (t) => runSequential(t, false, o.n), (t) => runSequential(t, false, o.warmup));
  await both('seq-stream', (t) => runSequential(t, true, o.n), (t) => runSequential(t, true, o.warmup));
  await both('conc-json', (t) => runConcurrent(t, false, o.concurrency, o.durationS * 1000), warmConcurrent(false));
  await both('conc-stream', (t) => runConcurrent(t, true, o.concurrency, o.durationS * 1000), warmConcurrent(true));
  return results as Results;
}

type Row = [label: string, direct: number, gateway: number, kind: 'ms' | 'rps' | 'count'];

function report(r: Results, o: BenchOptions): string {
  const ms = (phase: Phase, field: 'headers' | 'firstByte' | 'total', p: number, label: string): Row => [
    label,
    percentile(r[phase].direct.timings.map((t) => t[field]), p),
    percentile(r[phase].gateway.timings.map((t) => t[field]), p),
    'ms',
  ];
  const rps = (phase: Phase, label: string): Row => [label, perSecond(r[phase].direct), perSecond(r[phase].gateway), 'rps'];
  const c = o.concurrency;
  const rows: Row[] = [
    ms('seq-json', 'total', 50, 'one at a time, non-stream: total p50'),
    ms('seq-json', 'total', 90, 'one at a time, non-stream: total p90'),
    ms('seq-json', 'total', 99, 'one at a time, non-stream: total p99'),
    ms('seq-stream', 'headers', 50, `one at a time, stream (${o.chunks} chunks): headers p50`),
    ms('seq-stream', 'headers', 99, 'one at a time, stream: headers p99'),
    ms('seq-stream', 'firstByte', 50, 'one at a time, stream: first byte p50'),
    ms('seq-stream', 'firstByte', 99, 'one at a time, stream: first byte p99'),
    ms('seq-stream', 'total', 50, 'one at a time, stream: total p50'),
    ms('seq-stream', 'total', 99, 'one at a time, stream: total p99'),
    rps('conc-json', `${c} in flight, non-stream: requests/s`),
    ms('conc-json', 'total', 50, `${c} in flight, non-stream: total p50`),
    ms('conc-json', 'total', 99, `${c} in flight, non-stream: total p99`),
    rps('conc-stream', `${c} in flight, stream: requests/s`),
    ms('conc-stream', 'firstByte', 50, `${c} in flight, stream: first byte p50`),
    ms('conc-stream', 'total', 50, `${c} in flight, stream: total p50`),
    ms('conc-stream', 'total', 99, `${c} in flight, stream: total p99`),
    ['failed requests (all phases)', failures(r, 'direct'), failures(r, 'gateway'), 'count'],
  ];
  const lines = [
    `Gateway overhead — node ${process.version}, N=${o.n} (warm-up ${o.warmup}), CONCURRENCY=${c} for ${o.durationS} s (warm-up ${o.warmupS} s), loopback, ${new Date().toISOString()}`,
    '',
    '| measure | direct | gateway | overhead |',
    '|---|---:|---:|---:|',
    ...rows.map(([label, direct, gateway, kind]) => `| ${label} | ${format(direct, kind)} | ${format(gateway, kind)} | ${difference(direct, gateway, kind)} |`),
  ];
  const samples = (['seq-json', 'seq-stream', 'conc-json', 'conc-stream'] as const).flatMap((p) => [...r[p].direct.samples, ...r[p].gateway.samples]);
  if (samples.length > 0) lines.push('', 'First failures:', ...samples.slice(0, 5).map((s) => `- ${s}`));
  return lines.join('\n');
}

function perSecond(result: RunResult): number {
  return result.timings.length / (result.elapsedMs / 1000);
}

function failures(r: Results, key: 'direct' | 'gateway'): number {
  return Object.values(r).reduce((sum, pair) => sum + pair[key].errors, 0);
}

function format(value: number, kind: Row[3]): string {
  if (Number.isNaN(value)) return 'n/a';
  if (kind === 'ms') return `${value.toFixed(2)} ms`;
  return kind === 'rps' ? value.toFixed(0) : String(value);
}

/** Latency: what the gateway adds (ms and %); throughput: how much it keeps (%). */
function difference(direct: number, gateway: number, kind: Row[3]): string {
  if (Number.isNaN(direct) || Number.isNaN(gateway)) return 'n/a';
  if (kind === 'count') return String(gateway - direct);
  const percent = direct === 0 ? '' : ` (${signed(((gateway - direct) / direct) * 100, 0)}%)`;
  if (kind === 'ms') return `${signed(gateway - direct, 2)} ms${percent}`;
  return `${signed(gateway - direct, 0)}/s${percent}`;
}

function signed(value: number, digits: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(digits)}`;
}

function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

/** Set while children run: stops them, keeps or removes the work dir, exits with `code`. */
let stopEarly: ((reason: string, code: number) => void) | undefined;

process.on('exit', killAllChildrenNow);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  let received = 0;
  process.on(signal, () => {
    // A second signal means "now": skip the graceful stop.
    if (++received === 1 && stopEarly) return stopEarly(`got ${signal}`, INTERRUPTED);
    killAllChildrenNow();
    process.exit(INTERRUPTED);
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
