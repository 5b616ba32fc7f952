import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { spendPeriods } from '../access/spend-limits';
import { startTestTable } from '../../test/dynalite';
import { DynamoSpendStore, MemorySpendStore, type SpendStore } from './spend';
import { spendItemKey } from './table';

const NOW = Date.parse('2026-11-26T17:05:00Z');
const [day, month] = spendPeriods({ usdPerDay: 1, usdPerMonth: 10 }, NOW) as [ReturnType<typeof spendPeriods>[0], ReturnType<typeof spendPeriods>[0]];
const tomorrow = spendPeriods({ usdPerDay: 1 }, NOW + 86_400_000)[0]!;

/** One contract, two implementations: the in-memory double must behave like the table. */
describe.each([
  ['MemorySpendStore', async () => ({ store: new MemorySpendStore() as SpendStore, close: async () => {} })],
  [
    'DynamoSpendStore on dynalite',
    async () => {
      const t = await startTestTable();
      return { store: new DynamoSpendStore(t.table) as SpendStore, close: t.close };
    },
  ],
])('%s', (_name, make) => {
  let store: SpendStore;
  let close: () => Promise<void>;
  beforeEach(async () => {
    ({ store, close } = await make());
  });
  afterEach(async () => close());

  it('holds amounts while they fit under the limit, exactly up to it, and refuses the next, saying what is used', async () => {
    expect(await store.reserve('key_a', day, 600_000)).toEqual({ reserved: true, total: 600_000 });
    expect(await store.reserve('key_a', day, 400_000)).toEqual({ reserved: true, total: 1_000_000 });

    expect(await store.reserve('key_a', day, 1)).toEqual({ reserved: false, used: 1_000_000 });
  });

  it('refuses an amount larger than the whole limit, even on a fresh period', async () => {
    expect(await store.reserve('key_a', day, 1_000_001)).toEqual({ reserved: false, used: 0 });
  });

  it('makes room again when a settlement gives back what a call did not spend', async () => {
    await store.reserve('key_a', day, 900_000);
    expect(await store.reserve('key_a', day, 200_000)).toMatchObject({ reserved: false });

    await store.adjust('key_a', day, -850_000);

    expect(await store.reserve('key_a', day, 200_000)).toEqual({ reserved: true, total: 250_000 });
    expect(await store.reserve('key_a', day, 900_000)).toEqual({ reserved: false, used: 250_000 });
  });

  it('hands back the total after each write (UPDATED_NEW), and nothing for an adjustment of 0, which writes nothing', async () => {
    await store.reserve('key_t', day, 300_000);

    expect(await store.adjust('key_t', day, -100_000)).toBe(200_000);
    expect(await store.adjust('key_t', day, 50_000)).toBe(250_000);
    expect(await store.adjust('key_t', day, 0)).toBeUndefined();
    expect(await store.adjust('key_fresh', day, 70_000)).toBe(70_000);
  });

  it('keeps periods and keys apart', async () => {
    await store.reserve('key_a', day, 1_000_000);

    expect(await store.reserve('key_a', tomorrow, 1_000_000)).toEqual({ reserved: true, total: 1_000_000 });
    expect(await store.reserve('key_a', month, 1_000_000)).toEqual({ reserved: true, total: 1_000_000 });
    expect(await store.reserve('key_b', day, 1_000_000)).toEqual({ reserved: true, total: 1_000_000 });
  });

  it('lets exactly as many through as fit when 200 calls race for a budget of 50', async () => {
    const results = await Promise.all(Array.from({ length: 200 }, () => store.reserve('key_race', day, 20_000)));

    expect(results.filter((r) => r.reserved)).toHaveLength(50);
  });

  it('gives each of 50 concurrent adjustments a total of its own, so exactly one sees a line crossed', async () => {
    const totals = await Promise.all(Array.from({ length: 50 }, () => store.adjust('key_many', day, 10_000)));

    expect([...totals].sort((a, b) => a! - b!)).toEqual(Array.from({ length: 50 }, (_, i) => (i + 1) * 10_000));
    expect(totals.filter((total) => total! - 10_000 < 250_000 && total! >= 250_000)).toHaveLength(1);
  });
});

describe('DynamoSpendStore items', () => {
  it('live under the key and period, in micro-dollars, kept a month past a day and a year past a month', async () => {
    const t = await startTestTable();
    try {
      const store = new DynamoSpendStore(t.table);
      await store.reserve('key_a', day, 5_000);
      await store.adjust('key_a', day, -1_000);
      await store.reserve('key_a', month, 7);
      const read = async (id: string) => {
        const key = spendItemKey('key_a', id);
        return (await t.table.client.send(new GetItemCommand({ TableName: t.table.tableName, Key: { PK: { S: key.PK }, SK: { S: key.SK } } }))).Item;
      };

      expect(await read('2026-11-26')).toMatchObject({ micros: { N: '4000' }, ttl: { N: String(Date.parse('2026-11-27T00:00:00Z') / 1000 + 35 * 86_400) } });
      expect(await read('2026-11')).toMatchObject({ micros: { N: '7' }, ttl: { N: String(Date.parse('2026-12-01T00:00:00Z') / 1000 + 400 * 86_400) } });
    } finally {
      await t.close();
    }
  });
});
