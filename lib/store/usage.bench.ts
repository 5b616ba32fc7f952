/**
 * What the usage sink costs per stored object's home, as a busy instance writes them: a home queued
 * (`storeHomes`: its item, its place in the queue, its entry in `#latest`), its batch sent and
 * completed (`#settled`: the entry dropped), a drain every 25; and the same with every batch lost
 * once and its homes kept and written again at the next drain.
 *
 *   npx tsx lib/store/usage.bench.ts
 */
import type { TableRef } from './dynamo';
import type { StoredHome } from './stored-homes';
import { DynamoUsageSink } from './usage';

const N = 20_000;
const homes: StoredHome[] = Array.from({ length: N }, (_, i) => ({ ref: { kind: 'response', id: `resp_${i.toString(16).padStart(48, '0')}` }, providerId: 'pool', accountId: 'two', owner: 'team_0123456789abcdef', keyId: 'key_0123456789abcdef', model: 'gpt-4o-mini', createdAt: Date.now() }));

async function nsPerHome(loseEach: boolean): Promise<number> {
  let calls = 0;
  // Losing every other call: each batch is lost once (kept), then written by the next drain.
  const writeBatch = async () => {
    if (loseEach && calls++ % 2 === 0) throw new Error('throttled');
    return {};
  };
  const sink = new DynamoUsageSink({} as TableRef, { retentionDays: 90, flushAfterMs: 60_000, writeBatch, keptDelayMs: () => 60_000 });
  const started = performance.now();
  for (let i = 0; i < N; i++) {
    sink.storeHomes([homes[i]!]);
    if (i % 25 === 24) await sink.drain();
  }
  await sink.drain();
  return ((performance.now() - started) * 1e6) / N;
}

void (async () => {
  const median = async (lose: boolean) => {
    const runs: number[] = [];
    for (let i = 0; i < 9; i++) runs.push(await nsPerHome(lose));
    return runs.sort((a, b) => a - b)[4]!;
  };
  const written = await median(false);
  const keptOnce = await median(true);
  console.log('| step | ns per home |');
  console.log('|---|---|');
  console.log(`| a home stored, batched and written (a drain every 25) | ${written.toFixed(0)} |`);
  console.log(`| the same, each batch lost once: kept, then written by the next drain | ${keptOnce.toFixed(0)} |`);
})();
