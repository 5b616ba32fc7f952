import { gzip } from 'node:zlib';
import { silentLogger } from '../observe/logger';
import { AfterResponse } from '../pipeline/after-response';
import { newContext } from '../pipeline/context';
import { MemoryResponseCache } from '../store/response-cache';
import { NO_TOKENS } from '../usage/tokens';
import { ResponseCache } from './response-cache';

// gzip watched (and still done): what a miss's answer costs to store, or not to.
jest.mock('node:zlib', () => {
  const real = jest.requireActual<typeof import('node:zlib')>('node:zlib');
  return { ...real, gzip: jest.fn(real.gzip) };
});

/** What the cache does with an answer too large to store, counted in gzip calls. */
describe('ResponseCache.keep, an answer far larger than maxBytes', () => {
  const MAX_BYTES = 1024;
  const plan = { hash: 'h'.repeat(64), read: true, write: true, ttlSeconds: 60 };

  async function keptAndStored(body: Uint8Array): Promise<{ puts: number; gzipped: number }> {
    (gzip as unknown as jest.Mock).mockClear();
    const store = new MemoryResponseCache();
    const later = new AfterResponse();
    const cache = new ResponseCache(store, { maxBytes: MAX_BYTES, now: Date.now, logger: silentLogger, later });
    const ctx = newContext('r-1', 'openai-embeddings', new Date());

    cache.keep(plan, { status: 200, headers: { 'content-type': 'application/json' }, body }, ctx);
    ctx.cache!.store!({ status: 200, outcome: 'ok', estimated: false, tokens: NO_TOKENS, costMicros: 0 });
    await later.drain();
    return { puts: store.puts, gzipped: (gzip as unknown as jest.Mock).mock.calls.length };
  }

  it('stores a whole answer that fits', async () => {
    expect(await keptAndStored(Buffer.from(JSON.stringify({ data: [{ embedding: [0.1, 0.2] }] })))).toEqual({ puts: 1, gzipped: 1 });
  });

  it('lets a whole answer go without compressing it when its raw size alone rules it out (a large embeddings batch)', async () => {
    // Random digits: JSON floats, which gzip makes about 2.5 times smaller, not 16.
    const floats = Array.from({ length: 8_000 }, (_, i) => ((i * 7919) % 10007) / 10007);
    const body = Buffer.from(JSON.stringify({ data: [{ embedding: floats }] }));
    expect(body.length).toBeGreaterThan(MAX_BYTES * 16);

    expect(await keptAndStored(body)).toEqual({ puts: 0, gzipped: 0 });
  });
});
