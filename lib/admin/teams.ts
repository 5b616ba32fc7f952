import { z } from 'zod';
import { newTeam, type TeamRecord } from '../access/team';
import { json, parseJsonObject, readBody } from '../http/body';
import { GatewayError } from '../http/errors';
import type { GatewayRequest, GatewayResponse } from '../http/types';
import { zodToGatewayError } from '../http/validation';
import type { KeyStore } from '../store/keys';
import type { TeamChanges, TeamStore } from '../store/teams';
import type { SpendReader } from '../store/budget-reads';
import { oneWithSpend, withSpend } from './spend-status';
import { ADMIN_BODY_LIMIT, AuditFlag, GuardrailsChoice, LimitsPatch, Models, Name, NewLimits, ParamPolicyName, definedLimits, found, methodNotAllowed, mustBeKnown, noRoute, type PolicyNames } from './shared';

const CreateTeamBody = z.strictObject({ name: Name, models: Models.optional(), limits: NewLimits.optional(), endUserLimits: NewLimits.optional(), audit: AuditFlag.optional(), guardrails: GuardrailsChoice.optional(), params: ParamPolicyName.optional() });

/** A merge patch (RFC 7396), as for keys: models or a limit set to null is removed. */
const UpdateTeamBody = z.strictObject({ name: Name.optional(), models: Models.nullable().optional(), limits: LimitsPatch.optional(), endUserLimits: LimitsPatch.optional(), audit: AuditFlag.optional(), guardrails: GuardrailsChoice.optional(), params: ParamPolicyName.nullable().optional() });

/**
 * The team routes of the admin API:
 *   POST   /admin/teams       {name, models?, limits?, endUserLimits?, audit?, guardrails?, params?} → 201 team
 *                             (endUserLimits: the same four limits, for each end user of the team's keys, across them all)
 *   GET    /admin/teams       → {data: [team…]}
 *   GET    /admin/teams/{id}  → team
 *                             (with spend, for a team with budgets, as for keys)
 *   PATCH  /admin/teams/{id}  {name?, models?, limits?, endUserLimits?, audit?, guardrails?, params?} → team (a merge patch: null removes models or a limit; audit false removes the flag; guardrails "on" the team's choice; params null its policy;
 *                             a rule set or policy the config does not have is a 400)
 *   DELETE /admin/teams/{id}  → team; 409 while active keys belong to it
 */
export async function teamsRoute(req: GatewayRequest, rest: readonly string[], deps: { teams: TeamStore; keys: KeyStore; now: () => Date; spend?: SpendReader; names?: PolicyNames }): Promise<GatewayResponse> {
  if (rest.length === 0) {
    if (req.method === 'GET') return json(200, { data: await withSpend(await deps.teams.list(), deps.spend, deps.now().getTime()) });
    if (req.method === 'POST') {
      const parsed = CreateTeamBody.safeParse(parseJsonObject(await readBody(req, ADMIN_BODY_LIMIT)));
      if (!parsed.success) throw zodToGatewayError(parsed.error);
      const { name, models, limits, endUserLimits, audit, guardrails, params } = parsed.data;
      mustBeKnown(deps.names, { guardrails, params });
      const team = newTeam({ name, ...(models ? { models } : {}), ...(limits ? { limits: definedLimits(limits) } : {}), ...(endUserLimits ? { endUserLimits: definedLimits(endUserLimits) } : {}), ...(audit ? { audit } : {}), ...(guardrails ? { guardrails } : {}), ...(params ? { params } : {}) }, deps.now());
      await deps.teams.put(team);
      return json(201, team);
    }
    throw methodNotAllowed('GET, POST');
  }
  if (rest.length !== 1) throw noRoute(req.path);
  const id = decodeURIComponent(rest[0]!);
  if (req.method === 'GET') return json(200, await oneWithSpend(await found(deps.teams.get(id), id, 'team'), deps.spend, deps.now().getTime()));
  if (req.method === 'PATCH') {
    const parsed = UpdateTeamBody.safeParse(parseJsonObject(await readBody(req, ADMIN_BODY_LIMIT)));
    if (!parsed.success) throw zodToGatewayError(parsed.error);
    mustBeKnown(deps.names, parsed.data);
    const current = await found(deps.teams.get(id), id, 'team');
    return json(200, await found(deps.teams.update(id, teamChanges(current, parsed.data)), id, 'team'));
  }
  if (req.method === 'DELETE') {
    const team = await found(deps.teams.get(id), id, 'team');
    await mustHaveNoActiveKeys(team, deps.keys);
    await deps.teams.delete(id);
    return json(200, team);
  }
  throw methodNotAllowed('GET, PATCH, DELETE');
}

/**
 * A team with active keys is not deleted: those keys would be refused (their team gone) or, worse,
 * freed of its limits. Revoked keys may keep the id; they cannot be used. A key given the team
 * while this runs can slip past the count: its calls are then refused until it is moved.
 */
async function mustHaveNoActiveKeys(team: TeamRecord, keys: KeyStore): Promise<void> {
  const active = (await keys.list()).filter((k) => k.teamId === team.id && k.status === 'active').length;
  if (active === 0) return;
  throw new GatewayError('invalid_request', `Team "${team.name}" still has ${active} active key${active === 1 ? '' : 's'}: move ${active === 1 ? 'it' : 'them'} to another team (or none), or revoke ${active === 1 ? 'it' : 'them'}, first.`, {
    status: 409,
    code: 'team_has_keys',
  });
}

/** A team's changes from a merge patch: limits merged with the current ones, null removing one. */
export function teamChanges(current: TeamRecord, patch: z.infer<typeof UpdateTeamBody>): TeamChanges {
  const changes: TeamChanges = {};
  if (patch.name !== undefined) changes.name = patch.name;
  if (patch.models !== undefined) changes.models = patch.models;
  if (patch.limits !== undefined) changes.limits = definedLimits({ ...current.limits, ...patch.limits });
  if (patch.endUserLimits !== undefined) changes.endUserLimits = definedLimits({ ...current.endUserLimits, ...patch.endUserLimits });
  if (patch.audit !== undefined) changes.audit = patch.audit;
  if (patch.guardrails !== undefined) changes.guardrails = patch.guardrails;
  if (patch.params !== undefined) changes.params = patch.params;
  return changes;
}
