/**
 * `npm run bench:cold`: what a new Lambda instance of the proxy costs before and during its first
 * request, on loopback. The proxy is bundled with the stack's own bundling settings, then started
 * RUNS times, each in a fresh `node` (with the stack's `--enable-source-maps`) that loads the bundle
 * and sends two requests through the handler (`bench/cold-start-child.cjs`).
 *
 * Its AWS services are local, each answering after DELAY_MS (default 15) as a stand-in for the
 * round trip to the region's endpoint: DynamoDB is dynalite behind a delaying proxy (the key lookup
 * and the usage write), Secrets Manager a fake (`bench/fake-secrets-manager.ts`) holding the
 * OpenAI account's key. The upstream is the fake OpenAI, answering at once.
 *
 * Reported, medians over RUNS: Node's start until the handler module runs (not ours), loading the
 * bundle, the first request (key lookup, secret, upstream, usage write), the second (warm).
 *
 * Env: RUNS (default 15), DELAY_MS (default 15), BUNDLE (a bundle built elsewhere, e.g. from an
 * earlier commit, instead of building one; its external packages resolve from this repo's
 * node_modules), COLD_NODE_ARGS (more options for the instances' `node`, e.g. `--cpu-prof`).
 * Loopback only; stops by itself.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { BASE_BUNDLING } from '../infra/constructs/gateway-function';
import { mintKey } from '../lib/access/api-key';
import { parseConfig } from '../lib/config/load';
import { managedSecretName, resolveForAws } from '../lib/config/resolve-for-aws';
import { DynamoKeyStore } from '../lib/store/keys';
import { startTestTable } from '../test/dynalite';
import { startFakeOpenAI } from '../test/fakes/openai';
import { startDelayingProxy } from './delaying-proxy';
import { startFakeSecretsManager } from './fake-secrets-manager';
import { percentile } from './load';

const ROOT = resolve(__dirname, '..');
const RUNS = Number(process.env.RUNS ?? 15);
const DELAY_MS = Number(process.env.DELAY_MS ?? 15);
const RUN_TIMEOUT_MS = 20_000;

/** The proxy bundled as the stack bundles it, except the config: it comes from the environment here. */
function buildProxyBundle(dir: string): string {
  const outfile = join(dir, 'index.js');
  buildSync({
    entryPoints: [join(ROOT, 'functions/proxy.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    outfile,
    minify: BASE_BUNDLING.minify ?? false,
    sourcemap: BASE_BUNDLING.sourceMap ?? false,
    sourcesContent: BASE_BUNDLING.sourcesContent ?? true,
    external: BASE_BUNDLING.bundleAwsSDK ? [] : ['@aws-sdk/*'],
    logLevel: 'warning',
  });
  return outfile;
}

interface Sample {
  boot: number;
  load: number;
  first: number;
  second: number;
}

function runOnce(bundle: string, env: NodeJS.ProcessEnv): Promise<Sample> {
  return new Promise((resolveRun, reject) => {
    const nodeArgs = (process.env.COLD_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...nodeArgs, join(__dirname, 'cold-start-child.cjs'), bundle], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('COLD'));
      if (code === 0 && line?.startsWith('COLD {')) resolveRun(JSON.parse(line.slice(5)) as Sample);
      else reject(new Error(`cold start run failed (exit ${code}): ${line ?? out.slice(-500)}`));
    });
  });
}

async function main(): Promise<void> {
  // This process talks to dynalite with the SDK too; the machine's Node 20 would make it warn.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const dir = mkdtempSync(join(tmpdir(), 'aigw-cold-'));
  const db = await startTestTable();
  const ddb = await startDelayingProxy(db.dynamo.endpoint, DELAY_MS);
  const upstream = await startFakeOpenAI({ apiKey: 'sk-cold-start', recordRequests: false });
  const secretName = managedSecretName('Aigw', 'openai', 'main');
  const sm = await startFakeSecretsManager({ [secretName]: 'sk-cold-start' }, { delayMs: DELAY_MS });
  try {
    const bundle = process.env.BUNDLE ? resolve(process.env.BUNDLE) : buildProxyBundle(dir);
    const minted = mintKey({ name: 'cold', models: ['*'] }, new Date());
    await new DynamoKeyStore(db.table).put(minted.record);
    const config = resolveForAws(
      parseConfig({
        providers: [{ id: 'openai', type: 'openai', baseUrl: upstream.url, accounts: [{ id: 'main', apiKey: { env: 'OPENAI_API_KEY' } }] }],
        models: [{ name: 'gpt-4o-mini', targets: [{ provider: 'openai', model: 'gpt-4o-mini' }] }],
      }),
      'Aigw',
    ).config;
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      NODE_OPTIONS: '--enable-source-maps',
      NODE_PATH: join(ROOT, 'node_modules'),
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIACOLDSTART',
      AWS_SECRET_ACCESS_KEY: 'cold-start-secret',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.url,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      GATEWAY_CONFIG_JSON: JSON.stringify(config),
      GATEWAY_TABLE_NAME: db.table.tableName,
      DYNAMODB_ENDPOINT: ddb.url,
      POWERTOOLS_LOG_LEVEL: 'WARN',
      COLD_KEY: minted.key,
    };
    const samples: Sample[] = [];
    for (let i = 0; i < RUNS; i++) samples.push(await runOnce(bundle, env));
    const row = (name: keyof Sample, what: string) => `| ${what} | ${percentile(samples.map((s) => s[name]), 50).toFixed(1)} ms | ${Math.min(...samples.map((s) => s[name])).toFixed(1)} ms |`;
    console.log(`Cold start of the proxy bundle (${bundle}), ${RUNS} runs, AWS services answering after ${DELAY_MS} ms; Secrets Manager reads: ${sm.reads.length}\n`);
    console.log('| | median | min |\n|---|---|---|');
    console.log(row('boot', "Node's start (not the gateway's)"));
    console.log(row('load', 'loading the bundle'));
    console.log(row('first', 'first request (key, secret, upstream, usage write)'));
    console.log(row('second', 'second request (warm)'));
  } finally {
    await sm.close();
    await upstream.close();
    await ddb.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
