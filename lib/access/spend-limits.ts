import { GatewayError } from '../http/errors';
import { usd, type Micros } from '../usage/cost';

/** A key's (or a team's) spend limits in USD per UTC day and calendar month (UTC); an absent one does not apply. */
export interface SpendLimits {
  usdPerDay?: number;
  usdPerMonth?: number;
}

/** One budget a call must fit in: its counter's id (`2026-11-26`, `2026-11`), its end and its limit. */
export interface SpendPeriod {
  kind: 'day' | 'month';
  id: string;
  /** Epoch ms at which the period ends and its budget starts afresh. */
  endsAt: number;
  limit: Micros;
}

export function hasSpendLimits(limits: SpendLimits | undefined): limits is SpendLimits {
  return limits?.usdPerDay !== undefined || limits?.usdPerMonth !== undefined;
}

export const toMicros = (dollars: number): Micros => Math.round(dollars * 1e6);

/** The periods whose budgets apply at a moment, day first. */
export function spendPeriods(limits: SpendLimits, nowMs: number): SpendPeriod[] {
  const now = new Date(nowMs);
  const periods: SpendPeriod[] = [];
  if (limits.usdPerDay !== undefined) {
    periods.push({ kind: 'day', id: now.toISOString().slice(0, 10), endsAt: Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1), limit: toMicros(limits.usdPerDay) });
  }
  if (limits.usdPerMonth !== undefined) {
    periods.push({ kind: 'month', id: now.toISOString().slice(0, 7), endsAt: Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1), limit: toMicros(limits.usdPerMonth) });
  }
  return periods;
}

/**
 * The refusal of a call that does not fit in a budget. A 429 like OpenAI's `insufficient_quota`,
 * with `x-should-retry: false`: the official clients would otherwise retry it, and waiting
 * seconds does not bring a budget back.
 */
export function overBudget(period: SpendPeriod, used: Micros | undefined, reserve: Micros, who = 'this API key'): GatewayError {
  const per = period.kind === 'day' ? 'a day (UTC)' : 'a month (UTC)';
  const spent = used === undefined ? '' : ` ${usd(used)} of it is spent or held by calls in progress, and`;
  return new GatewayError(
    'rate_limit',
    `Spend limit reached: ${who} may spend ${usd(period.limit)} ${per};${spent} this call could cost up to ${usd(reserve)}. The limit starts afresh at ${new Date(period.endsAt).toISOString()}.`,
    { code: 'insufficient_quota', headers: { 'x-should-retry': 'false' } },
  );
}

/** A key with a budget (its own or its team's) asked for a model the config gives no price: its cost could not be counted. */
export function unpriced(model: string): GatewayError {
  return new GatewayError('permission', `The model \`${model}\` has no price in the gateway's config, so keys with a spend limit (their own or their team's) may not use it.`, {
    code: 'model_not_priced',
    param: 'model',
  });
}

/** The budget's counters could not be reached: a budget is a promise about money, so the call is refused. */
export function spendUnchecked(cause: unknown): GatewayError {
  return new GatewayError('overloaded', 'The spend limit of this API key (or its team) could not be checked just now; try again shortly.', {
    code: 'spend_limit_unavailable',
    headers: { 'retry-after': '1' },
    cause,
  });
}
