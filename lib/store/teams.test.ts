import { newTeam } from '../access/team';
import { startTestTable } from '../../test/dynalite';
import { DynamoTeamStore, MemoryTeamStore, type TeamStore } from './teams';

/** One contract, two implementations: the in-memory double must behave like the table. */
describe.each([
  ['MemoryTeamStore', async () => ({ store: new MemoryTeamStore() as TeamStore, close: async () => {} })],
  [
    'DynamoTeamStore on dynalite',
    async () => {
      const t = await startTestTable();
      return { store: new DynamoTeamStore(t.table) as TeamStore, close: t.close };
    },
  ],
])('%s', (_name, make) => {
  let store: TeamStore;
  let close: () => Promise<void>;
  beforeEach(async () => {
    ({ store, close } = await make());
  });
  afterEach(async () => close());

  it('finds a stored team by its id, with its patterns and limits', async () => {
    const team = newTeam({ name: 'platform', models: ['gpt-4o*'], limits: { requestsPerMinute: 50, usdPerDay: 2.5 } }, new Date('2026-01-01T00:00:00Z'));

    await store.put(team);

    expect(await store.get(team.id)).toEqual(team);
    expect(team.id).toMatch(/^team_[0-9a-f]{16}$/);
  });

  it('keeps a team\'s end-user limits and removes them given as {}', async () => {
    const team = newTeam({ name: 'product', endUserLimits: { requestsPerMinute: 5, usdPerDay: 1 } }, new Date());
    await store.put(team);

    const stored = await store.get(team.id);
    const cleared = await store.update(team.id, { endUserLimits: {} });

    expect(stored?.endUserLimits).toEqual({ requestsPerMinute: 5, usdPerDay: 1 });
    expect(cleared).not.toHaveProperty('endUserLimits');
  });

  it('keeps a team without patterns apart from one with an empty list', async () => {
    const open = newTeam({ name: 'open' }, new Date());
    const closed = newTeam({ name: 'closed', models: [] }, new Date());
    await store.put(open);
    await store.put(closed);

    expect((await store.get(open.id))?.models).toBeUndefined();
    expect((await store.get(closed.id))?.models).toEqual([]);
  });

  it('refuses a second team with the same id', async () => {
    const team = newTeam({ name: 'a' }, new Date());
    await store.put(team);

    await expect(store.put(team)).rejects.toThrow();
  });

  it('lists teams oldest first', async () => {
    await store.put(newTeam({ name: 'second' }, new Date('2026-02-01T00:00:00Z')));
    await store.put(newTeam({ name: 'first' }, new Date('2026-01-01T00:00:00Z')));

    expect((await store.list()).map((t) => t.name)).toEqual(['first', 'second']);
  });

  it('changes the fields given, removes limits given as {} and patterns given as null, and reports unknown ids', async () => {
    const team = newTeam({ name: 'a', models: ['gpt-*'], limits: { requestsPerMinute: 5 } }, new Date());
    await store.put(team);

    const renamed = await store.update(team.id, { name: 'b', limits: { usdPerMonth: 10 } });
    const cleared = await store.update(team.id, { models: null, limits: {} });

    expect(renamed).toEqual({ ...team, name: 'b', limits: { usdPerMonth: 10 } });
    expect(cleared).toEqual({ id: team.id, name: 'b', createdAt: team.createdAt });
    expect(await store.get(team.id)).toEqual(cleared);
    expect(await store.update('team_missing', { name: 'x' })).toBeUndefined();
  });

  it('keeps a team\'s rule set and parameter policy, changes them, and removes them given "on" and null', async () => {
    const team = newTeam({ name: 'contractors', guardrails: 'strict', params: 'contractors' }, new Date());
    await store.put(team);

    const stored = await store.get(team.id);
    const changed = await store.update(team.id, { guardrails: 'off', params: 'ci' });
    const renamed = await store.update(team.id, { name: 'vendors' });
    const cleared = await store.update(team.id, { guardrails: 'on', params: null });

    expect([stored?.guardrails, stored?.params]).toEqual(['strict', 'contractors']);
    expect([changed?.guardrails, changed?.params]).toEqual(['off', 'ci']);
    expect([renamed?.guardrails, renamed?.params]).toEqual(['off', 'ci']);
    expect(cleared).not.toHaveProperty('guardrails');
    expect(cleared).not.toHaveProperty('params');
  });

  it('keeps a team\'s audit flag and removes it when given false', async () => {
    const team = newTeam({ name: 'legal', audit: true }, new Date());
    await store.put(team);

    const stored = await store.get(team.id);
    const cleared = await store.update(team.id, { audit: false });
    const flagged = await store.update(team.id, { audit: true });

    expect(stored?.audit).toBe(true);
    expect(cleared).not.toHaveProperty('audit');
    expect(flagged?.audit).toBe(true);
  });

  it('deletes a team once', async () => {
    const team = newTeam({ name: 'a' }, new Date());
    await store.put(team);

    expect(await store.delete(team.id)).toBe(true);
    expect(await store.delete(team.id)).toBe(false);
    expect(await store.get(team.id)).toBeUndefined();
  });
});
