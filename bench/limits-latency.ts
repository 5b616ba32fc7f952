/**
 * What a limited key's call waits for before it goes upstream when the table is a round trip
 * away: the gateway in this process, its counters on dynalite behind a proxy that answers after
 * DELAY_MS (default 10, a DynamoDB round trip within a Region from Lambda), one call at a time,
 * for a key without limits, one with a requests-per-minute limit, and one with a requests limit
 * and a day and a month budget. The upstream answers at once; usage records go to memory. Prints
 * p50 and p90 per key.
 *
 *   npx tsx bench/limits-latency.ts      N (default 100), DELAY_MS (default 10)
 *
 * Loopback only; stops by itself.
 */
import { mintKey, type KeyLimits } from '../lib/access/api-key';
import { parseConfig } from '../lib/config/load';
import { LocalCredentials } from '../lib/credentials/local';
import { createGateway } from '../lib/gateway';
import { isStreamBody } from '../lib/http/types';
import { createTableRef } from '../lib/store/dynamo';
import { DynamoKeyStore } from '../lib/store/keys';
import { DynamoRateWindows } from '../lib/store/rate-windows';
import { DynamoSpendStore } from '../lib/store/spend';
import { MemoryUsageSink } from '../lib/usage/record';
import { startTestTable } from '../test/dynalite';
import { startFakeOpenAI } from '../test/fakes/openai';
import { startDelayingProxy } from './delaying-proxy';
import { percentile } from './load';

const N = Number(process.env.N ?? 100);
const DELAY_MS = Number(process.env.DELAY_MS ?? 10);
const KEYS: Record<string, KeyLimits> = {
  'no limits': {},
  'requests limit': { requestsPerMinute: 1_000_000 },
  'requests limit, day and month budgets': { requestsPerMinute: 1_000_000, usdPerDay: 1_000_000, usdPerMonth: 1_000_000 },
};

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const db = await startTestTable();
  const proxy = await startDelayingProxy(db.dynamo.endpoint, DELAY_MS);
  const upstream = await startFakeOpenAI({ apiKey: 'sk-up', recordRequests: false });
  const far = createTableRef({ tableName: db.table.tableName, endpoint: proxy.url });
  const keys = new DynamoKeyStore(far);
  const gateway = createGateway({
    config: parseConfig({
      providers: [{ id: 'up', type: 'openai', baseUrl: upstream.url, accounts: [{ id: 'a', apiKey: { env: 'UP_KEY' } }] }],
      models: [{ name: 'gpt-4o-mini', price: { input: 0.15, output: 0.6 }, targets: [{ provider: 'up', model: 'gpt-4o-mini' }] }],
    }),
    keys,
    rates: new DynamoRateWindows(far),
    spend: new DynamoSpendStore(far),
    usage: new MemoryUsageSink(),
    credentials: new LocalCredentials({ UP_KEY: 'sk-up' }),
  });
  const body = Buffer.from(JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello.' }], max_tokens: 32 }));
  try {
    console.log(`One call at a time, the table ${DELAY_MS} ms away, ${N} calls per key after 10 to warm up\n`);
    console.log('| key | p50 | p90 |\n|---|---|---|');
    for (const [name, limits] of Object.entries(KEYS)) {
      const minted = mintKey({ name, models: ['*'], limits }, new Date());
      await new DynamoKeyStore(db.table).put(minted.record);
      const times: number[] = [];
      for (let i = 0; i < N + 10; i++) {
        const start = performance.now();
        const res = await gateway.handle({
          method: 'POST',
          path: '/v1/chat/completions',
          query: new URLSearchParams(),
          headers: { authorization: `Bearer ${minted.key}`, 'content-type': 'application/json' },
          body,
          sourceIp: '127.0.0.1',
          requestId: `bench-${i}`,
        });
        if (isStreamBody(res.body)) for await (const _chunk of res.body);
        if (res.status !== 200) throw new Error(`${name}: status ${res.status}`);
        if (i >= 10) times.push(performance.now() - start);
        // Settlements go out after the response: let them land before the next call, as on Lambda.
        await gateway.drain();
      }
      console.log(`| ${name} | ${percentile(times, 50).toFixed(1)} ms | ${percentile(times, 90).toFixed(1)} ms |`);
    }
  } finally {
    await gateway.close();
    await upstream.close();
    await proxy.close();
    await db.close();
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
