import { GatewayError } from '../http/errors';
import { MemoryKeyStore } from '../store/keys';
import { mintKey } from './api-key';
import { KeyAuthenticator, presentedKey } from './authenticate';

function countingStore() {
  const store = new MemoryKeyStore();
  let reads = 0;
  const getByHash = store.getByHash.bind(store);
  store.getByHash = async (hash: string) => {
    reads++;
    return getByHash(hash);
  };
  return { store, reads: () => reads };
}

describe('presentedKey', () => {
  it.each([
    [{ authorization: 'Bearer sk-gw-abc' }, 'sk-gw-abc'],
    [{ authorization: 'bearer sk-gw-abc ' }, 'sk-gw-abc'],
    [{ 'x-api-key': 'sk-gw-abc' }, 'sk-gw-abc'],
    [{ authorization: 'Basic xyz', 'x-api-key': 'sk-gw-abc' }, 'sk-gw-abc'],
    [{ authorization: 'Bearer ' }, undefined],
    [{}, undefined],
  ])('reads %j as %s', (headers, expected) => {
    expect(presentedKey(headers)).toBe(expected);
  });
});

describe('KeyAuthenticator', () => {
  let clock = 0;
  const now = () => clock;
  beforeEach(() => {
    clock = 1_000_000;
  });

  it('reads a key from the store once per TTL and from memory in between', async () => {
    const { store, reads } = countingStore();
    const { key, record } = mintKey({ name: 'a', models: ['*'] }, new Date());
    await store.put(record);
    const auth = new KeyAuthenticator(store, { ttlMs: 30_000, now });

    for (let i = 0; i < 5; i++) await auth.authenticate({ authorization: `Bearer ${key}` });
    clock += 30_001;
    await auth.authenticate({ authorization: `Bearer ${key}` });

    expect(reads()).toBe(2);
  });

  it('shares one store read among concurrent first requests for a key', async () => {
    const { store, reads } = countingStore();
    const { key, record } = mintKey({ name: 'a', models: ['*'] }, new Date());
    await store.put(record);
    const auth = new KeyAuthenticator(store, { ttlMs: 30_000, now });

    await Promise.all(Array.from({ length: 20 }, () => auth.authenticate({ 'x-api-key': key })));

    expect(reads()).toBe(1);
  });

  it('remembers unknown keys briefly, so a bad client cannot hammer the table', async () => {
    const { store, reads } = countingStore();
    const auth = new KeyAuthenticator(store, { ttlMs: 30_000, negativeTtlMs: 5_000, now });

    for (let i = 0; i < 3; i++) await auth.authenticate({ 'x-api-key': 'sk-gw-nope' }).catch(() => undefined);
    clock += 5_001;
    await auth.authenticate({ 'x-api-key': 'sk-gw-nope' }).catch(() => undefined);

    expect(reads()).toBe(2);
  });

  it('sees a revocation once the cached entry has expired', async () => {
    const { store } = countingStore();
    const { key, record } = mintKey({ name: 'a', models: ['*'] }, new Date());
    await store.put(record);
    const auth = new KeyAuthenticator(store, { ttlMs: 1_000, now });
    await auth.authenticate({ 'x-api-key': key });

    await store.revoke(record.id, new Date());
    clock += 1_001;

    await expect(auth.authenticate({ 'x-api-key': key })).rejects.toMatchObject({ status: 401, message: 'This API key has been revoked.' });
  });

  it.each([
    ['no key', {}, 'missing_api_key'],
    ['an unknown key', { 'x-api-key': 'sk-gw-unknown' }, 'invalid_api_key'],
  ])('refuses %s with 401', async (_name, headers, code) => {
    const auth = new KeyAuthenticator(new MemoryKeyStore(), { ttlMs: 1, now });

    const err = await auth.authenticate(headers).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ status: 401, code });
  });

  it('refuses an expired key', async () => {
    const store = new MemoryKeyStore();
    const { key, record } = mintKey({ name: 'a', models: ['*'], expiresAt: new Date(clock - 1).toISOString() }, new Date());
    await store.put(record);

    await expect(new KeyAuthenticator(store, { ttlMs: 1, now }).authenticate({ 'x-api-key': key })).rejects.toMatchObject({ status: 401, message: 'This API key has expired.' });
  });
});
