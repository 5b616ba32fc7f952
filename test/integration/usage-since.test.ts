import { spendPeriods } from '../../lib/access/spend-limits';
import { DynamoSpendStore } from '../../lib/store/spend';
import { DynamoUsageSink } from '../../lib/store/usage';
import { sinkTableForSuite, usageRecord } from '../usage-sink';
import { parseConfig } from '../../lib/config/load';
import { startFakeOpenAI } from '../fakes/openai';
import { openAIClient, spentSince, startHarness } from './harness';
import { startInstances } from './instances';
import { usageSince, utcDaysBetween } from './usage-since';

const at = (iso: string) => Date.parse(iso);
const db = sinkTableForSuite();

describe('utcDaysBetween', () => {
  it.each([
    ['one instant', '2026-11-27T08:00:00Z', '2026-11-27T08:00:00Z', ['2026-11-27']],
    ['a span inside one day', '2026-11-27T00:00:00Z', '2026-11-27T23:59:59.999Z', ['2026-11-27']],
    ['a span across midnight', '2026-11-27T23:59:59.999Z', '2026-11-28T00:00:00Z', ['2026-11-27', '2026-11-28']],
    ['a span across a month and a year', '2026-12-31T22:00:00Z', '2027-01-02T01:00:00Z', ['2026-12-31', '2027-01-01', '2027-01-02']],
    ['an end before the start on its day: that day', '2026-11-27T12:00:00Z', '2026-11-27T08:00:00Z', ['2026-11-27']],
    ["an end before the start's day", '2026-11-28T00:00:00Z', '2026-11-27T12:00:00Z', []],
  ])('names each UTC day once, oldest first: %s', (_name, from, to, expected) => {
    expect(utcDaysBetween(at(from), at(to))).toEqual(expected);
  });
});

describe('usageSince on dynalite', () => {
  it('reads the records of a run that passed midnight UTC from both days, oldest first, and no other key\'s', async () => {
    // Prepare: records written as the gateway writes them, on the day each request finished.
    const sink = new DynamoUsageSink(db.table, { retentionDays: 30 });
    sink.record(usageRecord('key_night', 'req-before', { at: new Date('2026-11-27T23:59:59.900Z') }));
    sink.record(usageRecord('key_night', 'req-after', { at: new Date('2026-11-28T00:00:00.100Z') }));
    sink.record(usageRecord('key_other', 'req-other', { at: new Date('2026-11-28T00:00:00.200Z') }));
    await sink.drain();

    // Act
    const records = await usageSince(db.table, 'key_night', at('2026-11-27T23:59:59Z'), at('2026-11-28T00:00:01Z'));

    // Assess
    expect(records.map((r) => [r.requestId, r.PK])).toEqual([
      ['req-before', 'USAGE#key_night#2026-11-27'],
      ['req-after', 'USAGE#key_night#2026-11-28'],
    ]);
  });

  it('reads no day before the start\'s: an earlier run\'s records are left out', async () => {
    const sink = new DynamoUsageSink(db.table, { retentionDays: 30 });
    sink.record(usageRecord('key_days', 'req-yesterday', { at: new Date('2026-11-26T12:00:00Z') }));
    sink.record(usageRecord('key_days', 'req-today', { at: new Date('2026-11-27T12:00:00Z') }));
    await sink.drain();

    const records = await usageSince(db.table, 'key_days', at('2026-11-27T11:00:00Z'), at('2026-11-27T13:00:00Z'));

    expect(records.map((r) => r.requestId)).toEqual(['req-today']);
  });

  it("refuses a now before the start's day (a clock moved back), rather than read no day and find nothing", async () => {
    await expect(usageSince(db.table, 'key_days', at('2026-11-27T11:00:00Z'), at('2026-11-26T23:00:00Z'))).rejects.toThrow(RangeError);
  });
});

/**
 * The rigs on a gateway clock that runs on (as `minuteClock` does with the wall clock) past
 * midnight UTC between a call and the read: the call's record is on the day before the read's.
 */
describe("the rigs' usage on a gateway clock that passes midnight UTC after the call", () => {
  const messages = [{ role: 'user' as const, content: 'hi' }];

  it('Harness.usage finds the call made before midnight', async () => {
    // Prepare
    let clock = at('2026-11-27T23:59:59.500Z');
    const h = await startHarness({ now: () => clock });
    try {
      // Act
      await h.openai().chat.completions.create({ model: 'gpt-4o-mini', messages });
      clock = at('2026-11-28T00:00:00.500Z');
      const records = await h.usage();

      // Assess
      expect(records.map((r) => [r.model, r.PK])).toEqual([['gpt-4o-mini', `USAGE#${h.keyId}#2026-11-27`]]);
    } finally {
      await h.close();
    }
  });

  it('Instances.usage finds the call made before midnight', async () => {
    // Prepare
    let clock = at('2026-11-27T23:59:59.500Z');
    const upstream = await startFakeOpenAI({ apiKey: 'sk-up' });
    const config = parseConfig({ providers: [{ id: 'up', type: 'openai', baseUrl: upstream.url, accounts: [{ id: 'a', apiKey: { env: 'UP' } }] }], models: [{ name: 'gpt-4o-mini', targets: [{ provider: 'up', model: 'gpt-4o-mini' }] }] });
    const instances = await startInstances({ config, count: 1, tableName: 'usage-since', credentials: { UP: 'sk-up' }, now: () => clock });
    try {
      const gw = instances.gateways[0]!;
      const { id, key } = await instances.createKey({ name: 'night' });

      // Act
      await openAIClient(gw, key).chat.completions.create({ model: 'gpt-4o-mini', messages });
      clock = at('2026-11-28T00:00:00.500Z');
      const records = await instances.usage(id);

      // Assess
      expect(records.map((r) => [r.model, r.PK])).toEqual([['gpt-4o-mini', `USAGE#${id}#2026-11-27`]]);
    } finally {
      await instances.close();
      await upstream.close();
    }
  });
});

describe('spentSince on dynalite', () => {
  it("sums a key's day counters from the start's day to today, leaving out its month's and the days before", async () => {
    // Prepare: spend counted as calls settling count it, two days ago, yesterday and today (each day also in its month).
    const spend = new DynamoSpendStore(db.table);
    const now = Date.now();
    const daysBack = (days: number) => now - days * 86_400_000;
    for (const [daysAgo, micros] of [[2, 1_000], [1, 20], [0, 300]] as const) {
      for (const period of spendPeriods({ usdPerDay: 5, usdPerMonth: 50 }, daysBack(daysAgo))) await spend.adjust('key_spender', period, micros);
    }

    // Act
    const spent = await spentSince(db, 'key_spender', daysBack(1));

    // Assess
    expect(spent).toBe(320);
  });

  it("refuses a now before the start's day (a clock moved back), rather than sum no day and find nothing spent", async () => {
    await expect(spentSince(db, 'key_spender', at('2026-11-27T11:00:00Z'), at('2026-11-26T23:00:00Z'))).rejects.toThrow(RangeError);
  });
});
