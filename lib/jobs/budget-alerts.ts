import type { KeyLimits } from '../access/api-key';
import { budgetCounters, budgetStatuses, counterId, type BudgetStatus } from '../access/budget-status';
import { hasSpendLimits } from '../access/spend-limits';
import type { BudgetAlert, BudgetOwner } from '../alerts/message';
import type { BudgetNotifier } from '../alerts/notifier';
import { unannouncedThresholds } from '../alerts/thresholds';
import type { GatewayLogger } from '../observe/logger';
import { claimThreshold, keepPendingAlert, listPendingAlerts, releaseThreshold, takePendingAlert, type PendingAlert } from '../store/alert-marks';
import { readBudgetsAndMarks } from '../store/budget-reads';
import type { TableRef } from '../store/dynamo';
import type { KeyStore } from '../store/keys';
import type { TeamStore } from '../store/teams';

export interface BudgetAlertDeps {
  table: TableRef;
  keys: KeyStore;
  teams: TeamStore;
  notifier: BudgetNotifier;
  /** Fractions of a budget to announce (`alerts.budgetThresholds`). */
  thresholds: readonly number[];
  now: () => Date;
  logger?: Pick<GatewayLogger, 'error'>;
}

/** What one run did: budgets looked at, alerts sent, alerts that could not be sent (tried again next run). */
export interface BudgetAlertRun {
  budgets: number;
  sent: number;
  failed: number;
}

interface Watched {
  owner: BudgetOwner;
  limits: KeyLimits | undefined;
}

/**
 * Announces every budget threshold reached and not yet announced this period, once: reads the
 * keys and teams, then the spend counters and alert marks of those with budgets (one
 * BatchGetItem per 50 budgets, none without budgets), and for a budget with a threshold newly
 * reached claims it by one conditional update before notifying. A notification that fails gives
 * its claim back, so the next run tries again; a claim lost to another run means it was announced.
 * Then it sends the alerts the gateway claimed and could not send (end users' budgets, which it
 * cannot list), from one index partition.
 */
export async function runBudgetAlerts(deps: BudgetAlertDeps): Promise<BudgetAlertRun> {
  const nowMs = deps.now().getTime();
  const [keys, teams] = await Promise.all([deps.keys.list(), deps.teams.list()]);
  const all: Watched[] = [
    // Revoked and expired keys spend nothing more; their budgets need no watching.
    ...keys.filter((k) => k.status === 'active' && !(k.expiresAt && Date.parse(k.expiresAt) <= nowMs)).map((k) => ({ owner: { kind: 'key' as const, id: k.id, name: k.name }, limits: k.limits })),
    ...teams.map((t) => ({ owner: { kind: 'team' as const, id: t.id, name: t.name }, limits: t.limits })),
  ];
  const watched = all.filter((w) => hasSpendLimits(w.limits));

  const readings = await readBudgetsAndMarks(deps.table, watched.flatMap((w) => budgetCounters(w.owner.id, w.limits, nowMs)));
  const run: BudgetAlertRun = { budgets: 0, sent: 0, failed: 0 };
  for (const { owner, limits } of watched) {
    for (const budget of budgetStatuses(owner.id, limits, nowMs, readings.used)) {
      run.budgets++;
      const announced = readings.announced.get(counterId({ scopeId: owner.id, periodId: budget.periodId }));
      const [highest] = unannouncedThresholds(budget.usedMicros, budget.limitMicros, deps.thresholds, announced);
      if (highest === undefined) continue;
      const outcome = await announce(deps, owner, budget, highest, announced);
      if (outcome !== 'taken') run[outcome]++;
    }
  }
  for (const pending of await listPendingAlerts(deps.table)) {
    const outcome = await sendPending(deps, pending);
    if (outcome !== 'taken') run[outcome]++;
  }
  return run;
}

/**
 * Sends an alert the gateway claimed but could not send (an end user's: `lib/alerts/end-users.ts`),
 * as the gateway wrote it. Taken out first, so that of runs at once one sends; kept again if the
 * send fails, for the next run.
 */
async function sendPending(deps: BudgetAlertDeps, pending: PendingAlert): Promise<'sent' | 'failed' | 'taken'> {
  if (!(await takePendingAlert(deps.table, pending))) return 'taken';
  const alert = JSON.parse(pending.alert) as BudgetAlert;
  try {
    await deps.notifier.notify(alert);
    return 'sent';
  } catch (err) {
    deps.logger?.error('budget alert kept by the gateway could not be sent; the next run tries again', { scope: pending.ref.scopeId, periodId: pending.ref.periodId, threshold: alert.threshold, error: err as Error });
    // The store failing too loses this one alert; the others of the run still go, and the line
    // below says what was lost (the run counts it failed, so the function's error alarm sees it).
    await keepPendingAlert(deps.table, pending.ref, alert.threshold, pending.alert).catch((keepErr: unknown) =>
      deps.logger?.error('budget alert kept by the gateway is lost: it could not be sent nor kept again', { alert, error: keepErr as Error }),
    );
    return 'failed';
  }
}

/** Claims the threshold, then notifies; the claim covers lower thresholds, which one message at the highest makes moot. */
async function announce(deps: BudgetAlertDeps, owner: BudgetOwner, budget: BudgetStatus, threshold: number, announced: number | undefined): Promise<'sent' | 'failed' | 'taken'> {
  const ref = { scopeId: owner.id, periodId: budget.periodId };
  if (!(await claimThreshold(deps.table, ref, threshold, new Date(budget.resetsAt)))) return 'taken';
  try {
    await deps.notifier.notify({ owner, budget, threshold });
    return 'sent';
  } catch (err) {
    deps.logger?.error('budget alert could not be sent; the next run tries again', { owner, periodId: budget.periodId, threshold, error: err as Error });
    await releaseThreshold(deps.table, ref, threshold, announced);
    return 'failed';
  }
}
