/**
 * What the response cache costs and saves a call, in this process: the gateway with its table on
 * dynalite (directly, or behind a proxy that answers after DELAY_MS, as DynamoDB is a round trip
 * away from Lambda), one call at a time, a key without limits, for a model without `cache`, a
 * cached model's miss (a new prompt each call: one GetItem, then the upstream, the PutItem after
 * the answer) and its hit (the same prompt: one GetItem, no upstream). The fake upstream answers
 * at once, so a miss here is the cache's overhead, not a real model's seconds. Prints p50 and p90.
 *
 *   npx tsx bench/cache-latency.ts      N (default 200), DELAY_MS (default 0: dynalite directly)
 *
 * Loopback only; stops by itself.
 */
import { mintKey } from '../lib/access/api-key';
import { parseConfig } from '../lib/config/load';
import { LocalCredentials } from '../lib/credentials/local';
import { createGateway } from '../lib/gateway';
import { isStreamBody } from '../lib/http/types';
import { createTableRef } from '../lib/store/dynamo';
import { DynamoKeyStore } from '../lib/store/keys';
import { DynamoRateWindows } from '../lib/store/rate-windows';
import { DynamoResponseCache } from '../lib/store/response-cache';
import { DynamoSpendStore } from '../lib/store/spend';
import { MemoryUsageSink } from '../lib/usage/record';
import { startTestTable } from '../test/dynalite';
import { startFakeOpenAI } from '../test/fakes/openai';
import { startDelayingProxy } from './delaying-proxy';
import { percentile } from './load';

const N = Number(process.env.N ?? 200);
const DELAY_MS = Number(process.env.DELAY_MS ?? 0);

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const db = await startTestTable();
  const proxy = DELAY_MS > 0 ? await startDelayingProxy(db.dynamo.endpoint, DELAY_MS) : undefined;
  const upstream = await startFakeOpenAI({ apiKey: 'sk-up', recordRequests: false });
  const table = proxy ? createTableRef({ tableName: db.table.tableName, endpoint: proxy.url }) : db.table;
  const keys = new DynamoKeyStore(table);
  const targets = [{ provider: 'up', model: 'gpt-4o-mini' }];
  const gateway = createGateway({
    config: parseConfig({
      providers: [{ id: 'up', type: 'openai', baseUrl: upstream.url, accounts: [{ id: 'a', apiKey: { env: 'UP_KEY' } }] }],
      models: [
        { name: 'plain', targets },
        { name: 'cached', targets, cache: {} },
      ],
    }),
    keys,
    rates: new DynamoRateWindows(table),
    spend: new DynamoSpendStore(table),
    usage: new MemoryUsageSink(),
    credentials: new LocalCredentials({ UP_KEY: 'sk-up' }),
    responseCache: new DynamoResponseCache(table),
  });
  const minted = mintKey({ name: 'bench', models: ['*'] }, new Date());
  await new DynamoKeyStore(db.table).put(minted.record);
  const call = async (model: string, prompt: string, stream: boolean): Promise<{ ms: number; cache: string | undefined }> => {
    const start = performance.now();
    const res = await gateway.handle({
      method: 'POST',
      path: '/v1/chat/completions',
      query: new URLSearchParams(),
      headers: { authorization: `Bearer ${minted.key}`, 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify({ model, messages: [{ role: 'user', content: prompt }], max_tokens: 32, stream })),
      sourceIp: '127.0.0.1',
      requestId: `bench-${Math.random()}`,
    });
    if (isStreamBody(res.body)) for await (const _chunk of res.body);
    if (res.status !== 200) throw new Error(`${model}: status ${res.status}`);
    const ms = performance.now() - start;
    // The cache's put and the usage write go out after the response: let them land first, as on Lambda.
    await gateway.drain();
    return { ms, cache: res.headers['x-aigw-cache'] };
  };
  const CASES: [string, (i: number, stream: boolean) => Promise<{ ms: number; cache: string | undefined }>, string | undefined][] = [
    ['model without cache', (i, stream) => call('plain', `Say hello ${i}.`, stream), undefined],
    ['cached model, miss', (i, stream) => call('cached', `Say hello ${stream}-${i}.`, stream), 'miss'],
    ['cached model, hit', (_i, stream) => call('cached', `Say hello again ${stream}.`, stream), 'hit'],
  ];
  try {
    console.log(`One call at a time, the table ${DELAY_MS ? `${DELAY_MS} ms away` : 'on dynalite directly'}, ${N} calls per case after 10 to warm up\n`);
    console.log('| case | whole p50 | whole p90 | stream p50 | stream p90 |\n|---|---|---|---|---|');
    for (const [name, run, expected] of CASES) {
      const cells: string[] = [];
      for (const stream of [false, true]) {
        const times: number[] = [];
        for (let i = 0; i < N + 10; i++) {
          const { ms, cache } = await run(i, stream);
          // The hit case's first call stores the answer the others get.
          if (i >= 10) {
            if (cache !== expected) throw new Error(`${name}: x-aigw-cache ${cache}, expected ${expected}`);
            times.push(ms);
          }
        }
        cells.push(`${percentile(times, 50).toFixed(2)} ms`, `${percentile(times, 90).toFixed(2)} ms`);
      }
      console.log(`| ${name} | ${cells.join(' | ')} |`);
    }
  } finally {
    await gateway.close();
    await upstream.close();
    await proxy?.close();
    await db.close();
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
