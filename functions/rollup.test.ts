import { mintKey } from '../lib/access/api-key';
import type { TableRef } from '../lib/store/dynamo';
import { loadOnTable } from '../test/lambda';
import { DynamoKeyStore } from '../lib/store/keys';
import { DynamoRollups } from '../lib/store/rollups';
import { DynamoUsageSink } from '../lib/store/usage';

let table: TableRef;
let handler: () => Promise<{ days: string[]; keys: number; rollups: number }>;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ module: { handler }, table, close } = await loadOnTable(() => require('./rollup') as { handler: typeof handler }));
});

afterAll(async () => close());

it('sums today\'s usage of every key into roll-ups when the schedule fires', async () => {
  const key = mintKey({ name: 'scheduled', models: ['*'] }, new Date()).record;
  await new DynamoKeyStore(table).put(key);
  const usage = new DynamoUsageSink(table, { retentionDays: 1 });
  const at = new Date();
  for (const costMicros of [5, 7]) {
    usage.record({ requestId: `r${costMicros}`, at, keyId: key.id, surface: 'openai-chat', model: 'gpt-4o-mini', stream: false, status: 200, outcome: 'ok', inputTokens: 3, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, latencyMs: 1, attempts: 1, costMicros });
  }
  await usage.drain();
  const today = at.toISOString().slice(0, 10);

  const result = await handler();
  const [rollup] = await new DynamoRollups(table).list(today, today);

  expect(result).toMatchObject({ keys: 1, rollups: 1 });
  expect(result.days).toContain(today);
  expect(rollup).toMatchObject({ keyId: key.id, day: today, byModel: { 'gpt-4o-mini': { requests: 2, inputTokens: 6, outputTokens: 2, costMicros: 12 } } });
});
