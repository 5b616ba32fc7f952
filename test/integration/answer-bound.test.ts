import OpenAI from 'openai';
import { eventually, startHarness, type Harness } from './harness';

/**
 * A whole answer past the gateway's bound (eight times `limits.maxUpstreamEventBytes`) that the
 * request itself made large: every account of the pool would answer it as large, and bill it.
 * With the bound at its least (64 KiB, 512 KiB whole), 24 embeddings of 1 536 floats (~1 MB of
 * JSON) outgrow it.
 */
const LIMIT = 64 * 1024;
const BIG_BATCH = Array.from({ length: 24 }, (_, i) => `passage number ${i} of a batch too large to answer whole`);

let h: Harness;
let caller: { id: string; key: string };

beforeAll(async () => {
  h = await startHarness({
    config: ({ upstream }) => ({
      providers: [
        {
          id: 'pool',
          type: 'openai',
          accounts: [
            { id: 'a', baseUrl: upstream, apiKey: { env: 'TEST_UPSTREAM_KEY' } },
            { id: 'b', baseUrl: upstream, apiKey: { env: 'TEST_UPSTREAM_KEY' } },
          ],
        },
      ],
      models: [{ name: 'emb', targets: [{ provider: 'pool', model: 'text-embedding-3-small' }] }],
      limits: { maxUpstreamEventBytes: LIMIT },
    }),
  });
  caller = await h.createKey({ name: 'bound', models: ['emb'] });
});
afterAll(async () => h.close());
beforeEach(() => {
  h.upstream.reset();
  h.health.clear();
});

describe('a whole answer the request made larger than the bound', () => {
  it('is a 502 at once: no other account of the pool is asked (it would answer as large, billed again), and none rests', async () => {
    // Act
    const err = await h.openai({ apiKey: caller.key }).embeddings.create({ model: 'emb', input: BIG_BATCH, encoding_format: 'float', dimensions: 1536 }).catch((e: unknown) => e);

    // Assess: the size is the request's, not a fault of the account that answered it.
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err).toMatchObject({ status: 502, code: 'upstream_answer_too_large' });
    expect(h.upstream.requests).toHaveLength(1);
    expect(h.health.isCooling('pool/a')).toBe(false);
    expect(h.health.isCooling('pool/b')).toBe(false);
    await eventually(async () => expect(await h.usage(caller.id)).toEqual([expect.objectContaining({ model: 'emb', provider: 'pool', attempts: 1, status: 502, errorCode: 'upstream_answer_too_large' })]));
  });
});
