import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mintKey, mintRotation, type ApiKeyRecord } from '../access/api-key';
import { startTestTable } from '../../test/dynalite';
import { DynamoKeyStore, MemoryKeyStore, type KeyStore } from './keys';

/** One contract, two implementations: the in-memory double must behave like the table. */
describe.each([
  ['MemoryKeyStore', async () => ({ store: new MemoryKeyStore() as KeyStore, close: async () => {} })],
  [
    'DynamoKeyStore on dynalite',
    async () => {
      const t = await startTestTable();
      return { store: new DynamoKeyStore(t.table) as KeyStore, close: t.close };
    },
  ],
])('%s', (_name, make) => {
  let store: KeyStore;
  let close: () => Promise<void>;
  beforeEach(async () => {
    ({ store, close } = await make());
  });
  afterEach(async () => close());

  it('finds a stored key by its hash and by its id', async () => {
    const { record } = mintKey({ name: 'alice', models: ['gpt-4o*'], expiresAt: '2030-01-01T00:00:00.000Z' }, new Date('2026-01-01T00:00:00Z'));

    await store.put(record);

    expect(await store.getByHash(record.hash)).toEqual(record);
    expect(await store.getById(record.id)).toEqual(record);
  });

  it('keeps a key\'s team, and removes it when told null', async () => {
    const { record } = mintKey({ name: 'member', models: ['*'], teamId: 'team_1' }, new Date());
    await store.put(record);

    const moved = await store.update(record.id, { teamId: 'team_2' });
    const left = await store.update(record.id, { teamId: null });

    expect(moved?.teamId).toBe('team_2');
    expect(left?.teamId).toBeUndefined();
    expect((await store.getByHash(record.hash))?.teamId).toBeUndefined();
  });

  it('keeps an empty model list distinct from no list', async () => {
    const { record } = mintKey({ name: 'none', models: [] }, new Date());

    await store.put(record);

    expect((await store.getByHash(record.hash))?.models).toEqual([]);
  });

  it('refuses to overwrite a key with the same hash', async () => {
    const { record } = mintKey({ name: 'a', models: ['*'] }, new Date());
    await store.put(record);

    await expect(store.put(record)).rejects.toThrow();
  });

  it('lists keys oldest first', async () => {
    const second = mintKey({ name: 'second', models: ['*'] }, new Date('2026-02-01T00:00:00Z')).record;
    const first = mintKey({ name: 'first', models: ['*'] }, new Date('2026-01-01T00:00:00Z')).record;
    await store.put(second);
    await store.put(first);

    expect((await store.list()).map((r) => r.name)).toEqual(['first', 'second']);
  });

  it('revokes a key once and reports unknown ids', async () => {
    const { record } = mintKey({ name: 'a', models: ['*'] }, new Date());
    await store.put(record);

    const revoked = await store.revoke(record.id, new Date('2026-03-01T00:00:00Z'));
    const again = await store.revoke(record.id, new Date('2026-04-01T00:00:00Z'));

    expect(revoked).toMatchObject({ status: 'revoked', revokedAt: '2026-03-01T00:00:00.000Z' });
    expect(again?.revokedAt).toBe('2026-03-01T00:00:00.000Z');
    expect((await store.getByHash(record.hash))?.status).toBe('revoked');
    expect(await store.revoke('key_missing', new Date())).toBeUndefined();
  });

  it('keeps a key\'s limits, and a key without limits has none', async () => {
    const limited = mintKey({ name: 'limited', models: ['*'], limits: { requestsPerMinute: 60, tokensPerMinute: 100_000, usdPerDay: 2.5, usdPerMonth: 0.000001 } }, new Date()).record;
    const free = mintKey({ name: 'free', models: ['*'], limits: {} }, new Date()).record;
    await store.put(limited);
    await store.put(free);

    expect((await store.getByHash(limited.hash))?.limits).toEqual({ requestsPerMinute: 60, tokensPerMinute: 100_000, usdPerDay: 2.5, usdPerMonth: 0.000001 });
    expect(await store.getByHash(free.hash)).not.toHaveProperty('limits');
  });

  it('keeps a key\'s end-user limits and requirement, changes them, and removes them', async () => {
    const { record } = mintKey({ name: 'app', models: ['*'], endUserLimits: { requestsPerMinute: 10, usdPerDay: 1 }, endUserRequired: true }, new Date());
    await store.put(record);

    const stored = await store.getByHash(record.hash);
    const changed = await store.update(record.id, { endUserLimits: { usdPerMonth: 5 }, endUserRequired: false });
    const cleared = await store.update(record.id, { endUserLimits: {} });

    expect(stored).toMatchObject({ endUserLimits: { requestsPerMinute: 10, usdPerDay: 1 }, endUserRequired: true });
    expect(changed?.endUserLimits).toEqual({ usdPerMonth: 5 });
    expect(changed).not.toHaveProperty('endUserRequired');
    expect(cleared).not.toHaveProperty('endUserLimits');
  });

  it('updates the fields given and leaves the others', async () => {
    const { record } = mintKey({ name: 'a', models: ['gpt-*'], limits: { requestsPerMinute: 5 } }, new Date('2026-01-01T00:00:00Z'));
    await store.put(record);

    const renamed = await store.update(record.id, { name: 'b' });
    const limited = await store.update(record.id, { models: ['claude-*'], limits: { tokensPerMinute: 9 } });

    expect(renamed).toEqual({ ...record, name: 'b' });
    expect(limited).toEqual({ ...record, name: 'b', models: ['claude-*'], limits: { tokensPerMinute: 9 } });
    expect(await store.getByHash(record.hash)).toEqual(limited);
  });

  it('removes all limits when given none, and reports unknown ids', async () => {
    const { record } = mintKey({ name: 'a', models: ['*'], limits: { requestsPerMinute: 5 } }, new Date());
    await store.put(record);

    const cleared = await store.update(record.id, { limits: {} });

    expect(cleared).not.toHaveProperty('limits');
    expect(await store.getByHash(record.hash)).not.toHaveProperty('limits');
    expect(await store.update('key_missing', { name: 'x' })).toBeUndefined();
  });

  it('keeps a key\'s allowed addresses in the order given, and a key without a list has none', async () => {
    const listed = mintKey({ name: 'office', models: ['*'], allowedIps: ['10.0.0.0/8', '2001:db8::/32', '203.0.113.7'] }, new Date()).record;
    const open = mintKey({ name: 'anywhere', models: ['*'] }, new Date()).record;
    await store.put(listed);
    await store.put(open);

    expect((await store.getByHash(listed.hash))?.allowedIps).toEqual(['10.0.0.0/8', '2001:db8::/32', '203.0.113.7']);
    expect(await store.getById(listed.id)).toEqual(listed);
    expect(await store.getByHash(open.hash)).not.toHaveProperty('allowedIps');
  });

  it('replaces a key\'s allowed addresses, removes them when given null, and leaves them when not given', async () => {
    const { record } = mintKey({ name: 'a', models: ['*'], allowedIps: ['10.0.0.0/8'] }, new Date());
    await store.put(record);

    const renamed = await store.update(record.id, { name: 'b' });
    const replaced = await store.update(record.id, { allowedIps: ['192.0.2.0/24', '::1'] });
    const removed = await store.update(record.id, { allowedIps: null });
    const added = await store.update(record.id, { allowedIps: ['198.51.100.1'], limits: { requestsPerMinute: 3 } });

    expect(renamed?.allowedIps).toEqual(['10.0.0.0/8']);
    expect(replaced?.allowedIps).toEqual(['192.0.2.0/24', '::1']);
    expect(removed).not.toHaveProperty('allowedIps');
    expect(added).toEqual({ ...record, name: 'b', allowedIps: ['198.51.100.1'], limits: { requestsPerMinute: 3 } });
    expect(await store.getByHash(record.hash)).toEqual(added);
  });

  it('keeps a key\'s rule set and parameter policy, changes them, and removes them given "on" and null', async () => {
    const { record } = mintKey({ name: 'ci', models: ['*'], guardrails: 'strict', params: 'ci' }, new Date());
    await store.put(record);

    const changed = await store.update(record.id, { guardrails: 'off', params: 'contractors' });
    const renamed = await store.update(record.id, { name: 'ci-2' });
    const cleared = await store.update(record.id, { guardrails: 'on', params: null });

    expect([record.guardrails, record.params]).toEqual(['strict', 'ci']);
    expect([changed?.guardrails, changed?.params]).toEqual(['off', 'contractors']);
    expect([renamed?.guardrails, renamed?.params]).toEqual(['off', 'contractors']);
    expect(cleared).not.toHaveProperty('guardrails');
    expect(cleared).not.toHaveProperty('params');
    expect(await store.getByHash(record.hash)).toEqual(cleared);
  });

  it('keeps a key\'s audit flag, removes it when given false, and leaves it when not given', async () => {
    const { record } = mintKey({ name: 'a', models: ['*'], audit: true }, new Date());
    const plain = mintKey({ name: 'b', models: ['*'], audit: false }, new Date()).record;
    await store.put(record);
    await store.put(plain);

    const renamed = await store.update(record.id, { name: 'c' });
    const cleared = await store.update(record.id, { audit: false });
    const flagged = await store.update(plain.id, { audit: true });

    expect(await store.getById(record.id)).not.toHaveProperty('audit');
    expect(renamed?.audit).toBe(true);
    expect(cleared).not.toHaveProperty('audit');
    expect(flagged?.audit).toBe(true);
    expect((await store.getByHash(plain.hash))?.audit).toBe(true);
  });

  it('answers undefined for an unknown hash', async () => {
    expect(await store.getByHash('0'.repeat(64))).toBeUndefined();
  });

  describe('rotate', () => {
    const at = new Date('2026-11-26T20:00:00Z');
    const hour = 3_600_000;

    it('moves the record to the new secret and keeps the old one pointing at it, one key in listings', async () => {
      const { record } = mintKey({ name: 'alice', models: ['gpt-4o*'], limits: { requestsPerMinute: 5 } }, new Date('2026-01-01T00:00:00Z'));
      await store.put(record);
      const { rotation } = mintRotation(hour, at);

      const next = await store.rotate(record, rotation);

      const expected = { ...record, hash: rotation.hash, prefix: rotation.prefix, rotatedAt: at.toISOString(), previousHash: record.hash, previousExpiresAt: '2026-11-26T21:00:00.000Z' };
      expect(next).toEqual(expected);
      expect(await store.getByHash(rotation.hash)).toEqual(expected);
      expect(await store.getByHash(record.hash)).toEqual(expected);
      expect(await store.getById(record.id)).toEqual(expected);
      expect(await store.list()).toEqual([expected]);
    });

    it('with no grace leaves nothing under the old secret', async () => {
      const { record } = mintKey({ name: 'a', models: ['*'] }, at);
      await store.put(record);

      const next = await store.rotate(record, mintRotation(0, at).rotation);

      expect(next).not.toHaveProperty('previousHash');
      expect(await store.getByHash(record.hash)).toBeUndefined();
      expect(await store.getByHash(next!.hash)).toEqual(next);
    });

    it('keeps one old secret: rotating again drops the first, and an update or a revoke reaches both secrets', async () => {
      const { record } = mintKey({ name: 'a', models: ['*'] }, at);
      await store.put(record);
      const second = (await store.rotate(record, mintRotation(hour, at).rotation))!;
      const third = (await store.rotate(second, mintRotation(hour, new Date(at.getTime() + 1000)).rotation))!;

      expect(await store.getByHash(record.hash)).toBeUndefined();
      expect(third.previousHash).toBe(second.hash);
      await store.update(record.id, { name: 'b' });
      await store.revoke(record.id, at);
      expect(await store.getByHash(second.hash)).toMatchObject({ name: 'b', status: 'revoked', hash: third.hash });
      expect(await store.list()).toHaveLength(1);
    });

    it('refuses a key revoked or rotated since it was read, and carries over an update made since', async () => {
      const { record } = mintKey({ name: 'a', models: ['*'] }, at);
      await store.put(record);
      await store.update(record.id, { models: ['claude-*'] });

      const next = await store.rotate(record, mintRotation(hour, at).rotation);
      expect(next?.models).toEqual(['claude-*']);
      expect(await store.rotate(record, mintRotation(hour, at).rotation)).toBeUndefined();
      await store.revoke(record.id, at);
      expect(await store.rotate(next!, mintRotation(hour, at).rotation)).toBeUndefined();
      expect(await store.list()).toEqual([expect.objectContaining({ hash: next!.hash, status: 'revoked' })]);
    });
  });
});

describe('DynamoKeyStore on dynalite: a revoke or an update that read the key before a rotation moved it', () => {
  const at = new Date('2026-11-26T20:00:00Z');
  let t: Awaited<ReturnType<typeof startTestTable>>;
  beforeEach(async () => {
    t = await startTestTable();
  });
  afterEach(async () => t.close());

  /** A store whose next getById answers the record as it was before the rotation (the admin's read raced it). */
  class StaleOnce extends DynamoKeyStore {
    stale: ApiKeyRecord | undefined;
    override async getById(id: string) {
      const stale = this.stale;
      this.stale = undefined;
      return stale ?? super.getById(id);
    }
  }

  it.each([
    ['a grace (the old hash is a pointer)', 3_600_000],
    ['no grace (the old hash is gone)', 0],
  ])('with %s reaches the record under the new secret, never the old item', async (_name, grace) => {
    const store = new StaleOnce(t.table);
    const { record } = mintKey({ name: 'a', models: ['*'] }, at);
    await store.put(record);
    const next = (await store.rotate(record, mintRotation(grace, at).rotation))!;

    store.stale = record;
    const revoked = await store.revoke(record.id, at);
    store.stale = record;
    const renamed = await store.update(record.id, { name: 'b' });

    expect(revoked).toMatchObject({ id: record.id, hash: next.hash, status: 'revoked' });
    expect(renamed).toMatchObject({ id: record.id, name: 'b' });
    expect(await store.getByHash(next.hash)).toMatchObject({ status: 'revoked', name: 'b' });
    if (grace) expect(await store.getByHash(record.hash)).toMatchObject({ status: 'revoked', hash: next.hash });
  });
});

describe('DynamoKeyStore on dynalite: a revoke that lands while a rotation carries over an update', () => {
  const at = new Date('2026-11-26T20:00:00Z');
  let t: Awaited<ReturnType<typeof startTestTable>>;
  beforeEach(async () => {
    t = await startTestTable();
  });
  afterEach(async () => t.close());

  it('stays revoked: the carry-over changes only what the update changed', async () => {
    const admin = new DynamoKeyStore(t.table);
    const { record } = mintKey({ name: 'a', models: ['*'] }, at);
    await admin.put(record);
    await admin.update(record.id, { name: 'renamed', models: ['claude-*'] });
    // The revoke runs the moment the old secret's pointer is written: the new record is in place,
    // and the rotation has still to carry over the update it did not read.
    let revokeNow: (() => Promise<unknown>) | undefined = () => admin.revoke(record.id, at);
    const send = t.table.client.send.bind(t.table.client) as (command: unknown) => Promise<unknown>;
    const client = {
      async send(command: unknown) {
        const out = await send(command);
        const pointer = command instanceof PutItemCommand && command.input.Item?.successorHash !== undefined;
        if (pointer && revokeNow) await revokeNow();
        revokeNow = pointer ? undefined : revokeNow;
        return out;
      },
    } as unknown as DynamoDBClient;
    const rotating = new DynamoKeyStore({ ...t.table, client });

    const next = await rotating.rotate(record, mintRotation(3_600_000, at).rotation);

    expect(next).toMatchObject({ status: 'revoked', name: 'renamed', models: ['claude-*'] });
    expect(await admin.getByHash(next!.hash)).toMatchObject({ status: 'revoked', name: 'renamed', models: ['claude-*'] });
    expect(await admin.getByHash(record.hash)).toMatchObject({ status: 'revoked', hash: next!.hash });
  });
});
