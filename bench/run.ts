/**
 * `npm run bench`: what the gateway adds to a request's latency and takes from
 * throughput, measured against fake upstreams directly and through the gateway,
 * in one run, on loopback.
 *
 * Phases, each run against the fake directly and then through the gateway:
 * - seq-json, seq-stream: a small chat completion, one at a time, to the fake
 *   OpenAI upstream (an `openai-compatible` provider behind the gateway);
 * - seq-claude-code: a real captured Claude Code request (73 KB, a tool loop),
 *   streamed, one at a time, to the fake Anthropic upstream's `/v1/messages`
 *   (an `anthropic` provider: the gateway passes the body through);
 * - conc-json, conc-stream: the small chat completion, CONCURRENCY in flight.
 *
 * Up to four processes: this one (the undici load client), the fake upstreams
 * the chosen phases need (`bench/fake-upstream-main.ts`, `bench/fake-anthropic-main.ts`)
 * and the gateway (`npx tsx lib/local/main.ts` with a temporary config, data dir
 * and admin token). Bounded in requests and time; stops its children however it ends.
 *
 * Env: N (sequential requests per target and phase, default 500), WARMUP (default 50),
 * CONCURRENCY (default 50), DURATION_S (per concurrent phase, default 5), WARMUP_S
 * (default 1), FAKE_CHUNKS (content deltas per stream, default 20), PHASES (comma-separated
 * names from the list above, default all), GATEWAY_MAIN (gateway entry, default
 * lib/local/main.ts), BENCH_TIMEOUT_S (whole run, default 600).
 * The gateway inherits the environment, so e.g. POWERTOOLS_LOG_LEVEL=WARN applies to it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { request } from 'undici';
import {
  ANTHROPIC_WIRE,
  CLAUDE_CODE_FIXTURE,
  OPENAI_WIRE,
  chatBody,
  claudeCodeBody,
  openPool,
  percentile,
  runConcurrent,
  runSequential,
  sendOne,
  type RunResult,
  type Target,
  type Wire,
} from './load';
import { killAllChildrenNow, startChild, type BenchChild } from './processes';

const ROOT = resolve(__dirname, '..');
const CHILD_READY_TIMEOUT_MS = 90_000;
const INTERRUPTED = 130;
const TIMED_OUT = 2;

/** In the order they run: the sequential ones first, so no backlog of the concurrent load is left to disturb them. */
const PHASES = ['seq-json', 'seq-stream', 'seq-claude-code', 'conc-json', 'conc-stream'] as const;
type Phase = (typeof PHASES)[number];
type Upstream = 'openai' | 'anthropic';
type Side = 'direct' | 'gateway';
type Pair<T> = Record<Side, T>;

/** The fake a phase's requests go to, directly or through the gateway. */
const UPSTREAM_OF: Record<Phase, Upstream> = {
  'seq-json': 'openai',
  'seq-stream': 'openai',
  'seq-claude-code': 'anthropic',
  'conc-json': 'openai',
  'conc-stream': 'openai',
};

/** The model each fake serves; the gateway routes the same name to it unchanged. */
const MODEL_OF: Record<Upstream, string> = { openai: 'gpt-4o-mini', anthropic: 'claude-sonnet-4-5' };

interface FakeSpec {
  entry: string;
  readyPattern: RegExp;
  /** The gateway's provider in front of this fake. */
  provider: { id: string; type: string };
  /** The env var the gateway reads the fake's key from (named in its config). */
  keyEnv: string;
  /** Where the fake (at the URL it printed) and the gateway answer this API. */
  paths: (url: URL) => Pair<string>;
  wire: Wire;
}

const FAKES: Record<Upstream, FakeSpec> = {
  openai: {
    entry: 'bench/fake-upstream-main.ts',
    readyPattern: /fake-openai listening on (http:\/\/127\.0\.0\.1:\d+\/v1)/,
    provider: { id: 'fake', type: 'openai-compatible' },
    keyEnv: 'FAKE_KEY',
    paths: (url) => ({ direct: `${url.pathname}/chat/completions`, gateway: '/v1/chat/completions' }),
    wire: OPENAI_WIRE,
  },
  anthropic: {
    entry: 'bench/fake-anthropic-main.ts',
    readyPattern: /fake-anthropic listening on (http:\/\/127\.0\.0\.1:\d+)/,
    provider: { id: 'fake-anthropic', type: 'anthropic' }, // Its baseUrl has no `/v1`, as the fake prints it.
    keyEnv: 'FAKE_ANTHROPIC_KEY',
    paths: () => ({ direct: '/v1/messages', gateway: '/v1/messages' }),
    wire: ANTHROPIC_WIRE,
  },
};

interface BenchOptions {
  n: number;
  warmup: number;
  concurrency: number;
  durationS: number;
  warmupS: number;
  chunks: number;
  phases: Phase[];
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
    phases: readPhases(env.PHASES),
    gatewayMain: env.GATEWAY_MAIN || 'lib/local/main.ts',
    timeoutS: int('BENCH_TIMEOUT_S', 600, 10, 7_200),
  };
}

/** The phases the env's PHASES names, in run order; all when it is unset. */
function readPhases(raw: string | undefined): Phase[] {
  const names = (raw ?? '').split(/[\s,]+/).filter((name) => name !== '');
  if (names.length === 0) return [...PHASES];
  const unknown = names.filter((name) => !(PHASES as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`PHASES: unknown ${unknown.join(', ')}; choose from ${PHASES.join(', ')}`);
  return PHASES.filter((phase) => names.includes(phase));
}

type Results = [Phase, Pair<RunResult>][];

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
    const adminToken = `bench-admin-${randomBytes(12).toString('hex')}`;
    const upstreams = [...new Set(options.phases.map((phase) => UPSTREAM_OF[phase]))];
    const fakes: Partial<Record<Upstream, StartedFake>> = {};
    for (const upstream of upstreams) {
      const fake = await startFake(upstream, options, work);
      children.push(fake.child);
      fakes[upstream] = fake;
    }

    const configPath = join(work, 'gateway.config.json');
    writeFileSync(configPath, JSON.stringify(gatewayConfig(fakes), null, 2));
    const fakeKeys = Object.fromEntries(upstreams.map((u) => [FAKES[u].keyEnv, fakes[u]?.key]));
    const gateway = await startChild({
      name: 'gateway',
      command: 'npx',
      args: ['tsx', options.gatewayMain],
      cwd: ROOT,
      env: { ...process.env, PORT: '0', GATEWAY_CONFIG: configPath, GATEWAY_DATA_DIR: join(work, 'data'), GATEWAY_ADMIN_TOKEN: adminToken, ...fakeKeys },
      logPath: join(work, 'gateway.log'),
      readyPattern: /listening on (http:\/\/127\.0\.0\.1:\d+)/,
      readyTimeoutMs: CHILD_READY_TIMEOUT_MS,
    });
    children.push(gateway);

    const gatewayKey = await createGatewayKey(gateway.readyValue, adminToken);
    const targets: Partial<Record<Upstream, Pair<Target>>> = {};
    for (const upstream of upstreams) {
      const fake = fakes[upstream]!; // Started above for every upstream in the list.
      targets[upstream] = targetPair(upstream, fake.url, fake.key, gateway.readyValue, gatewayKey);
      await preflight(Object.values(targets[upstream]), preflightRequests(upstream));
    }

    log(`${upstreams.map((u) => `fake ${u} ${fakes[u]?.url}`).join(', ')}, gateway ${gateway.readyValue}; logs in ${work}`);
    const results = await measure(targets, options);
    process.stdout.write(`\n${report(results, options)}\n`);
    finished = true;
  } finally {
    clearTimeout(watchdog);
    stopEarly = undefined;
    await cleanUp();
  }
}

interface StartedFake {
  child: BenchChild;
  url: string;
  /** The only key it accepts. */
  key: string;
}

async function startFake(upstream: Upstream, o: BenchOptions, work: string): Promise<StartedFake> {
  const key = `sk-bench-${upstream}-${randomBytes(12).toString('hex')}`;
  const child = await startChild({
    name: `fake ${upstream} upstream`,
    command: 'npx',
    args: ['tsx', FAKES[upstream].entry],
    cwd: ROOT,
    env: { ...process.env, FAKE_KEY: key, FAKE_CHUNKS: String(o.chunks) },
    logPath: join(work, `fake-${upstream}.log`),
    readyPattern: FAKES[upstream].readyPattern,
    readyTimeoutMs: CHILD_READY_TIMEOUT_MS,
    stdinPipe: true,
  });
  return { child, url: child.readyValue, key };
}

function gatewayConfig(fakes: Partial<Record<Upstream, { url: string }>>): unknown {
  const started = Object.entries(fakes).map(([upstream, fake]) => ({ spec: FAKES[upstream as Upstream], model: MODEL_OF[upstream as Upstream], url: fake.url }));
  return {
    providers: started.map(({ spec, url }) => ({ ...spec.provider, baseUrl: url, accounts: [{ id: 'a', apiKey: { env: spec.keyEnv } }] })),
    models: started.map(({ spec, model }) => ({ name: model, targets: [{ provider: spec.provider.id, model }] })),
  };
}

function targetPair(upstream: Upstream, fakeUrl: string, fakeKey: string, gatewayOrigin: string, gatewayKey: string): Pair<Target> {
  const url = new URL(fakeUrl);
  const { paths, wire } = FAKES[upstream];
  const path = paths(url);
  return {
    direct: { name: 'direct', origin: url.origin, path: path.direct, apiKey: fakeKey, wire },
    gateway: { name: 'gateway', origin: gatewayOrigin, path: path.gateway, apiKey: gatewayKey, wire },
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

interface BenchRequest {
  body: string;
  stream: boolean;
}

/** One request of each kind the phases send to this upstream. */
function preflightRequests(upstream: Upstream): BenchRequest[] {
  if (upstream === 'anthropic') return [{ body: claudeCodeBody(MODEL_OF.anthropic), stream: true }];
  return [false, true].map((stream) => ({ body: chatBody(stream), stream }));
}

/** Sends `requests` to each target once, so a misconfiguration fails loudly before any timing. */
async function preflight(targets: Target[], requests: BenchRequest[]): Promise<void> {
  for (const target of targets) {
    const pool = openPool(target, 1);
    try {
      for (const { body, stream } of requests) await sendOne(pool, target, body, stream);
    } finally {
      await pool.close();
    }
  }
}

interface PhasePlan {
  run: (target: Target) => Promise<RunResult>;
  warm: (target: Target) => Promise<unknown>;
}

function planPhase(phase: Phase, o: BenchOptions): PhasePlan {
  const sequential = (stream: boolean, body?: string): PhasePlan => ({
    run: (t) => runSequential(t, stream, o.n, body),
    warm: (t) => runSequential(t, stream, o.warmup, body),
  });
  const concurrent = (stream: boolean): PhasePlan => ({
    run: (t) => runConcurrent(t, stream, o.concurrency, o.durationS * 1000),
    warm: (t) => (o.warmupS > 0 ? runConcurrent(t, stream, o.concurrency, o.warmupS * 1000) : Promise.resolve()),
  });
  switch (phase) {
    case 'seq-json':
      return sequential(false);
    case 'seq-stream':
      return sequential(true);
    case 'seq-claude-code':
      return sequential(true, claudeCodeBody(MODEL_OF.anthropic));
    case 'conc-json':
      return concurrent(false);
    case 'conc-stream':
      return concurrent(true);
  }
}

async function measure(targets: Partial<Record<Upstream, Pair<Target>>>, o: BenchOptions): Promise<Results> {
  const results: Results = [];
  for (const phase of o.phases) {
    const { run, warm } = planPhase(phase, o);
    const pair = targets[UPSTREAM_OF[phase]]!; // Made for every upstream a chosen phase needs.
    const result: Partial<Pair<RunResult>> = {};
    for (const side of ['direct', 'gateway'] as const) {
      await warm(pair[side]);
      const r = await run(pair[side]);
      log(`${phase} ${side}: ${r.timings.length} ok, ${r.errors} failed, ${(r.elapsedMs / 1000).toFixed(1)} s`);
      result[side] = r;
    }
    results.push([phase, result as Pair<RunResult>]);
  }
  return results;
}

type Row = [label: string, direct: number, gateway: number, kind: 'ms' | 'rps' | 'count'];

function phaseRows(phase: Phase, r: Pair<RunResult>, o: BenchOptions): Row[] {
  const ms = (field: 'headers' | 'firstByte' | 'total', p: number, label: string): Row => [
    label,
    percentile(r.direct.timings.map((t) => t[field]), p),
    percentile(r.gateway.timings.map((t) => t[field]), p),
    'ms',
  ];
  const rps = (label: string): Row => [label, perSecond(r.direct), perSecond(r.gateway), 'rps'];
  const c = o.concurrency;
  switch (phase) {
    case 'seq-json':
      return [
        ms('total', 50, 'one at a time, non-stream: total p50'),
        ms('total', 90, 'one at a time, non-stream: total p90'),
        ms('total', 99, 'one at a time, non-stream: total p99'),
      ];
    case 'seq-stream':
      return [
        ms('headers', 50, `one at a time, stream (${o.chunks} chunks): headers p50`),
        ms('headers', 99, 'one at a time, stream: headers p99'),
        ms('firstByte', 50, 'one at a time, stream: first byte p50'),
        ms('firstByte', 99, 'one at a time, stream: first byte p99'),
        ms('total', 50, 'one at a time, stream: total p50'),
        ms('total', 99, 'one at a time, stream: total p99'),
      ];
    case 'seq-claude-code': {
      const kb = Math.round(Buffer.byteLength(claudeCodeBody(MODEL_OF.anthropic)) / 1000);
      const cc = `Claude Code ${kb} KB stream`;
      return [
        ms('firstByte', 50, `one at a time, Claude Code capture (${CLAUDE_CODE_FIXTURE}, ${kb} KB), stream, /v1/messages Anthropic passthrough: first byte p50`),
        ms('firstByte', 99, `one at a time, ${cc}: first byte p99`),
        ms('total', 50, `one at a time, ${cc}: total p50`),
        ms('total', 99, `one at a time, ${cc}: total p99`),
      ];
    }
    case 'conc-json':
      return [rps(`${c} in flight, non-stream: requests/s`), ms('total', 50, `${c} in flight, non-stream: total p50`), ms('total', 99, `${c} in flight, non-stream: total p99`)];
    case 'conc-stream':
      return [
        rps(`${c} in flight, stream: requests/s`),
        ms('firstByte', 50, `${c} in flight, stream: first byte p50`),
        ms('total', 50, `${c} in flight, stream: total p50`),
        ms('total', 99, `${c} in flight, stream: total p99`),
      ];
  }
}

function report(results: Results, o: BenchOptions): string {
  const rows: Row[] = [
    ...results.flatMap(([phase, pair]) => phaseRows(phase, pair, o)),
    ['failed requests (all phases)', failures(results, 'direct'), failures(results, 'gateway'), 'count'],
  ];
  const chosen = o.phases.length < PHASES.length ? `, PHASES=${o.phases.join(',')}` : '';
  const lines = [
    `Gateway overhead — node ${process.version}, N=${o.n} (warm-up ${o.warmup}), CONCURRENCY=${o.concurrency} for ${o.durationS} s (warm-up ${o.warmupS} s)${chosen}, loopback, ${new Date().toISOString()}`,
    '',
    '| measure | direct | gateway | overhead |',
    '|---|---:|---:|---:|',
    ...rows.map(([label, direct, gateway, kind]) => `| ${label} | ${format(direct, kind)} | ${format(gateway, kind)} | ${difference(direct, gateway, kind)} |`),
  ];
  const samples = results.flatMap(([phase, pair]) => [...pair.direct.samples, ...pair.gateway.samples].map((s) => `${phase}: ${s}`));
  if (samples.length > 0) lines.push('', 'First failures:', ...samples.slice(0, 5).map((s) => `- ${s}`));
  return lines.join('\n');
}

function perSecond(result: RunResult): number {
  return result.timings.length / (result.elapsedMs / 1000);
}

function failures(results: Results, side: Side): number {
  return results.reduce((sum, [, pair]) => sum + pair[side].errors, 0);
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
