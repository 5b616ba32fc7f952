/**
 * What end users' budget alerts add to a call's budget work in the gateway's own process: one
 * call's reserve, settle and the wait for its settlement (`drain`), on the in-memory store (so the
 * figure is the gateway's CPU, not a round trip), for a key's own budget and for an end user's,
 * with the alerts off and on. A call that crosses no threshold must cost the same either way: the
 * check reads the totals the writes hand back and writes nothing.
 *
 *   npx tsx lib/access/spend-limiter.bench.ts
 */
import { EndUserBudgetAlerts } from '../alerts/end-users';
import { silentLogger } from '../observe/logger';
import { AfterResponse } from '../pipeline/after-response';
import type { TableRef } from '../store/dynamo';
import { MemorySpendStore } from '../store/spend';
import type { LimitScope } from './caller';
import { SpendLimiter } from './spend-limiter';

const N = 20_000;
const ROUNDS = 9;
const OWNER = { kind: 'key' as const, id: 'key_1', name: 'app' };
// Budgets large enough that no call of the run crosses a threshold.
const keyScope: LimitScope = { id: 'key_1', name: 'this API key', limits: { usdPerDay: 1e6, usdPerMonth: 1e6 } };
const endUserScope: LimitScope = { id: 'key_1@alice', name: 'end user "alice" of this API key', limits: { usdPerDay: 1e6, usdPerMonth: 1e6 }, endUser: { owner: OWNER, id: 'alice' } };

function limiter(alertsOn: boolean): { budget: SpendLimiter; later: AfterResponse } {
  const later = new AfterResponse();
  // Never reached: a call that crosses nothing touches no table.
  const table = {} as TableRef;
  const alerts = new EndUserBudgetAlerts({ table, notifier: { notify: async () => {} }, thresholds: [0.8, 1], logger: silentLogger });
  return { later, budget: new SpendLimiter(new MemorySpendStore(), { now: Date.now, logger: silentLogger, later, ...(alertsOn ? { endUserAlerts: alerts } : {}) }) };
}

async function nsPerCall(scopes: readonly LimitScope[], alertsOn: boolean): Promise<number> {
  const { budget, later } = limiter(alertsOn);
  const one = async (i: number) => {
    budget.settle(await budget.reserve(scopes, 5_000, `r${i}`), 2_000, `r${i}`);
    await later.drain();
  };
  for (let i = 0; i < N; i++) await one(i);
  const times: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < N; i++) await one(i);
    times.push(Number(process.hrtime.bigint() - start) / N);
  }
  return times.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)]!;
}

async function main(): Promise<void> {
  for (const [name, scopes] of [
    ["key's budgets", [keyScope]],
    ["key's and an end user's budgets", [keyScope, endUserScope]],
  ] as const) {
    const off = await nsPerCall(scopes, false);
    const on = await nsPerCall(scopes, true);
    console.log(`${name.padEnd(34)} alerts off ${(off / 1000).toFixed(2)} µs/call, on ${(on / 1000).toFixed(2)} µs/call`);
  }
}

void main();
