import { mintKey } from '../../lib/access/api-key';
import { spendPeriods } from '../../lib/access/spend-limits';
import type { BudgetAlert } from '../../lib/alerts/message';
import { parseConfig } from '../../lib/config/load';
import { startLocalGateway, type LocalGateway } from '../../lib/local/start';
import { DynamoKeyStore } from '../../lib/store/keys';
import { DynamoSpendStore } from '../../lib/store/spend';
import { ADMIN_TOKEN, eventually } from './harness';

describe('budget alerts in the local gateway (npm start)', () => {
  let gw: LocalGateway;
  const alerts: BudgetAlert[] = [];
  // The gateway's clock, held still: the job reads the counters of its month, which must be the one they were written on however late in a month's last day the run starts.
  const NOW = Date.now();

  beforeAll(async () => {
    gw = await startLocalGateway({
      config: parseConfig({
        providers: [{ id: 'openai', type: 'openai', accounts: [{ id: 'a', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] }],
        models: [{ name: 'gpt-4o-mini', targets: [{ provider: 'openai', model: 'gpt-4o-mini' }] }],
        alerts: { budgetThresholds: [0.5, 1] },
      }),
      adminToken: ADMIN_TOKEN,
      store: { embedded: undefined },
      now: () => NOW,
      budgetAlerts: { intervalMs: 50, notifier: { notify: async (alert) => void alerts.push(alert) } },
    });
  });
  afterAll(async () => gw.close());

  it('checks budgets on a timer with the config\'s thresholds and announces a crossing once', async () => {
    const key = mintKey({ name: 'local', models: ['*'], limits: { usdPerMonth: 10 } }, new Date()).record;
    await new DynamoKeyStore(gw.table).put(key);

    await new DynamoSpendStore(gw.table).adjust(key.id, spendPeriods({ usdPerMonth: 10 }, NOW)[0]!, 6_000_000);
    await eventually(() => expect(alerts).toHaveLength(1));
    await new Promise((resolve) => setTimeout(resolve, 200));

    expect(alerts).toEqual([expect.objectContaining({ owner: { kind: 'key', id: key.id, name: 'local' }, threshold: 0.5 })]);
  });
});
