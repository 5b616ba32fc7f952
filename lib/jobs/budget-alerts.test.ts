import { mintKey } from '../access/api-key';
import { spendPeriods } from '../access/spend-limits';
import { newTeam } from '../access/team';
import type { BudgetAlert } from '../alerts/message';
import type { BudgetNotifier } from '../alerts/notifier';
import { countCalls, startTestTable } from '../../test/dynalite';
import type { TableRef } from '../store/dynamo';
import { claimThreshold, keepPendingAlert, listPendingAlerts } from '../store/alert-marks';
import { DynamoKeyStore } from '../store/keys';
import { DynamoSpendStore } from '../store/spend';
import { DynamoTeamStore } from '../store/teams';
import { runBudgetAlerts, type BudgetAlertDeps } from './budget-alerts';

const NOW = new Date('2026-11-26T12:00:00Z');

/** Keeps what it was asked to deliver; fails while `failing` is set. */
class RecordingNotifier implements BudgetNotifier {
  readonly alerts: BudgetAlert[] = [];
  failing = false;
  async notify(alert: BudgetAlert): Promise<void> {
    if (this.failing) throw new Error('SNS is down');
    this.alerts.push(alert);
  }
}


describe('the budget alerts job, on dynalite', () => {
  let table: TableRef;
  let close: () => Promise<void>;
  let keys: DynamoKeyStore;
  let teams: DynamoTeamStore;
  let spend: DynamoSpendStore;
  let notifier: RecordingNotifier;
  let now: Date;
  const deps = (): BudgetAlertDeps => ({ table, keys, teams, notifier, thresholds: [0.8, 1], now: () => now });
  const spendOn = (scopeId: string, limits: { usdPerDay?: number; usdPerMonth?: number }, micros: number, at = now) =>
    spend.adjust(scopeId, spendPeriods(limits, at.getTime())[0]!, micros);

  beforeEach(async () => {
    ({ table, close } = await startTestTable());
    keys = new DynamoKeyStore(table);
    teams = new DynamoTeamStore(table);
    spend = new DynamoSpendStore(table);
    notifier = new RecordingNotifier();
    now = NOW;
  });
  afterEach(async () => close());

  it('announces 80 % once, 100 % once more, and the next day afresh', async () => {
    const key = mintKey({ name: 'alice', models: ['*'], limits: { usdPerDay: 5 } }, NOW).record;
    await keys.put(key);

    await spendOn(key.id, { usdPerDay: 5 }, 4_100_000);
    const first = await runBudgetAlerts(deps());
    const again = await runBudgetAlerts(deps());

    expect(first).toEqual({ budgets: 1, sent: 1, failed: 0 });
    expect(again).toEqual({ budgets: 1, sent: 0, failed: 0 });
    expect(notifier.alerts).toEqual([
      {
        owner: { kind: 'key', id: key.id, name: 'alice' },
        threshold: 0.8,
        budget: { kind: 'day', periodId: '2026-11-26', limitMicros: 5_000_000, usedMicros: 4_100_000, fraction: 0.82, resetsAt: '2026-11-27T00:00:00.000Z' },
      },
    ]);

    await spendOn(key.id, { usdPerDay: 5 }, 900_000);
    await runBudgetAlerts(deps());
    await runBudgetAlerts(deps());

    expect(notifier.alerts.map((a) => a.threshold)).toEqual([0.8, 1]);

    now = new Date('2026-11-27T08:00:00Z');
    await spendOn(key.id, { usdPerDay: 5 }, 4_500_000);
    await runBudgetAlerts(deps());

    expect(notifier.alerts.map((a) => [a.budget.periodId, a.threshold])).toEqual([
      ['2026-11-26', 0.8],
      ['2026-11-26', 1],
      ['2026-11-27', 0.8],
    ]);
  });

  it('announces a budget that jumped past both thresholds once, at the highest', async () => {
    const team = newTeam({ name: 'platform', limits: { usdPerMonth: 100 } }, NOW);
    await teams.put(team);
    await spendOn(team.id, { usdPerMonth: 100 }, 120_000_000);

    await runBudgetAlerts(deps());
    await runBudgetAlerts(deps());

    expect(notifier.alerts).toEqual([expect.objectContaining({ owner: { kind: 'team', id: team.id, name: 'platform' }, threshold: 1 })]);
  });

  it('sends one notification when two runs race over the same crossing', async () => {
    const key = mintKey({ name: 'racer', models: ['*'], limits: { usdPerDay: 1, usdPerMonth: 10 } }, NOW).record;
    await keys.put(key);
    await spendOn(key.id, { usdPerDay: 1 }, 850_000);

    const runs = await Promise.all([runBudgetAlerts(deps()), runBudgetAlerts(deps()), runBudgetAlerts(deps())]);

    expect(notifier.alerts).toHaveLength(1);
    expect(runs.map((r) => r.sent).sort()).toEqual([0, 0, 1]);
  });

  it('tries again on the next run when a notification could not be sent', async () => {
    const key = mintKey({ name: 'flaky', models: ['*'], limits: { usdPerDay: 1 } }, NOW).record;
    await keys.put(key);
    await spendOn(key.id, { usdPerDay: 1 }, 1_000_000);
    notifier.failing = true;

    const failed = await runBudgetAlerts(deps());
    notifier.failing = false;
    const retried = await runBudgetAlerts(deps());

    expect(failed).toEqual({ budgets: 1, sent: 0, failed: 1 });
    expect(retried).toEqual({ budgets: 1, sent: 1, failed: 0 });
    expect(notifier.alerts.map((a) => a.threshold)).toEqual([1]);
  });

  describe('alerts the gateway claimed for an end user and could not send', () => {
    const ref = { scopeId: 'key_1@Zm9vYmFy', periodId: '2026-11-26' };
    const alert: BudgetAlert = {
      owner: { kind: 'key', id: 'key_1', name: 'app' },
      endUser: { id: 'alice' },
      threshold: 0.8,
      budget: { kind: 'day', periodId: '2026-11-26', limitMicros: 1_000_000, usedMicros: 850_000, fraction: 0.85, resetsAt: '2026-11-27T00:00:00.000Z' },
    };
    const keep = async () => {
      await claimThreshold(table, ref, 0.8, new Date(alert.budget.resetsAt));
      expect(await keepPendingAlert(table, ref, 0.8, JSON.stringify(alert))).toBe(true);
    };

    it('sends each once, as the gateway wrote it, and takes it out of the list', async () => {
      await keep();

      const first = await runBudgetAlerts(deps());
      const again = await runBudgetAlerts(deps());

      expect(first).toEqual({ budgets: 0, sent: 1, failed: 0 });
      expect(again).toEqual({ budgets: 0, sent: 0, failed: 0 });
      expect(notifier.alerts).toEqual([alert]);
      expect(await listPendingAlerts(table)).toEqual([]);
    });

    it('keeps one whose send failed for the next run', async () => {
      await keep();
      notifier.failing = true;

      const failed = await runBudgetAlerts(deps());
      notifier.failing = false;
      const retried = await runBudgetAlerts(deps());

      expect(failed).toEqual({ budgets: 0, sent: 0, failed: 1 });
      expect(retried).toEqual({ budgets: 0, sent: 1, failed: 0 });
      expect(notifier.alerts).toEqual([alert]);
    });

    it('carries on with the others when one can be neither sent nor kept again, and logs the alert it lost', async () => {
      await keep();
      const other = { scopeId: 'key_1@YmF6', periodId: '2026-11-26' };
      await claimThreshold(table, other, 0.8, new Date(alert.budget.resetsAt));
      await keepPendingAlert(table, other, 0.8, JSON.stringify({ ...alert, endUser: { id: 'bob' } }));
      let calls = 0;
      const flaky: BudgetNotifier = {
        async notify(sent) {
          if (calls++ === 0) throw new Error('SNS is down');
          notifier.alerts.push(sent);
        },
      };
      // The store refuses to keep an alert again (a throttle), after letting the run take it.
      const client = Object.create(table.client) as TableRef['client'];
      client.send = ((command: { input: { UpdateExpression?: string } }) =>
        command.input.UpdateExpression?.startsWith('SET pending') ? Promise.reject(new Error('throttled')) : table.client.send(command as never)) as TableRef['client']['send'];
      const errors: [string, unknown][] = [];

      const run = await runBudgetAlerts({ ...deps(), table: { ...table, client }, notifier: flaky, logger: { error: (message: unknown, ...extra: unknown[]) => void errors.push([String(message), extra[0]]) } });

      expect(run).toEqual({ budgets: 0, sent: 1, failed: 1 });
      expect(notifier.alerts).toHaveLength(1);
      expect(errors.map(([message]) => message)).toEqual([expect.stringContaining('could not be sent; the next run tries again'), expect.stringContaining('is lost')]);
      expect(errors[1]![1]).toMatchObject({ alert: { threshold: 0.8 } });
    });

    it('sends one when runs race over it', async () => {
      await keep();

      const runs = await Promise.all([runBudgetAlerts(deps()), runBudgetAlerts(deps()), runBudgetAlerts(deps())]);

      expect(notifier.alerts).toEqual([alert]);
      expect(runs.map((r) => r.sent).sort()).toEqual([0, 0, 1]);
    });

    it('drops one a higher threshold has been claimed over since: the gateway announced 100 %, a late 80 % after it is stale', async () => {
      await keep();
      // The end user's next call crosses 100 % and the gateway sends that one itself.
      await claimThreshold(table, ref, 1, new Date(alert.budget.resetsAt));

      const run = await runBudgetAlerts(deps());

      expect(run).toEqual({ budgets: 0, sent: 0, failed: 0 });
      expect(notifier.alerts).toEqual([]);
      expect(await listPendingAlerts(table)).toEqual([]);
    });

    it('is not kept for a claim that is no longer the caller\'s: a higher threshold claimed since announces itself', async () => {
      await claimThreshold(table, ref, 1, new Date(alert.budget.resetsAt));

      expect(await keepPendingAlert(table, ref, 0.8, JSON.stringify(alert))).toBe(false);
      expect(await listPendingAlerts(table)).toEqual([]);
    });
  });

  it('reads no counters for keys and teams without budgets, nor for revoked keys', async () => {
    await keys.put(mintKey({ name: 'free', models: ['*'], limits: { requestsPerMinute: 5 } }, NOW).record);
    await keys.put(mintKey({ name: 'plain', models: ['*'] }, NOW).record);
    const revoked = mintKey({ name: 'gone', models: ['*'], limits: { usdPerDay: 1 } }, NOW).record;
    await keys.put({ ...revoked, status: 'revoked' });
    await teams.put(newTeam({ name: 'open' }, NOW));
    await spendOn(revoked.id, { usdPerDay: 1 }, 2_000_000);
    const calls = countCalls(table);

    const run = await runBudgetAlerts(deps());

    expect(run).toEqual({ budgets: 0, sent: 0, failed: 0 });
    // Keys, teams, and the alerts the gateway kept.
    expect(Object.fromEntries(calls)).toEqual({ QueryCommand: 3 });
    expect(notifier.alerts).toEqual([]);
  });

  it('reads every watched budget in one batch and writes nothing once all is announced', async () => {
    for (let i = 0; i < 30; i++) {
      const key = mintKey({ name: `k${i}`, models: ['*'], limits: { usdPerDay: 1, usdPerMonth: 10 } }, NOW).record;
      await keys.put(key);
      await spendOn(key.id, { usdPerDay: 1 }, 900_000);
    }
    await runBudgetAlerts(deps());
    const calls = countCalls(table);

    const run = await runBudgetAlerts(deps());

    expect(run).toEqual({ budgets: 60, sent: 0, failed: 0 });
    // Keys, teams and the alerts kept by the gateway listed; 60 budgets: 120 keys (counter and mark), two BatchGetItems of at most 100.
    expect(Object.fromEntries(calls)).toEqual({ QueryCommand: 3, BatchGetItemCommand: 2 });
    expect(notifier.alerts).toHaveLength(30);
  });
});
