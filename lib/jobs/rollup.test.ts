import { mintKey } from '../access/api-key';
import { countCalls, startTestTable } from '../../test/dynalite';
import { DynamoKeyStore } from '../store/keys';
import { DynamoRollups } from '../store/rollups';
import { DynamoUsageSink } from '../store/usage';
import type { UsageRecord } from '../usage/record';
import { endUserDays, keyDaysToRead, recentDays, rollUpDays, usageReports } from './rollup';

const record = (keyId: string, at: string, fields: Partial<UsageRecord> = {}): UsageRecord => ({
  requestId: `r-${Math.random()}`,
  at: new Date(at),
  keyId,
  surface: 'openai-chat',
  model: 'gpt-4o-mini',
  stream: false,
  status: 200,
  outcome: 'ok',
  inputTokens: 10,
  outputTokens: 5,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  reasoningTokens: 0,
  latencyMs: 1,
  attempts: 1,
  costMicros: 20,
  ...fields,
});

describe('the roll-up job', () => {
  it('names yesterday and today, in UTC', () => {
    expect(recentDays(new Date('2026-12-01T00:30:00Z'))).toEqual(['2026-11-30', '2026-12-01']);
  });

  it('sums every key\'s usage per day and model, lists it by day, and sums a day again when it has grown', async () => {
    const t = await startTestTable();
    try {
      const keys = new DynamoKeyStore(t.table);
      const alice = mintKey({ name: 'alice', models: ['*'] }, new Date('2026-11-01T00:00:00Z')).record;
      const bob = mintKey({ name: 'bob', models: ['*'] }, new Date('2026-11-02T00:00:00Z')).record;
      const idle = mintKey({ name: 'idle', models: ['*'] }, new Date('2026-11-03T00:00:00Z')).record;
      for (const k of [alice, bob, idle]) await keys.put(k);
      const usage = new DynamoUsageSink(t.table, { retentionDays: 30 });
      usage.record(record(alice.id, '2026-11-25T23:59:59Z'));
      usage.record(record(alice.id, '2026-11-26T08:00:00Z'));
      usage.record(record(alice.id, '2026-11-26T09:00:00Z', { model: 'claude', inputTokens: 100, outputTokens: 1, costMicros: 303 }));
      usage.record(record(bob.id, '2026-11-26T10:00:00Z', { status: 429, outcome: 'error', attempts: 0, inputTokens: 0, outputTokens: 0, costMicros: undefined }));
      await usage.drain();
      const now = () => new Date('2026-11-26T12:00:00Z');

      const run = await rollUpDays({ table: t.table, keys, now }, ['2026-11-25', '2026-11-26']);
      const listed = await new DynamoRollups(t.table).list('2026-11-25', '2026-11-26');

      expect(run).toEqual({ keys: 3, rollups: 3 });
      expect(listed.map((r) => [r.day, r.keyId, Object.keys(r.byModel).sort()])).toEqual([
        ['2026-11-25', alice.id, ['gpt-4o-mini']],
        ...[
          ['2026-11-26', alice.id, ['claude', 'gpt-4o-mini']],
          ['2026-11-26', bob.id, ['gpt-4o-mini']],
        ].sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
      ]);
      const aliceToday = listed.find((r) => r.day === '2026-11-26' && r.keyId === alice.id)!;
      expect(aliceToday.byModel.claude).toMatchObject({ requests: 1, inputTokens: 100, outputTokens: 1, costMicros: 303 });
      expect(aliceToday.rolledUpAt).toBe('2026-11-26T12:00:00.000Z');
      expect(listed.find((r) => r.keyId === bob.id)!.byModel['gpt-4o-mini']).toMatchObject({ requests: 1, errors: 1, costMicros: 0, unpriced: 0 });

      usage.record(record(alice.id, '2026-11-26T13:00:00Z'));
      await usage.drain();
      await rollUpDays({ table: t.table, keys, now }, ['2026-11-26']);
      const again = await new DynamoRollups(t.table).list('2026-11-26', '2026-11-26');

      expect(again).toHaveLength(2);
      expect(again.find((r) => r.keyId === alice.id)!.byModel['gpt-4o-mini']).toMatchObject({ requests: 2, inputTokens: 20, costMicros: 40 });
    } finally {
      await t.close();
    }
  });

  it('keeps a key\'s records apart by the team each was made in, and writes the same roll-up when run twice', async () => {
    const t = await startTestTable();
    try {
      const keys = new DynamoKeyStore(t.table);
      const alice = mintKey({ name: 'alice', models: ['*'], teamId: 'team_2' }, new Date('2026-11-01T00:00:00Z')).record;
      await keys.put(alice);
      const usage = new DynamoUsageSink(t.table, { retentionDays: 30 });
      usage.record(record(alice.id, '2026-11-26T08:00:00Z'));
      usage.record(record(alice.id, '2026-11-26T09:00:00Z', { teamId: 'team_1' }));
      usage.record(record(alice.id, '2026-11-26T10:00:00Z', { teamId: 'team_2', costMicros: 7 }));
      usage.record(record(alice.id, '2026-11-26T11:00:00Z', { teamId: 'team_2', costMicros: 9 }));
      await usage.drain();
      const deps = { table: t.table, keys, now: () => new Date('2026-11-26T12:00:00Z') };

      await rollUpDays(deps, ['2026-11-26']);
      const [first] = await new DynamoRollups(t.table).list('2026-11-26', '2026-11-26');
      await rollUpDays(deps, ['2026-11-26']);
      const again = await new DynamoRollups(t.table).list('2026-11-26', '2026-11-26');

      expect(first!.byModel['gpt-4o-mini']).toMatchObject({ requests: 1, costMicros: 20 });
      expect(first!.byTeam).toEqual({ team_1: { 'gpt-4o-mini': expect.objectContaining({ requests: 1, costMicros: 20 }) }, team_2: { 'gpt-4o-mini': expect.objectContaining({ requests: 2, costMicros: 16 }) } });
      expect(again).toEqual([first]);
    } finally {
      await t.close();
    }
  });

  it('lists only the days asked for', async () => {
    const t = await startTestTable();
    try {
      const rollups = new DynamoRollups(t.table);
      for (const day of ['2026-10-31', '2026-11-01', '2026-11-30', '2026-12-01']) await rollups.put({ keyId: 'key_a', day, byModel: {}, rolledUpAt: `${day}T23:00:00.000Z` });

      expect((await rollups.list('2026-11-01', '2026-11-30')).map((r) => r.day)).toEqual(['2026-11-01', '2026-11-30']);
    } finally {
      await t.close();
    }
  });
});


describe('keyDaysToRead', () => {
  const rollup = (keyId: string, day: string, rolledUpAt: string) => ({ keyId, day, rolledUpAt });

  it.each([
    ['every key of a day without roll-ups', [], [['a', '2026-11-20'], ['b', '2026-11-20']]],
    ['only the keys with a roll-up of a day summed an hour or more after it ended', [rollup('a', '2026-11-20', '2026-11-21T01:00:00.000Z')], [['a', '2026-11-20']]],
    // A stream begun before midnight is recorded under its day when it ends: a run just after midnight may not have seen it.
    ['every key of a day last summed less than an hour after it ended', [rollup('a', '2026-11-20', '2026-11-21T00:59:59.999Z')], [['a', '2026-11-20'], ['b', '2026-11-20']]],
    ['every key of a day last summed before it ended', [rollup('a', '2026-11-20', '2026-11-20T23:00:00.000Z')], [['a', '2026-11-20'], ['b', '2026-11-20']]],
    ['the keys of a closed day, whichever key’s roll-up closed it', [rollup('b', '2026-11-20', '2026-11-22T05:00:00.000Z'), rollup('a', '2026-11-20', '2026-11-20T10:00:00.000Z')], [['a', '2026-11-20'], ['b', '2026-11-20']]],
  ] as const)('reads %s', (_case, rollups, expected) => {
    expect(keyDaysToRead(['a', 'b'], ['2026-11-20'], rollups).map(({ keyId, day }) => [keyId, day])).toEqual(expected);
  });
});

describe('the end-user report', () => {
  it('reads only the key-days its roll-ups say had records, and today and the days not closed for every key, with the same rows', async () => {
    const t = await startTestTable();
    try {
      // Prepare
      const keys = new DynamoKeyStore(t.table);
      const [alice, bob, idle] = ['alice', 'bob', 'idle'].map((name) => mintKey({ name, models: ['*'] }, new Date('2026-11-01T00:00:00Z')).record);
      for (const k of [alice!, bob!, idle!]) await keys.put(k);
      const usage = new DynamoUsageSink(t.table, { retentionDays: 30 });
      usage.record(record(alice!.id, '2026-11-20T10:00:00Z', { endUser: 'ann' }));
      usage.record(record(alice!.id, '2026-11-20T11:00:00Z', { endUser: 'ben' }));
      usage.record(record(bob!.id, '2026-11-21T23:59:00Z', { endUser: 'ann' }));
      usage.record(record(alice!.id, '2026-11-22T12:00:00Z', { endUser: 'ann' }));
      usage.record(record(bob!.id, '2026-11-23T12:00:00Z'));
      usage.record(record(alice!.id, '2026-11-24T12:00:00Z', { endUser: 'ben' }));
      usage.record(record(alice!.id, '2026-11-25T09:00:00Z', { endUser: 'ann' }));
      await usage.drain();
      // The 20th to the 24th closed by a run after their end; the 25th summed only while it ran.
      await rollUpDays({ table: t.table, keys, now: () => new Date('2026-11-25T01:30:00Z') }, ['2026-11-20', '2026-11-21', '2026-11-22', '2026-11-23', '2026-11-24']);
      await rollUpDays({ table: t.table, keys, now: () => new Date('2026-11-25T20:00:00Z') }, ['2026-11-25']);
      // After the 25th's last run: only a read of its records finds it.
      usage.record(record(bob!.id, '2026-11-25T22:00:00Z', { endUser: 'cat' }));
      usage.record(record(idle!.id, '2026-11-26T08:00:00Z', { endUser: 'dan' }));
      await usage.drain();
      const keyIds = [alice!.id, bob!.id, idle!.id];
      const days = ['2026-11-20', '2026-11-21', '2026-11-22', '2026-11-23', '2026-11-24', '2026-11-25', '2026-11-26'];
      const everything = await endUserDays(t.table, keyIds.flatMap((keyId) => days.map((day) => ({ keyId, day }))));
      const calls = countCalls(t.table);

      // Act
      const report = await usageReports({ table: t.table, keys, now: () => new Date('2026-11-26T12:00:00Z') }).endUsers(keyIds, days);

      // Assess
      const sorted = (rows: typeof report) => rows.map((r) => `${r.day} ${r.keyId} ${r.endUser} ${r.model} ${r.totals.requests}`).sort();
      expect(sorted(report)).toEqual(sorted(everything));
      expect(report.map((r) => r.endUser ?? '-').sort()).toEqual(['-', 'ann', 'ann', 'ann', 'ann', 'ben', 'ben', 'cat', 'dan']);
      // The roll-ups' one index query, one key on each of the 20th to the 24th, every key on the 25th and 26th: 12, not 21.
      expect(calls.get('QueryCommand')).toBe(12);
    } finally {
      await t.close();
    }
  });

  it('asks for no roll-ups when no day of the range can be closed yet', async () => {
    const t = await startTestTable();
    try {
      const keys = new DynamoKeyStore(t.table);
      const calls = countCalls(t.table);

      await usageReports({ table: t.table, keys, now: () => new Date('2026-11-26T00:30:00Z') }).endUsers(['key_a', 'key_b'], ['2026-11-25', '2026-11-26']);

      expect(calls.get('QueryCommand')).toBe(4);
    } finally {
      await t.close();
    }
  });
});
