import OpenAI from 'openai';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { endUserCounterId } from '../../lib/access/end-user';
import { budgetAlertText, type BudgetAlert } from '../../lib/alerts/message';
import type { BudgetNotifier } from '../../lib/alerts/notifier';
import { parseConfig } from '../../lib/config/load';
import { LocalCredentials } from '../../lib/credentials/local';
import { startDynalite, type EmbeddedDynamo } from '../../lib/local/dynalite';
import { startLocalGateway, type LocalGateway } from '../../lib/local/start';
import { silentLogger } from '../../lib/observe/logger';
import { runBudgetAlerts } from '../../lib/jobs/budget-alerts';
import { DynamoKeyStore } from '../../lib/store/keys';
import { alertMarkKey } from '../../lib/store/table';
import { DynamoTeamStore } from '../../lib/store/teams';
import { countCalls } from '../dynalite';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai';
import { ADMIN } from './instances';

/**
 * Budget alerts for end users, through the gateway: two instances sharing one dynalite table, a
 * fake OpenAI whose every answer costs $0.001 (1,000 output tokens at $1 per million, as held:
 * max_tokens 1,000), and one notifier both instances deliver to, as both publish to one topic on AWS.
 */
const TABLE = 'end-user-alerts';
const NOW = Date.now();
const day = new Date(NOW).toISOString().slice(0, 10);
const month = day.slice(0, 7);

describe('budget alerts for end users, across two instances', () => {
  let dynamo: EmbeddedDynamo;
  let upstream: FakeOpenAI;
  let a: LocalGateway;
  let b: LocalGateway;
  let config: ReturnType<typeof parseConfig>;
  const sent: BudgetAlert[] = [];
  let failures = 0;
  const clock = NOW;
  const attempts: BudgetAlert[] = [];
  const errors: string[] = [];
  const notifier: BudgetNotifier = {
    async notify(alert) {
      attempts.push(alert);
      if (failures > 0) {
        failures--;
        throw new Error('the webhook answered 503');
      }
      sent.push(alert);
    },
  };

  beforeAll(async () => {
    dynamo = await startDynalite();
    upstream = await startFakeOpenAI({ apiKey: 'sk-up' });
    upstream.reply(() => ({ kind: 'text', text: 'Hello there', usage: { prompt: 20, completion: 1_000 } }));
    config = parseConfig({
      providers: [{ id: 'up', type: 'openai', baseUrl: upstream.url, accounts: [{ id: 'a', apiKey: { env: 'UP' } }] }],
      models: [{ name: 'gpt-4o-mini', price: { input: 0, output: 1 }, targets: [{ provider: 'up', model: 'gpt-4o-mini' }] }],
      alerts: { budgetThresholds: [0.8, 1] },
    });
    const start = () =>
      startLocalGateway({
        config,
        adminToken: ADMIN,
        store: { endpoint: dynamo.endpoint },
        tableName: TABLE,
        credentials: new LocalCredentials({ UP: 'sk-up' }),
        now: () => clock,
        logger: { ...silentLogger, error: (message: string) => void errors.push(message) },
        // The scheduled job watches keys and teams only (these have no budgets of their own): kept out of the way.
        budgetAlerts: { intervalMs: 3_600_000, notifier },
      });
    a = await start();
    b = await start();
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await dynamo.close();
    await upstream.close();
  });
  beforeEach(() => {
    sent.length = 0;
    attempts.length = 0;
    errors.length = 0;
  });

  const createKey = async (body: Record<string, unknown>) => {
    const res = await fetch(`${a.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` }, body: JSON.stringify(body) });
    return (await res.json()) as { id: string; key: string };
  };
  const ask = (gw: LocalGateway, apiKey: string, endUser: string) =>
    new OpenAI({ apiKey, baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-aigw-end-user': endUser } }).chat.completions.create({ model: 'gpt-4o-mini', max_tokens: 1_000, messages: [{ role: 'user', content: 'hi' }] });
  const drain = () => Promise.all([a.gateway.drain(), b.gateway.drain()]);
  const announced = async (scopeId: string, periodId: string) => {
    const key = alertMarkKey(scopeId, periodId);
    const out = await a.table.client.send(new GetItemCommand({ TableName: TABLE, Key: { PK: { S: key.PK }, SK: { S: key.SK } }, ConsistentRead: true }));
    return out.Item?.announced?.N === undefined ? undefined : Number(out.Item.announced.N);
  };

  it('sends one alert per threshold, per end user and per period, when 50 parallel calls of each of two end users cross 80 % over two instances', async () => {
    // $0.0625 a day and a month: the 50th call's $0.001 takes each end user's counters to $0.05, 80 %.
    const app = await createKey({ name: 'app', endUserLimits: { usdPerDay: 0.0625, usdPerMonth: 0.0625 } });

    await Promise.all(Array.from({ length: 100 }, (_, i) => ask(i % 2 ? a : b, app.key, i < 50 ? 'alice' : 'bob')));
    await drain();

    const summary = sent.map((alert) => [alert.endUser?.id, alert.budget.kind, alert.threshold, alert.budget.usedMicros, alert.owner.name]);
    expect(summary.sort()).toEqual([
      ['alice', 'day', 0.8, 50_000, 'app'],
      ['alice', 'month', 0.8, 50_000, 'app'],
      ['bob', 'day', 0.8, 50_000, 'app'],
      ['bob', 'month', 0.8, 50_000, 'app'],
    ]);
    expect(await announced(endUserCounterId(app.id, 'alice'), day)).toBe(0.8);
    expect(await announced(endUserCounterId(app.id, 'bob'), month)).toBe(0.8);
    expect(budgetAlertText(sent.find((s) => s.endUser?.id === 'alice' && s.budget.kind === 'day')!).subject).toBe(
      'aigw: end user "alice" of key "app" reached 80% of its daily budget ($0.05 of $0.0625)',
    );

    // More calls past 80 % cross nothing new: no alert, no claim.
    await Promise.all([ask(a, app.key, 'alice'), ask(b, app.key, 'bob')]);
    await drain();

    expect(sent).toHaveLength(4);
    expect(errors).toEqual([]);
  });

  it('costs no DynamoDB request more than with alerts off, but for the one claim of the call that crosses', async () => {
    const quiet = await startLocalGateway({ config, adminToken: ADMIN, store: { endpoint: dynamo.endpoint }, tableName: TABLE, credentials: new LocalCredentials({ UP: 'sk-up' }), now: () => NOW, budgetAlerts: false });
    try {
      const app = await createKey({ name: 'counted', endUserLimits: { usdPerDay: 0.005, usdPerMonth: 1 } });
      // Each instance reads the key once first, then calls are counted.
      await ask(a, app.key, 'erin');
      await ask(quiet, app.key, 'frank');
      await drain();
      await quiet.gateway.drain();
      const counted = async (gw: LocalGateway, endUser: string) => {
        const calls = countCalls(gw.table);
        await ask(gw, app.key, endUser);
        await gw.gateway.drain();
        calls.delete('BatchWriteItemCommand'); // usage records, batched on a timer
        return Object.fromEntries(calls);
      };

      const withAlerts = await counted(a, 'erin');
      const withoutAlerts = await counted(quiet, 'frank');
      await counted(a, 'erin');
      const crossing = await counted(a, 'erin');

      expect(withAlerts).toEqual(withoutAlerts);
      expect(crossing).toEqual({ ...withAlerts, UpdateItemCommand: withAlerts.UpdateItemCommand! + 1 });
      expect(sent.map((alert) => [alert.endUser?.id, alert.threshold, alert.budget.usedMicros])).toEqual([['erin', 0.8, 4_000]]);
    } finally {
      await quiet.close();
    }
  });

  it('keeps an alert whose notification failed for the scheduled job, which sends it though the end user calls no more', async () => {
    const app = await createKey({ name: 'flaky', endUserLimits: { usdPerDay: 0.01 } });
    for (let i = 0; i < 7; i++) await ask(a, app.key, 'carol');
    await drain();
    failures = 1;

    const crossing = await ask(a, app.key, 'carol');
    await drain();

    expect(crossing.choices[0]?.message.content).toBe('Hello there');
    expect(attempts.map((alert) => [alert.threshold, alert.budget.usedMicros])).toEqual([[0.8, 8_000]]);
    expect(errors).toEqual([expect.stringContaining('kept for the scheduled budget-alerts job')]);
    expect(await announced(endUserCounterId(app.id, 'carol'), day)).toBe(0.8);
    expect(sent).toEqual([]);

    const run = await runBudgetAlerts({ table: a.table, keys: new DynamoKeyStore(a.table), teams: new DynamoTeamStore(a.table), notifier, thresholds: [0.8, 1], now: () => new Date(clock) });

    expect(run.sent).toBe(1);
    expect(sent.map((alert) => [alert.endUser?.id, alert.threshold, alert.budget.usedMicros])).toEqual([['carol', 0.8, 8_000]]);
  });

  it('names a team\'s end-user budget by the team, and calls that name no end user as such', async () => {
    const team = (await (await fetch(`${a.url}/admin/teams`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` }, body: JSON.stringify({ name: 'product', endUserLimits: { usdPerDay: 0.001 } }) })).json()) as { id: string };
    const member = await createKey({ name: 'member', teamId: team.id });

    await new OpenAI({ apiKey: member.key, baseURL: `${b.url}/v1`, maxRetries: 0 }).chat.completions.create({ model: 'gpt-4o-mini', max_tokens: 1_000, messages: [{ role: 'user', content: 'hi' }] });
    await drain();
    await ask(a, member.key, 'dave');
    await drain();

    expect(sent.map((alert) => [alert.owner, alert.endUser, alert.threshold])).toEqual([
      [{ kind: 'team', id: team.id, name: 'product' }, {}, 1],
      [{ kind: 'team', id: team.id, name: 'product' }, { id: 'dave' }, 1],
    ]);
    expect(budgetAlertText(sent[0]!).subject).toBe('aigw: anonymous end user of team "product" reached 100% of its daily budget ($0.001 of $0.001)');
  });
});
