/**
 * A warm request's authentication: the key held with its hash, its record cached, so the figure is
 * the authenticator's own work (a map lookup or two, the checks, the promise), no hash and no
 * read. With one key, and with a full map of `maxEntries` keys used in turn (where keeping the
 * map in order of use, the least recently used first, costs most). The process's CPU time, the
 * fastest of the rounds, so that other work on the machine weighs as little as it can.
 *
 *   npx tsx lib/access/authenticate.bench.ts
 */
import { MemoryKeyStore } from '../store/keys';
import { mintKey } from './api-key';
import { KeyAuthenticator } from './authenticate';

const N = 200_000;
const ROUNDS = 15;

async function nsPerAuthenticate(keyCount: number): Promise<number> {
  const store = new MemoryKeyStore();
  const requests = [];
  for (let i = 0; i < keyCount; i++) {
    const { key, record } = mintKey({ name: `k${i}`, models: ['*'] }, new Date());
    await store.put(record);
    requests.push({ headers: { authorization: `Bearer ${key}` }, sourceIp: '127.0.0.1' });
  }
  const auth = new KeyAuthenticator(store, { ttlMs: 3_600_000, maxEntries: keyCount });
  for (let i = 0; i < N; i++) await auth.authenticate(requests[i % keyCount]!);
  const times: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.cpuUsage();
    for (let i = 0; i < N; i++) await auth.authenticate(requests[i % keyCount]!);
    const spent = process.cpuUsage(start);
    times.push(((spent.user + spent.system) * 1000) / N);
  }
  return Math.min(...times);
}

async function main(): Promise<void> {
  for (const keys of [1, 10_000]) {
    console.log(`warm hit, ${String(keys).padStart(6)} key(s) held: ${((await nsPerAuthenticate(keys)) / 1000).toFixed(3)} µs/authenticate`);
  }
}

void main();
