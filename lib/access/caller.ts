import type { ApiKeyRecord, KeyLimits } from './api-key';
import type { EndUserRule } from './end-user';
import { modelAllowed } from './model-patterns';
import { hasRateLimits } from './rate-limits';
import { hasSpendLimits } from './spend-limits';
import type { TeamRecord } from './team';
import type { BudgetOwner } from '../alerts/message';

/** One set of limits with counters of its own: a key's or its team's. */
export interface LimitScope {
  /** The counters' id: the key's id (`key_…`) or the team's (`team_…`). */
  id: string;
  /** How a refusal names it: `this API key`, `team "platform"`. */
  name: string;
  limits: KeyLimits;
  /** On an end user's scope only: whose `endUserLimits` these are and the end user as sent (undefined: none named), for its budget alerts. */
  endUser?: { owner: BudgetOwner; id: string | undefined };
}

/**
 * A key as the request path holds it: its record, its team, and the scopes whose limits it must
 * pass, worked out once when the key is read (not per request). A key without limits and
 * without a team's has neither list, so the request path tests two properties and moves on.
 */
export interface Caller {
  key: ApiKeyRecord;
  team?: TeamRecord;
  /** The key names a team that is not there (deleted, or not yet readable): its calls are refused rather than let past the team's limits. */
  teamMissing?: true;
  /** Scopes with per-minute limits, the key's first. */
  rate?: readonly LimitScope[];
  /** Scopes with budgets, the key's first. */
  spend?: readonly LimitScope[];
  /** Limits each end user of the key (then of its team) is held to, with counters of its own (`lib/access/end-user.ts`); absent when neither has any. */
  endUsers?: readonly EndUserRule[];
  /** The key refuses calls that name no end user (rather than count them in one anonymous bucket). */
  endUserRequired?: true;
}

export const KEY_SCOPE_NAME = 'this API key';
export const teamScopeName = (team: Pick<TeamRecord, 'name'>) => `team "${team.name}"`;

/**
 * The caller a key (and the team it names, as read) makes.
 *
 * @example
 * callerOf(key, { id: 'team_1', name: 'platform', limits: { requestsPerMinute: 50 }, createdAt })
 * // { key, team, rate: [{ id: 'team_1', name: 'team "platform"', limits: { requestsPerMinute: 50 } }] }
 */
export function callerOf(key: ApiKeyRecord, team: TeamRecord | undefined): Caller {
  const caller: Caller = { key };
  if (key.teamId && !team) caller.teamMissing = true;
  if (team) caller.team = team;
  const scopes: LimitScope[] = [];
  if (key.limits) scopes.push({ id: key.id, name: KEY_SCOPE_NAME, limits: key.limits });
  if (team?.limits) scopes.push({ id: team.id, name: teamScopeName(team), limits: team.limits });
  const rate = scopes.filter((s) => hasRateLimits(s.limits));
  const spend = scopes.filter((s) => hasSpendLimits(s.limits));
  if (rate.length) caller.rate = rate;
  if (spend.length) caller.spend = spend;
  const endUsers: EndUserRule[] = [];
  if (key.endUserLimits) endUsers.push({ ownerId: key.id, ownerName: KEY_SCOPE_NAME, limits: key.endUserLimits });
  if (team?.endUserLimits) endUsers.push({ ownerId: team.id, ownerName: teamScopeName(team), limits: team.endUserLimits });
  if (endUsers.length) caller.endUsers = endUsers;
  if (key.endUserRequired) caller.endUserRequired = true;
  return caller;
}

/**
 * Which rule refuses a model (asked for as `model`, which may be an alias of `name`): the key's
 * patterns, then its team's; undefined when both allow it. A team without patterns allows all.
 */
export function modelRefusedBy(caller: Caller, model: string, name: string): 'key' | 'team' | undefined {
  if (!modelAllowed(caller.key.models, model) && !modelAllowed(caller.key.models, name)) return 'key';
  const teamModels = caller.team?.models;
  if (teamModels && !modelAllowed(teamModels, model) && !modelAllowed(teamModels, name)) return 'team';
  return undefined;
}

/** A choice a key makes for itself or inherits from its team, and which of the two made it. */
export interface Chosen {
  name: string;
  from: 'key' | 'team';
}

/**
 * The guardrails a caller's calls get: the key's own choice, else its team's (`off`, or a rule
 * set's name); undefined for the gateway's own rules. Two property reads, on the cached caller.
 *
 * @example
 * guardrailsOf({ key: { …, guardrails: 'off' }, team: { …, guardrails: 'strict' } }) // { name: 'off', from: 'key' }
 * guardrailsOf({ key, team: { …, guardrails: 'strict' } }) // { name: 'strict', from: 'team' }
 */
export function guardrailsOf(caller: Pick<Caller, 'key' | 'team'>): Chosen | undefined {
  if (caller.key.guardrails !== undefined) return { name: caller.key.guardrails, from: 'key' };
  return caller.team?.guardrails !== undefined ? { name: caller.team.guardrails, from: 'team' } : undefined;
}

/**
 * The named request parameter policy (`paramPolicies`) a caller's calls get on top of the model's:
 * the key's own, else its team's; undefined for none.
 *
 * @example
 * paramPolicyOf({ key: { …, params: 'ci' }, team: { …, params: 'contractors' } }) // { name: 'ci', from: 'key' }
 */
export function paramPolicyOf(caller: Pick<Caller, 'key' | 'team'>): Chosen | undefined {
  if (caller.key.params !== undefined) return { name: caller.key.params, from: 'key' };
  return caller.team?.params !== undefined ? { name: caller.team.params, from: 'team' } : undefined;
}
