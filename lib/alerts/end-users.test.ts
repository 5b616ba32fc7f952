import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { spendPeriods } from '../access/spend-limits';
import { countCalls, startTestTable } from '../../test/dynalite';
import { silentLogger } from '../observe/logger';
import type { TableRef } from '../store/dynamo';
import { listPendingAlerts } from '../store/alert-marks';
import { alertMarkKey } from '../store/table';
import { EndUserBudgetAlerts, type EndUserHold } from './end-users';
import type { BudgetAlert } from './message';
import type { BudgetNotifier } from './notifier';

const NOW = Date.parse('2026-11-26T17:05:00Z');
const day = spendPeriods({ usdPerDay: 1 }, NOW)[0]!;
const month = spendPeriods({ usdPerMonth: 10 }, NOW)[0]!;
/** The table, but for the update that keeps an alert for the job, which fails as a throttled store would. */
const keepingFails = (table: TableRef): TableRef => {
  const client = Object.create(table.client) as TableRef['client'];
  client.send = ((command: { input: { UpdateExpression?: string } }) =>
    command.input.UpdateExpression?.startsWith('SET pending') ? Promise.reject(new Error('throttled')) : table.client.send(command as never)) as TableRef['client']['send'];
  return { ...table, client };
};
const hold = (scopeId: string, period = day, id: string | undefined = 'alice'): EndUserHold => ({ scopeId, period, endUser: { owner: { kind: 'key', id: 'key_1', name: 'app' }, id } });

describe('EndUserBudgetAlerts', () => {
  let table: TableRef;
  let close: () => Promise<void>;
  let sent: BudgetAlert[];
  let failing: boolean;
  let errors: string[];
  let alerts: EndUserBudgetAlerts;
  let clock: number;
  let attempts: number;

  beforeAll(async () => {
    ({ table, close } = await startTestTable());
  });
  afterAll(async () => close());
  beforeEach(() => {
    sent = [];
    failing = false;
    errors = [];
    clock = NOW;
    attempts = 0;
    const notifier: BudgetNotifier = {
      async notify(alert) {
        attempts++;
        if (failing) throw new Error('the topic is down');
        sent.push(alert);
      },
    };
    alerts = new EndUserBudgetAlerts({ table, notifier, thresholds: [0.8, 1], logger: { ...silentLogger, error: (message: string) => void errors.push(message) }, now: () => clock });
  });

  const announced = async (scopeId: string, periodId = day.id) => {
    const key = alertMarkKey(scopeId, periodId);
    const out = await table.client.send(new GetItemCommand({ TableName: table.tableName, Key: { PK: { S: key.PK }, SK: { S: key.SK } }, ConsistentRead: true }));
    return out.Item?.announced?.N === undefined ? undefined : Number(out.Item.announced.N);
  };

  it('announces the threshold a call\'s hold crossed once it settled past it, naming the owner, the end user, the budget and the figures', async () => {
    await alerts.afterSettle(hold('key_1@a'), { held: { micros: 300_000, total: 850_000 }, settled: { added: -20_000, total: 830_000 } });

    expect(sent).toEqual([
      {
        owner: { kind: 'key', id: 'key_1', name: 'app' },
        endUser: { id: 'alice' },
        threshold: 0.8,
        budget: { kind: 'day', periodId: day.id, limitMicros: 1_000_000, usedMicros: 830_000, fraction: 0.83, resetsAt: '2026-11-27T00:00:00.000Z' },
      },
    ]);
    expect(await announced('key_1@a')).toBe(0.8);
  });

  it('announces nothing when the call really cost too little to stay past the threshold its worst case crossed', async () => {
    await alerts.afterSettle(hold('key_1@b'), { held: { micros: 500_000, total: 900_000 }, settled: { added: -450_000, total: 450_000 } });

    expect(sent).toEqual([]);
    expect(await announced('key_1@b')).toBeUndefined();
  });

  it('announces the highest threshold the hold crossed that the call\'s real cost still reaches: a worst case past 100 % that settles at 85 % is the 80 % alert', async () => {
    // 0.75 → 1.00 held (80 % and 100 % crossed), 0.85 spent: 80 % was crossed, and no later call crosses it again.
    await alerts.afterSettle(hold('key_1@b2'), { held: { micros: 250_000, total: 1_000_000 }, settled: { added: -150_000, total: 850_000 } });

    expect(sent.map((a) => [a.threshold, a.budget.usedMicros])).toEqual([[0.8, 850_000]]);
    expect(await announced('key_1@b2')).toBe(0.8);
  });

  it('announces nothing, writes nothing and hands back no promise for calls that cross nothing', async () => {
    const calls = countCalls(table);
    const under = alerts.afterSettle(hold('key_1@c'), { held: { micros: 100_000, total: 300_000 }, settled: { added: -50_000, total: 250_000 } });
    const pastAlready = alerts.afterSettle(hold('key_1@c'), { held: { micros: 100_000, total: 900_000 }, settled: { added: -50_000, total: 850_000 } });

    expect([under, pastAlready]).toEqual([undefined, undefined]);

    expect(calls.size).toBe(0);
    expect(sent).toEqual([]);
    expect(await announced('key_1@c')).toBeUndefined();
  });

  it('announces a threshold a settlement crossed by costing more than the call held, and a hold kept as spent (no write)', async () => {
    await alerts.afterSettle(hold('key_1@d'), { held: { micros: 100_000, total: 700_000 }, settled: { added: 150_000, total: 850_000 } });
    await alerts.afterSettle(hold('key_1@d'), { held: { micros: 200_000, total: 1_000_000 } });

    expect(sent.map((a) => [a.threshold, a.budget.usedMicros])).toEqual([
      [0.8, 850_000],
      [1, 1_000_000],
    ]);
  });

  it('announces each threshold once: a second crossing of 80 % in the period is another call\'s claim lost', async () => {
    await alerts.afterSettle(hold('key_1@e'), { held: { micros: 100_000, total: 850_000 }, settled: { added: -10_000, total: 840_000 } });
    // Given back below, then crossed again by another call (or instance).
    await alerts.afterSettle(hold('key_1@e'), { held: { micros: 100_000, total: 810_000 } });

    expect(sent).toHaveLength(1);
  });

  it('keeps the day\'s and the month\'s budgets, and end users, apart', async () => {
    await alerts.afterSettle(hold('key_1@f', day), { held: { micros: 100_000, total: 850_000 } });
    await alerts.afterSettle(hold('key_1@f', month), { held: { micros: 1_000_000, total: 8_500_000 } });
    await alerts.afterSettle(hold('key_1@g', day, 'bob'), { held: { micros: 100_000, total: 850_000 } });

    expect(sent.map((a) => [a.endUser?.id, a.budget.kind, a.threshold])).toEqual([
      ['alice', 'day', 0.8],
      ['alice', 'month', 0.8],
      ['bob', 'day', 0.8],
    ]);
  });

  it('keeps an alert it could not send on its claimed mark, for the scheduled job to send, and does not try it again itself', async () => {
    failing = true;
    await alerts.afterSettle(hold('key_1@p'), { held: { micros: 100_000, total: 850_000 } });

    expect(errors).toEqual([expect.stringContaining('kept for the scheduled budget-alerts job')]);
    expect(await announced('key_1@p')).toBe(0.8);
    const pending = (await listPendingAlerts(table)).filter((p) => p.ref.scopeId === 'key_1@p');
    expect(pending.map((p) => [p.ref, JSON.parse(p.alert)])).toEqual([
      [
        { scopeId: 'key_1@p', periodId: day.id },
        {
          owner: { kind: 'key', id: 'key_1', name: 'app' },
          endUser: { id: 'alice' },
          threshold: 0.8,
          budget: { kind: 'day', periodId: day.id, limitMicros: 1_000_000, usedMicros: 850_000, fraction: 0.85, resetsAt: '2026-11-27T00:00:00.000Z' },
        },
      ],
    ]);

    failing = false;
    clock += 120_000;
    await alerts.afterSettle(hold('key_1@p'), { held: { micros: 10_000, total: 860_000 } });

    expect(attempts).toBe(1);
  });

  it('gives a claim back when neither the notification nor keeping it for the job works, logs it, and lets the next call of that end user (which crosses nothing) try again', async () => {
    failing = true;
    alerts = new EndUserBudgetAlerts({ ...alerts.deps, table: keepingFails(table) });
    await alerts.afterSettle(hold('key_1@h'), { held: { micros: 100_000, total: 850_000 } });

    expect(errors).toEqual([expect.stringContaining('nor kept for the job; its claim is given back')]);
    expect(await announced('key_1@h')).toBeUndefined();

    failing = false;
    clock += 60_000;
    await alerts.afterSettle(hold('key_1@h'), { held: { micros: 10_000, total: 860_000 }, settled: { added: -5_000, total: 855_000 } });

    expect(sent.map((a) => [a.threshold, a.budget.usedMicros])).toEqual([[0.8, 855_000]]);
    expect(await announced('key_1@h')).toBe(0.8);
  });

  it('tries a failed notification again at most once a minute: while the topic is down, the end user\'s other calls pay no claim, publish or release', async () => {
    failing = true;
    alerts = new EndUserBudgetAlerts({ ...alerts.deps, table: keepingFails(table) });
    await alerts.afterSettle(hold('key_1@h2'), { held: { micros: 100_000, total: 850_000 } });
    const calls = countCalls(table);

    const soon = [];
    for (let i = 1; i <= 5; i++) {
      clock += 10_000;
      soon.push(alerts.afterSettle(hold('key_1@h2'), { held: { micros: 1_000, total: 850_000 + i * 1_000 } }));
    }

    expect(soon).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(calls.size).toBe(0);
    expect(attempts).toBe(1);

    clock += 10_000;
    failing = false;
    await alerts.afterSettle(hold('key_1@h2'), { held: { micros: 1_000, total: 860_000 } });

    expect(attempts).toBe(2);
    expect(sent.map((a) => [a.threshold, a.budget.usedMicros])).toEqual([[0.8, 860_000]]);
  });

  it('gives back only its own claim: a failed 100 % leaves the 80 % announced before', async () => {
    await alerts.afterSettle(hold('key_1@i'), { held: { micros: 100_000, total: 850_000 } });
    failing = true;
    alerts = new EndUserBudgetAlerts({ ...alerts.deps, table: keepingFails(table) });
    await alerts.afterSettle(hold('key_1@i'), { held: { micros: 150_000, total: 1_000_000 } });

    expect(await announced('key_1@i')).toBe(0.8);
  });

  it('sends one alert when 50 checks on two instances see the same crossing at once: the claim is conditional', async () => {
    const other = new EndUserBudgetAlerts({ table, notifier: { notify: async (alert) => void sent.push(alert) }, thresholds: [0.8, 1], logger: silentLogger });

    await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? alerts : other).afterSettle(hold('key_1@k'), { held: { micros: 100_000, total: 800_000 } })));

    expect(sent).toHaveLength(1);
  });

  it('logs and carries on when the store cannot take the claim: it never throws', async () => {
    const broken = new EndUserBudgetAlerts({
      table: { ...table, tableName: 'no-such-table' },
      notifier: { notify: async (alert) => void sent.push(alert) },
      thresholds: [0.8, 1],
      logger: { ...silentLogger, error: (message: string) => void errors.push(message) },
    });

    await expect(broken.afterSettle(hold('key_1@j'), { held: { micros: 100_000, total: 850_000 } })).resolves.toBeUndefined();

    expect(sent).toEqual([]);
    expect(errors).toEqual([expect.stringContaining('not claimed: the store failed')]);
  });
});
