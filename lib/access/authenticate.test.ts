import { GatewayError } from '../http/errors';
import { MemoryKeyStore } from '../store/keys';
import { MemoryTeamStore } from '../store/teams';
import { hashKey, mintKey, mintRotation } from './api-key';
import { newTeam } from './team';
import { KeyAuthenticator, presentedKey } from './authenticate';

// hashKey counted where the authenticator calls it (minting hashes inside the module, uncounted).
jest.mock('./api-key', () => {
  const actual = jest.requireActual<typeof import('./api-key')>('./api-key');
  return { ...actual, hashKey: jest.fn(actual.hashKey) };
});

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

/** A request with these headers, from loopback unless told otherwise. */
const from = (headers: Record<string, string>, sourceIp = '127.0.0.1') => ({ headers, sourceIp });

describe('presentedKey', () => {
  it.each([
    [{ authorization: 'Bearer sk-gw-abc' }, 'sk-gw-abc'],
    [{ authorization: 'bearer sk-gw-abc ' }, 'sk-gw-abc'],
    [{ 'x-api-key': 'sk-gw-abc' }, 'sk-gw-abc'],
    [{ authorization: 'Basic xyz', 'x-api-key': 'sk-gw-abc' }, 'sk-gw-abc'],
    [{ 'x-goog-api-key': 'sk-gw-abc' }, 'sk-gw-abc'],
    [{ 'x-api-key': 'sk-gw-abc', 'x-goog-api-key': 'sk-gw-other' }, 'sk-gw-abc'],
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

    for (let i = 0; i < 5; i++) await auth.authenticate(from({ authorization: `Bearer ${key}` }));
    clock += 30_001;
    await auth.authenticate(from({ authorization: `Bearer ${key}` }));

    expect(reads()).toBe(2);
  });

  it('hashes a key presented again only once it has been forgotten among more recent ones', async () => {
    const { store } = countingStore();
    const minted = Array.from({ length: 3 }, (_, i) => mintKey({ name: `k${i}`, models: ['*'] }, new Date()));
    for (const { record } of minted) await store.put(record);
    const auth = new KeyAuthenticator(store, { ttlMs: 30_000, now, maxEntries: 2 });
    const hashes = jest.mocked(hashKey);
    hashes.mockClear();
    const use = (i: number) => auth.authenticate(from({ authorization: `Bearer ${minted[i]!.key}` }));

    for (let round = 0; round < 3; round++) await use(0);
    expect(hashes).toHaveBeenCalledTimes(1);
    await use(1);
    await use(2);
    // The first key was forgotten for the third: hashed again, and still the same key.
    expect((await use(0)).key.id).toBe(minted[0]!.record.id);
    expect(hashes).toHaveBeenCalledTimes(4);
    await expect(auth.authenticate(from({ authorization: 'Bearer sk-gw-unknown' }))).rejects.toMatchObject({ status: 401 });
  });

  it('keeps no unknown key in memory: keys tried at random neither pile up nor push a good key out', async () => {
    // Prepare: a presented key is the client's string, as long as its header; only the store's keys are worth holding.
    const { store } = countingStore();
    const { key, record } = mintKey({ name: 'a', models: ['*'] }, new Date());
    await store.put(record);
    const auth = new KeyAuthenticator(store, { ttlMs: 30_000, now, maxEntries: 2 });
    const hashes = jest.mocked(hashKey);
    const wrong = (i: number) => auth.authenticate(from({ authorization: `Bearer sk-gw-${String(i).repeat(2_000)}` }));
    await auth.authenticate(from({ authorization: `Bearer ${key}` }));
    hashes.mockClear();

    // Act
    for (let i = 0; i < 3; i++) await expect(wrong(i)).rejects.toMatchObject({ status: 401 });
    await expect(wrong(0)).rejects.toMatchObject({ status: 401 });
    const caller = await auth.authenticate(from({ authorization: `Bearer  ${key} ` }));

    // Assess: each wrong key hashed each time it came; the good one (spaces around it or not) not again.
    expect(caller.key.id).toBe(record.id);
    expect(hashes).toHaveBeenCalledTimes(4);
  });

  it('shares one store read among concurrent first requests for a key', async () => {
    const { store, reads } = countingStore();
    const { key, record } = mintKey({ name: 'a', models: ['*'] }, new Date());
    await store.put(record);
    const auth = new KeyAuthenticator(store, { ttlMs: 30_000, now });

    await Promise.all(Array.from({ length: 20 }, () => auth.authenticate(from({ 'x-api-key': key }))));

    expect(reads()).toBe(1);
  });

  it('remembers unknown keys briefly, so a bad client cannot hammer the table', async () => {
    const { store, reads } = countingStore();
    const auth = new KeyAuthenticator(store, { ttlMs: 30_000, negativeTtlMs: 5_000, now });

    for (let i = 0; i < 3; i++) await auth.authenticate(from({ 'x-api-key': 'sk-gw-nope' })).catch(() => undefined);
    clock += 5_001;
    await auth.authenticate(from({ 'x-api-key': 'sk-gw-nope' })).catch(() => undefined);

    expect(reads()).toBe(2);
  });

  it('sees a revocation once the cached entry has expired', async () => {
    const { store } = countingStore();
    const { key, record } = mintKey({ name: 'a', models: ['*'] }, new Date());
    await store.put(record);
    const auth = new KeyAuthenticator(store, { ttlMs: 1_000, now });
    await auth.authenticate(from({ 'x-api-key': key }));

    await store.revoke(record.id, new Date());
    clock += 1_001;

    await expect(auth.authenticate(from({ 'x-api-key': key }))).rejects.toMatchObject({ status: 401, message: 'This API key has been revoked.' });
  });

  describe('after a rotation', () => {
    /** A key rotated at `clock` with `graceMs`, and an authenticator whose cache has seen neither secret. */
    async function rotatedKey(graceMs: number) {
      const { store, reads } = countingStore();
      const { key: oldKey, record } = mintKey({ name: 'a', models: ['*'] }, new Date(clock));
      await store.put(record);
      const { key: newKey, rotation } = mintRotation(graceMs, new Date(clock));
      await store.rotate(record, rotation);
      return { oldKey, newKey, store, reads, auth: new KeyAuthenticator(store, { ttlMs: 30_000, now }) };
    }

    it('accepts both secrets as the same key during the grace, the old one refused with 401 after it without another read', async () => {
      const { oldKey, newKey, reads, auth } = await rotatedKey(20_000);

      const byOld = await auth.authenticate(from({ 'x-api-key': oldKey }));
      const byNew = await auth.authenticate(from({ 'x-api-key': newKey }));
      clock += 19_999;
      await auth.authenticate(from({ 'x-api-key': oldKey }));
      clock += 1;

      expect(byOld.key.id).toBe(byNew.key.id);
      await expect(auth.authenticate(from({ 'x-api-key': oldKey }))).rejects.toMatchObject({ status: 401, code: 'invalid_api_key', message: 'This API key has been rotated: its old secret no longer works.' });
      await auth.authenticate(from({ 'x-api-key': newKey }));
      expect(reads()).toBe(2);
    });

    it('refuses the old secret at once with no grace', async () => {
      const { oldKey, newKey, auth } = await rotatedKey(0);

      await expect(auth.authenticate(from({ 'x-api-key': oldKey }))).rejects.toMatchObject({ status: 401 });
      await expect(auth.authenticate(from({ 'x-api-key': newKey }))).resolves.toBeDefined();
    });

    it('refuses the old secret of a revoked key, as the new one, once the cache has expired', async () => {
      const { oldKey, newKey, store, auth } = await rotatedKey(3_600_000);
      const { id } = (await auth.authenticate(from({ 'x-api-key': oldKey }))).key;

      await store.revoke(id, new Date(clock));
      clock += 30_001;

      for (const key of [oldKey, newKey]) await expect(auth.authenticate(from({ 'x-api-key': key }))).rejects.toMatchObject({ status: 401, message: 'This API key has been revoked.' });
    });

    it('ends the first secret\'s grace when the key is rotated again', async () => {
      const { oldKey, store, auth } = await rotatedKey(3_600_000);
      const current = (await auth.authenticate(from({ 'x-api-key': oldKey }))).key;

      await store.rotate(current, mintRotation(3_600_000, new Date(clock)).rotation);
      clock += 30_001;

      await expect(auth.authenticate(from({ 'x-api-key': oldKey }))).rejects.toMatchObject({ status: 401 });
    });
  });

  it.each([
    ['no key', {}, 'missing_api_key'],
    ['an unknown key', { 'x-api-key': 'sk-gw-unknown' }, 'invalid_api_key'],
  ])('refuses %s with 401', async (_name, headers, code) => {
    const auth = new KeyAuthenticator(new MemoryKeyStore(), { ttlMs: 1, now });

    const err = await auth.authenticate(from(headers)).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ status: 401, code });
  });

  it('refuses an expired key', async () => {
    const store = new MemoryKeyStore();
    const { key, record } = mintKey({ name: 'a', models: ['*'], expiresAt: new Date(clock - 1).toISOString() }, new Date());
    await store.put(record);

    await expect(new KeyAuthenticator(store, { ttlMs: 1, now }).authenticate(from({ 'x-api-key': key }))).rejects.toMatchObject({ status: 401, message: 'This API key has expired.' });
  });

  describe('with an address list', () => {
    async function keyAllowedFrom(allowedIps: string[] | undefined) {
      const store = new MemoryKeyStore();
      const { key, record } = mintKey({ name: 'a', models: ['*'], ...(allowedIps ? { allowedIps } : {}) }, new Date());
      await store.put(record);
      return { key, id: record.id, auth: new KeyAuthenticator(store, { ttlMs: 30_000, now }) };
    }

    it.each([
      ['an IPv4 range', ['10.0.0.0/8'], '10.1.2.3'],
      ['an IPv4 range, the client reported as IPv4-mapped IPv6', ['10.0.0.0/8'], '::ffff:10.1.2.3'],
      ['an IPv6 range', ['2001:db8::/32'], '2001:db8:1::5'],
      ['a single address among others', ['192.0.2.0/24', '203.0.113.7'], '203.0.113.7'],
    ])('accepts a request from inside %s', async (_name, allowedIps, sourceIp) => {
      const { key, id, auth } = await keyAllowedFrom(allowedIps);

      const caller = await auth.authenticate(from({ 'x-api-key': key }, sourceIp));

      expect(caller.key.id).toBe(id);
    });

    it.each([
      ['an IPv4 address outside it', '11.0.0.1', 'the address 11.0.0.1'],
      ['an IPv4-mapped address outside it, named as IPv4', '::ffff:11.0.0.1', 'the address 11.0.0.1'],
      ['an IPv6 address outside it', '2001:db9::1', 'the address 2001:db9::1'],
      ['an address the door could not tell', '', 'an unknown address'],
    ])('refuses %s with 403 ip_not_allowed, naming the address and not the list', async (_name, sourceIp, named) => {
      const { key, auth } = await keyAllowedFrom(['10.0.0.0/8', '2001:db8::/32']);

      const err = await auth.authenticate(from({ 'x-api-key': key }, sourceIp)).catch((e: unknown) => e);

      expect(err).toBeInstanceOf(GatewayError);
      expect(err).toMatchObject({ status: 403, kind: 'permission', code: 'ip_not_allowed', message: `This API key may not be used from ${named}.` });
      expect((err as Error).message).not.toContain('10.0.0.0');
    });

    it('books a refusal by the list to the key, and a refusal of the key itself to no one', async () => {
      const { key, id, auth } = await keyAllowedFrom(['10.0.0.0/8']);
      const byList: { keyId?: string } = {};
      const unknown: { keyId?: string } = {};

      await auth.authenticate(from({ 'x-api-key': key }, '192.0.2.1'), byList).catch(() => undefined);
      await auth.authenticate(from({ 'x-api-key': 'sk-gw-unknown' }, '10.0.0.1'), unknown).catch(() => undefined);

      expect(byList.keyId).toBe(id);
      expect(unknown.keyId).toBeUndefined();
    });

    it('trusts the connection\'s address, not an X-Forwarded-For header the client wrote', async () => {
      const { key, auth } = await keyAllowedFrom(['10.0.0.0/8']);

      const err = await auth.authenticate(from({ 'x-api-key': key, 'x-forwarded-for': '10.1.2.3' }, '192.0.2.1')).catch((e: unknown) => e);

      expect(err).toMatchObject({ status: 403, code: 'ip_not_allowed' });
    });

    it('lets a key without a list be used from anywhere', async () => {
      const { key, auth } = await keyAllowedFrom(undefined);

      await expect(auth.authenticate(from({ 'x-api-key': key }, '198.51.100.20'))).resolves.toMatchObject({ key: { name: 'a' } });
    });
  });

  describe('with teams', () => {
    async function member(teamFields: Parameters<typeof newTeam>[0] | undefined) {
      const store = new MemoryKeyStore();
      const teams = new MemoryTeamStore();
      let teamReads = 0;
      const get = teams.get.bind(teams);
      teams.get = async (id: string) => {
        teamReads++;
        return get(id);
      };
      const team = teamFields ? newTeam(teamFields, new Date()) : undefined;
      if (team) await teams.put(team);
      const { key, record } = mintKey({ name: 'member', models: ['*'], teamId: team?.id ?? 'team_gone' }, new Date());
      await store.put(record);
      return { key, record, team, teams, teamReads: () => teamReads, auth: new KeyAuthenticator(store, { ttlMs: 30_000, now, teams }) };
    }

    it('reads the key\'s team with the key, once per TTL, and books its id', async () => {
      const { key, team, teamReads, auth } = await member({ name: 'platform', limits: { requestsPerMinute: 50 } });
      const book: { keyId?: string; teamId?: string } = {};

      for (let i = 0; i < 5; i++) await auth.authenticate(from({ 'x-api-key': key }), book);
      const caller = await auth.authenticate(from({ 'x-api-key': key }));

      expect(caller.team).toEqual(team);
      expect(caller.rate?.map((s) => s.id)).toEqual([team!.id]);
      expect(book.teamId).toBe(team!.id);
      expect(teamReads()).toBe(1);
    });

    it('refuses a key whose team does not exist, as a 403 naming the team as missing', async () => {
      const { key, auth } = await member(undefined);

      const refused = await auth.authenticate(from({ 'x-api-key': key })).catch((err: unknown) => err);

      expect(refused).toBeInstanceOf(GatewayError);
      expect(refused).toMatchObject({ status: 403, code: 'team_not_found' });
    });

    it('sees a team\'s new limits once the cached key has expired', async () => {
      const { key, team, teams, auth } = await member({ name: 'platform' });
      await auth.authenticate(from({ 'x-api-key': key }));
      await teams.update(team!.id, { limits: { usdPerDay: 1 } });

      const before = await auth.authenticate(from({ 'x-api-key': key }));
      clock += 30_001;
      const after = await auth.authenticate(from({ 'x-api-key': key }));

      expect(before.spend).toBeUndefined();
      expect(after.spend?.map((s) => s.id)).toEqual([team!.id]);
    });
  });
});
