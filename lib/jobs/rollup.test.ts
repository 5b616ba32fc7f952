import { mintKey } from '../access/api-key';
import { startTestTable } from '../../test/dynalite';
import { DynamoKeyStore } from '../store/keys';
import { DynamoRollups } from '../store/rollups';
import { DynamoUsageSink } from '../store/usage';
import type { UsageRecord } from '../usage/record';
import { recentDays, rollUpDays } from './rollup';

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
