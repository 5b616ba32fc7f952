import { MemoryKeyStore } from '../store/keys';
import { MemoryTeamStore } from '../store/teams';
import { hashKey, mintKey, mintRotation } from './api-key';
import { KeyAuthenticator } from './authenticate';

// Which presented keys the authenticator holds (with their hash) is seen from outside by whether
// it hashes a key again: it hashes a presented key only when it does not hold it. hashKey is
// counted where the authenticator calls it (minting hashes inside the module, uncounted).
jest.mock('./api-key', () => {
  const actual = jest.requireActual<typeof import('./api-key')>('./api-key');
  return { ...actual, hashKey: jest.fn(actual.hashKey) };
});

const TTL = 30_000;
const hashes = jest.mocked(hashKey);

/** A store, an authenticator on a fake clock, and ways to make keys in them and to present one. */
function world(options: { maxEntries?: number } = {}) {
  let clock = 1_000_000;
  const store = new MemoryKeyStore();
  const teams = new MemoryTeamStore();
  const auth = new KeyAuthenticator(store, { ttlMs: TTL, now: () => clock, teams, ...options });
  return {
    store,
    auth,
    now: () => clock,
    advance(ms: number) {
      clock += ms;
    },
    async key(fields: Partial<Parameters<typeof mintKey>[0]> = {}) {
      const minted = mintKey({ name: 'k', models: ['*'], ...fields }, new Date(clock));
      await store.put(minted.record);
      return minted;
    },
    /** The key's secret rotated away with `graceMs`; the new secret. */
    async rotate(oldKey: string, graceMs: number) {
      const record = (await store.getByHash(hashKey(oldKey)))!;
      const { key, rotation } = mintRotation(graceMs, new Date(clock));
      await store.rotate(record, rotation);
      return key;
    },
    /** Presents `key` (from `sourceIp`): its caller's key id, or the refusal's message. */
    present(key: string, sourceIp = '127.0.0.1'): Promise<string> {
      return auth.authenticate({ headers: { 'x-api-key': key }, sourceIp }).then(
        (caller) => caller.key.id,
        (err: Error) => err.message,
      );
    },
  };
}

type World = ReturnType<typeof world>;

/** How many times `act` hashed a presented key. */
async function hashesDuring(act: () => Promise<unknown>): Promise<number> {
  hashes.mockClear();
  await act();
  return hashes.mock.calls.length;
}

describe('KeyAuthenticator: the presented keys it remembers', () => {
  it('remembers a key it lets through: presented again, it is not hashed again', async () => {
    const w = world();
    const { key, record } = await w.key();

    const first = await hashesDuring(() => w.present(key));
    const again = await hashesDuring(async () => {
      for (let i = 0; i < 3; i++) expect(await w.present(key)).toBe(record.id);
    });

    expect([first, again]).toEqual([1, 0]);
  });

  // Each case: a secret the store knows, refused the first time it is presented.
  it.each<[string, (w: World) => Promise<{ key: string; sourceIp?: string }>, string]>([
    ['a revoked key', async (w) => {
      const { key, record } = await w.key();
      await w.store.revoke(record.id, new Date(w.now()));
      return { key };
    }, 'This API key has been revoked.'],
    ['an expired key', async (w) => ({ key: (await w.key({ expiresAt: new Date(w.now() - 1).toISOString() })).key }), 'This API key has expired.'],
    ['a secret rotated away whose grace has ended', async (w) => {
      const { key } = await w.key();
      await w.rotate(key, 60_000);
      w.advance(60_000);
      return { key };
    }, 'This API key has been rotated: its old secret no longer works.'],
    ['a key used from an address its list refuses', async (w) => ({ key: (await w.key({ allowedIps: ['10.0.0.0/8'] })).key, sourceIp: '192.0.2.1' }), 'This API key may not be used from the address 192.0.2.1.'],
    ['a key whose team does not exist', async (w) => ({ key: (await w.key({ teamId: 'team_gone' })).key }), 'The team of this API key does not exist.'],
  ])('never holds %s: each time it is presented, it is hashed again and refused', async (_name, refusedKey, message) => {
    // Prepare
    const w = world();
    const { key, sourceIp } = await refusedKey(w);

    // Act
    const seen: string[] = [];
    const hashed = await hashesDuring(async () => {
      for (let i = 0; i < 3; i++) seen.push(await w.present(key, sourceIp));
    });

    // Assess
    expect(seen).toEqual([message, message, message]);
    expect(hashed).toBe(3);
  });

  // Each case: a key let through once, then what happens to it until it is refused.
  it.each<[string, (w: World, key: string) => Promise<void>, string]>([
    ['revoked since (seen once its entry has expired)', async (w, key) => {
      await w.store.revoke((await w.store.getByHash(hashKey(key)))!.id, new Date(w.now()));
      w.advance(TTL + 1);
    }, 'This API key has been revoked.'],
    ['rotated away since with no grace (the store no longer knows it)', async (w, key) => {
      await w.rotate(key, 0);
      w.advance(TTL + 1);
    }, 'Incorrect API key provided.'],
    ['rotated away with a grace that has ended', async (w, key) => {
      await w.rotate(key, 60_000);
      w.advance(TTL + 1);
      expect(await w.present(key)).toMatch(/^key_/);
      w.advance(60_000);
    }, 'This API key has been rotated: its old secret no longer works.'],
  ])('forgets a key %s at its first refusal', async (_name, change, message) => {
    // Prepare
    const w = world();
    const { key, record } = await w.key();
    expect(await w.present(key)).toBe(record.id);
    await change(w, key);

    // Act
    const refusal = await hashesDuring(async () => expect(await w.present(key)).toBe(message));
    const after = await hashesDuring(async () => expect(await w.present(key)).toBe(message));

    // Assess: refused without a hash (it was held), then hashed (it is no longer).
    expect([refusal, after]).toEqual([0, 1]);
  });

  it('forgets a key that has expired since at its first refusal, its entry still fresh', async () => {
    const w = world();
    const { key, record } = await w.key({ expiresAt: new Date(w.now() + 10_000).toISOString() });
    expect(await w.present(key)).toBe(record.id);
    w.advance(10_000);

    const refusal = await hashesDuring(async () => expect(await w.present(key)).toBe('This API key has expired.'));
    const after = await hashesDuring(async () => expect(await w.present(key)).toBe('This API key has expired.'));

    expect([refusal, after]).toEqual([0, 1]);
  });

  it('takes a key back once it is let through again (its address list allows the next request)', async () => {
    const w = world();
    const { key, record } = await w.key({ allowedIps: ['10.0.0.0/8'] });

    const hashed = await hashesDuring(async () => {
      expect(await w.present(key, '10.0.0.1')).toBe(record.id);
      expect(await w.present(key, '192.0.2.1')).toMatch(/may not be used/);
      expect(await w.present(key, '10.0.0.1')).toBe(record.id);
      expect(await w.present(key, '10.0.0.1')).toBe(record.id);
    });

    expect(hashed).toBe(2);
  });

  // Keys 0, 1, 2 with room for two: which of the first two is dropped for the third depends on which was used last.
  it.each<[string, number[], number[]]>([
    ['the least recently used goes when full, not the first remembered', [0, 1, 0, 2], [0, 2]],
    ['the first remembered goes when it is also the least recently used', [0, 1, 1, 2], [1, 2]],
    ['a key used every other time is kept however many others come and go', [0, 1, 0, 2, 0, 1, 0, 2], [0, 2]],
  ])('%s', async (_name, uses, kept) => {
    // Prepare
    const keys = Array.from({ length: 3 }, (_, i) => mintKey({ name: `k${i}`, models: ['*'] }, new Date()));
    /** Whether key `probe` is held after `uses`: presented then, it is not hashed. A probe changes what is held, so each starts afresh. */
    async function heldAfterUses(probe: number): Promise<boolean> {
      const w = world({ maxEntries: 2 });
      for (const { record } of keys) await w.store.put(record);
      for (const i of uses) await w.present(keys[i]!.key);
      return (await hashesDuring(() => w.present(keys[probe]!.key))) === 0;
    }

    // Act
    const held: number[] = [];
    for (const probe of [0, 1, 2]) if (await heldAfterUses(probe)) held.push(probe);

    // Assess
    expect(held).toEqual(kept);
  });

  // Half of an odd maxEntries is a key and a half: a key used after every second new key is kept with room for three.
  it.each([2, 3, 4, 5])('never drops a key used at least once every maxEntries / 2 new keys, and drops one that is not (room for %i)', async (maxEntries) => {
    // Prepare: a stream of new keys, `kept` used after every `every` of them, `idle` only before them (and before `kept`).
    const every = Math.ceil(maxEntries / 2);
    const w = world({ maxEntries });
    const kept = await w.key();
    const idle = await w.key();
    await w.present(idle.key);
    await w.present(kept.key);

    // Act
    const hashed = await hashesDuring(async () => {
      for (let i = 1; i <= 20; i++) {
        await w.present((await w.key()).key);
        if (i % every === 0) await w.present(kept.key);
      }
    });

    // Assess: only the new keys were hashed; then `kept` is still held, `idle` no longer.
    expect(hashed).toBe(20);
    expect(await hashesDuring(() => w.present(kept.key))).toBe(0);
    expect(await hashesDuring(() => w.present(idle.key))).toBe(1);
  });

  it('holds no more than maxEntries keys when one it held is dropped while its request awaits the store, then let through', async () => {
    // Prepare: room for two; `k` held, its entry expired, and its next read held back.
    const w = world({ maxEntries: 2 });
    const [k, l, m] = [await w.key(), await w.key(), await w.key()];
    await w.present(k.key);
    w.advance(TTL + 1);
    const kHash = hashKey(k.key);
    let letRead!: () => void;
    const held = new Promise<void>((resolve) => (letRead = resolve));
    const read = w.store.getByHash.bind(w.store);
    jest.spyOn(w.store, 'getByHash').mockImplementation(async (hash) => {
      if (hash === kHash) await held;
      return read(hash);
    });

    // Act: `k` is presented and waits; two new keys come, `k` is dropped for them; then `k` is let through.
    const waiting = w.present(k.key);
    expect(await w.present(l.key)).toBe(l.record.id);
    expect(await w.present(m.key)).toBe(m.record.id);
    letRead();
    expect(await waiting).toBe(k.record.id);

    // Assess: presented again, two of the three are held (not hashed), the third is not.
    const hashed: number[] = [];
    for (const { key } of [k, m, l]) hashed.push(await hashesDuring(() => w.present(key)));
    expect(hashed).toEqual([0, 0, 1]);
  });

  // Concurrent first requests for one key share its read; each still gets its own address's verdict.
  it.each<[string, string[]]>([
    ['the allowed address first', ['10.0.0.1', '192.0.2.1']],
    ['the refused address first', ['192.0.2.1', '10.0.0.1']],
  ])('answers concurrent requests for one key from an allowed and a refused address each by its own address (%s)', async (_name, addresses) => {
    // Prepare
    const w = world();
    const { key, record } = await w.key({ allowedIps: ['10.0.0.0/8'] });
    const verdict = (ip: string) => (ip === '10.0.0.1' ? record.id : 'This API key may not be used from the address 192.0.2.1.');

    // Act
    const together = await Promise.all(addresses.map((ip) => w.present(key, ip)));
    const after = [await w.present(key, '192.0.2.1'), await w.present(key, '10.0.0.1')];

    // Assess
    expect(together).toEqual(addresses.map(verdict));
    expect(after).toEqual([verdict('192.0.2.1'), verdict('10.0.0.1')]);
  });

  it('holds a key once whichever header carries it, with spaces around it or not', async () => {
    const w = world();
    const { key, record } = await w.key();
    const carriers = [{ authorization: `Bearer ${key}` }, { 'x-api-key': ` ${key} ` }, { 'x-goog-api-key': key }, { authorization: `bearer  ${key}\t` }];

    const hashed = await hashesDuring(async () => {
      for (const headers of carriers) expect((await w.auth.authenticate({ headers, sourceIp: '127.0.0.1' })).key.id).toBe(record.id);
    });

    expect(hashed).toBe(1);
  });

  it('keeps holding a key\'s new secret when its old one is refused at the end of its grace', async () => {
    // Prepare: both secrets let through during the grace.
    const w = world();
    const { key: oldKey, record } = await w.key();
    const newKey = await w.rotate(oldKey, 60_000);
    expect([await w.present(oldKey), await w.present(newKey)]).toEqual([record.id, record.id]);
    w.advance(60_000);

    // Act
    const refusal = await hashesDuring(async () => {
      expect(await w.present(oldKey)).toBe('This API key has been rotated: its old secret no longer works.');
      expect(await w.present(newKey)).toBe(record.id);
    });
    const after = await hashesDuring(async () => {
      expect(await w.present(oldKey)).toBe('This API key has been rotated: its old secret no longer works.');
      expect(await w.present(newKey)).toBe(record.id);
    });

    // Assess: neither hashed at first (both held); then only the old secret, forgotten at its refusal.
    expect([refusal, after]).toEqual([0, 1]);
  });
});
