import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { gzipSync } from 'node:zlib';
import { startTestTable } from '../../test/dynalite';
import type { TableRef } from './dynamo';
import { DynamoResponseCache, MemoryResponseCache, type CacheEntry, type ResponseCacheStore } from './response-cache';
import { responseCacheItemKey } from './table';

const createdAt = Date.parse('2026-11-26T17:05:10Z');
const entry: CacheEntry = {
  payload: gzipSync('{"choices":[]}'),
  contentType: 'application/json',
  stream: false,
  usage: { input: 12, output: 3, cacheRead: 0, cacheWrite: 0, reasoning: 1 },
  costMicros: 42,
  createdAt,
  expiresAt: createdAt + 60_000,
};

/** One contract, two implementations: the in-memory double must behave like the table. */
describe.each([
  ['MemoryResponseCache', async () => ({ store: new MemoryResponseCache() as ResponseCacheStore, table: undefined as TableRef | undefined, close: async () => {} })],
  [
    'DynamoResponseCache on dynalite',
    async () => {
      const t = await startTestTable();
      return { store: new DynamoResponseCache(t.table) as ResponseCacheStore, table: t.table as TableRef | undefined, close: t.close };
    },
  ],
])('%s', (_name, make) => {
  let store: ResponseCacheStore;
  let table: TableRef | undefined;
  let close: () => Promise<void>;
  beforeEach(async () => {
    ({ store, table, close } = await make());
  });
  afterEach(async () => close());

  it('gives back an entry as it was stored', async () => {
    await store.put('a'.repeat(64), entry);

    const got = await store.get('a'.repeat(64), createdAt + 1_000);

    expect({ ...got, payload: Buffer.from(got!.payload) }).toEqual({ ...entry, payload: Buffer.from(entry.payload) });
  });

  it('gives back the guardrails\' hits in the stored answer with it', async () => {
    const screened: CacheEntry = { ...entry, answerHits: [{ rule: 'jwt', action: 'flag', count: 2, side: 'response' }] };
    await store.put('d'.repeat(64), screened);

    const got = await store.get('d'.repeat(64), createdAt + 1_000);

    expect(got?.answerHits).toEqual([{ rule: 'jwt', action: 'flag', count: 2, side: 'response' }]);
  });

  it('finds nothing under another hash, and nothing once the entry expired, whether or not the table deleted it', async () => {
    await store.put('b'.repeat(64), entry);

    expect(await store.get('c'.repeat(64), createdAt)).toBeUndefined();
    expect(await store.get('b'.repeat(64), entry.expiresAt)).toBeUndefined();
  });

  it('replaces an entry stored again under the same hash', async () => {
    await store.put('d'.repeat(64), entry);
    await store.put('d'.repeat(64), { ...entry, costMicros: 7 });

    expect((await store.get('d'.repeat(64), createdAt))?.costMicros).toBe(7);
  });

  it('keeps the item under CACHE#<hash> with its TTL in epoch seconds (the table)', async () => {
    if (!table) return;
    await store.put('e'.repeat(64), entry);

    const key = responseCacheItemKey('e'.repeat(64));
    const out = await table.client.send(new GetItemCommand({ TableName: table.tableName, Key: { PK: { S: key.PK }, SK: { S: key.SK } } }));

    expect(key.PK).toBe(`CACHE#${'e'.repeat(64)}`);
    expect(out.Item?.ttl?.N).toBe(String(Math.ceil(entry.expiresAt / 1000)));
    expect(out.Item?.payload?.B).toBeInstanceOf(Uint8Array);
  });
});
