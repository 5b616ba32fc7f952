import { mintKey } from '../lib/access/api-key';
import { spendPeriods } from '../lib/access/spend-limits';
import type { BudgetAlertRun } from '../lib/jobs/budget-alerts';
import type { TableRef } from '../lib/store/dynamo';
import { DynamoKeyStore } from '../lib/store/keys';
import { DynamoSpendStore } from '../lib/store/spend';
import { startFakeSns, type FakeSns } from '../test/fakes/sns';
import { loadOnTable } from '../test/lambda';
import { clearOfUtcDayEnd } from '../test/minute-window';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:aigw-alarms';
const ENV = { ALERT_TOPIC_ARN: TOPIC, AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDALERTS', AWS_SECRET_ACCESS_KEY: 'alerts-secret', GATEWAY_BUDGET_THRESHOLDS: '0.5,1' };

let table: TableRef;
let handler: () => Promise<BudgetAlertRun>;
let close: () => Promise<void>;
let sns: FakeSns;
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  sns = await startFakeSns({ accessKeyId: ENV.AWS_ACCESS_KEY_ID, secretAccessKey: ENV.AWS_SECRET_ACCESS_KEY, region: ENV.AWS_REGION, topicArns: [TOPIC] });
  for (const [name, value] of Object.entries({ ...ENV, SNS_ENDPOINT: sns.url })) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
  ({ module: { handler }, table, close } = await loadOnTable(() => require('./budget-alerts') as { handler: typeof handler }));
});

afterAll(async () => {
  await close();
  await sns.close();
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

it('publishes a key\'s newly reached threshold to the topic, signed with the function\'s credentials, once', async () => {
  const key = mintKey({ name: 'scheduled', models: ['*'], limits: { usdPerDay: 2 } }, new Date()).record;
  await new DynamoKeyStore(table).put(key);
  // The function reads the counters of the wall clock's day: write them on a day that lasts past both runs.
  await clearOfUtcDayEnd();
  await new DynamoSpendStore(table).adjust(key.id, spendPeriods({ usdPerDay: 2 }, Date.now())[0]!, 1_200_000);

  const first = await handler();
  const second = await handler();

  expect(first).toEqual({ budgets: 1, sent: 1, failed: 0 });
  expect(second).toEqual({ budgets: 1, sent: 0, failed: 0 });
  expect(sns.refused).toEqual([]);
  expect(sns.published).toEqual([expect.objectContaining({ topicArn: TOPIC, subject: 'aigw: key "scheduled" reached 50% of its daily budget ($1.20 of $2.00)' })]);
});
