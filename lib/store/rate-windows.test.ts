import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { windowAt } from '../access/rate-limits';
import { startTestTable } from '../../test/dynalite';
import type { TableRef } from './dynamo';
import { DynamoRateWindows, MemoryRateWindows, type RateWindowStore } from './rate-windows';
import { rateWindowKey } from './table';

const minute = windowAt(Date.parse('2026-11-26T17:05:10Z'));
const nextMinute = windowAt(minute.endsAt);

/** One contract, two implementations: the in-memory double must behave like the table. */
describe.each([
  ['MemoryRateWindows', async () => ({ store: new MemoryRateWindows() as RateWindowStore, table: undefined, close: async () => {} })],
  [
    'DynamoRateWindows on dynalite',
    async () => {
      const t = await startTestTable();
      return { store: new DynamoRateWindows(t.table) as RateWindowStore, table: t.table as TableRef | undefined, close: t.close };
    },
  ],
])('%s', (_name, make) => {
  let store: RateWindowStore;
  let close: () => Promise<void>;
  beforeEach(async () => {
    ({ store, close } = await make());
  });
  afterEach(async () => close());

  it('counts requests up to the limit, then refuses them as over the requests limit', async () => {
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await store.take('key_a', minute, { requestsPerMinute: 3 }));

    expect(results).toEqual([{ admitted: true, counts: expect.anything() }, { admitted: true, counts: expect.anything() }, { admitted: true, counts: expect.anything() }, { admitted: false, exhausted: 'requests', counts: expect.anything() }]);
  });

  it('makes a place again when a counted request is given back, and keeps a team\'s counter apart from a key\'s', async () => {
    await store.take('key_a', minute, { requestsPerMinute: 1 });
    await store.take('team_a', minute, { requestsPerMinute: 1 });

    await store.giveBack('key_a', minute);

    expect(await store.take('key_a', minute, { requestsPerMinute: 1 })).toEqual({ admitted: true, counts: expect.anything() });
    expect(await store.take('team_a', minute, { requestsPerMinute: 1 })).toEqual({ admitted: false, exhausted: 'requests', counts: expect.anything() });
  });

  it('starts every minute afresh and keeps keys apart', async () => {
    for (let i = 0; i < 2; i++) await store.take('key_a', minute, { requestsPerMinute: 2 });

    expect(await store.take('key_a', minute, { requestsPerMinute: 2 })).toEqual({ admitted: false, exhausted: 'requests', counts: expect.anything() });
    expect(await store.take('key_a', nextMinute, { requestsPerMinute: 2 })).toEqual({ admitted: true, counts: expect.anything() });
    expect(await store.take('key_b', minute, { requestsPerMinute: 2 })).toEqual({ admitted: true, counts: expect.anything() });
  });

  it('admits while the tokens used in the minute are under the limit, then refuses as over the tokens limit', async () => {
    const limits = { requestsPerMinute: 100, tokensPerMinute: 1_000 };
    expect(await store.take('key_a', minute, limits)).toEqual({ admitted: true, counts: expect.anything() });
    await store.addTokens('key_a', minute, 999);
    expect(await store.take('key_a', minute, limits)).toEqual({ admitted: true, counts: expect.anything() });
    await store.addTokens('key_a', minute, 1);

    expect(await store.take('key_a', minute, limits)).toEqual({ admitted: false, exhausted: 'tokens', counts: expect.anything() });
    expect(await store.take('key_a', nextMinute, limits)).toEqual({ admitted: true, counts: expect.anything() });
  });

  it('counts tokens without a token limit, and a later token limit sees them', async () => {
    await store.take('key_a', minute, { requestsPerMinute: 10 });
    await store.addTokens('key_a', minute, 500);

    expect(await store.take('key_a', minute, { tokensPerMinute: 500 })).toEqual({ admitted: false, exhausted: 'tokens', counts: expect.anything() });
  });

  it('tells the counters as the same write left them, admitted or refused', async () => {
    const limits = { requestsPerMinute: 2, tokensPerMinute: 1_000 };

    const first = await store.take('key_a', minute, limits);
    await store.addTokens('key_a', minute, 300);
    const second = await store.take('key_a', minute, limits);
    const refused = await store.take('key_a', minute, limits);

    expect(first).toEqual({ admitted: true, counts: { requests: 1, tokens: 0 } });
    expect(second).toEqual({ admitted: true, counts: { requests: 2, tokens: 300 } });
    expect(refused).toEqual({ admitted: false, exhausted: 'requests', counts: { requests: 2, tokens: 300 } });
  });

  it('lets exactly the limit through when 200 requests race for 50 places', async () => {
    const results = await Promise.all(Array.from({ length: 200 }, () => store.take('key_race', minute, { requestsPerMinute: 50 })));

    expect(results.filter((r) => r.admitted)).toHaveLength(50);
    expect(results.filter((r) => !r.admitted && r.exhausted === 'requests')).toHaveLength(150);
  });
});

describe('DynamoRateWindows items', () => {
  it('live under the key and minute, and expire an hour after their minute', async () => {
    const t = await startTestTable();
    try {
      const store = new DynamoRateWindows(t.table);
      await store.take('key_a', minute, { requestsPerMinute: 5 });
      await store.addTokens('key_a', minute, 42);

      const key = rateWindowKey('key_a', '2026-11-26T17:05');
      const out = await t.table.client.send(new GetItemCommand({ TableName: t.table.tableName, Key: { PK: { S: key.PK }, SK: { S: key.SK } } }));

      expect(out.Item).toMatchObject({ requests: { N: '1' }, tokens: { N: '42' }, ttl: { N: String(Date.parse('2026-11-26T17:06:00Z') / 1000 + 3_600) } });
    } finally {
      await t.close();
    }
  });
});
