import { timingSafeEqual, createHash } from 'node:crypto';
import { z } from 'zod';
import { MAX_GRACE_SECONDS, keyInfo, mintKey, mintRotation, type ApiKeyRecord } from '../access/api-key';
import { MAX_ALLOWED_IPS, readIpRule } from '../access/ip-allowlist';
import { GatewayError, asGatewayError } from '../http/errors';
import { json, parseJsonObject, readBody } from '../http/body';
import { openAIErrorResponse } from '../http/openai-error';
import type { GatewayRequest, GatewayResponse } from '../http/types';
import type { KeyChanges, KeyStore } from '../store/keys';
import { recentDays, type UsageReports } from '../jobs/rollup';
import { MAX_END_USER_LENGTH } from '../access/end-user';
import { splitRows } from '../usage/rollup';
import { zodToGatewayError } from '../http/validation';
import type { TeamStore } from '../store/teams';
import { ADMIN_BODY_LIMIT, AuditFlag, EndUserRequired, GuardrailsChoice, LimitsPatch, Models, Name, NewLimits, ParamPolicyName, TeamId, definedLimits, found, methodNotAllowed, mustBeKnown, noRoute, type PolicyNames } from './shared';
import { teamsRoute } from './teams';
import { oneWithSpend, withSpend } from './spend-status';
import type { SpendReader } from '../store/budget-reads';

export interface AdminApiDeps {
  keys: KeyStore;
  /** Teams; without them the team routes answer 404 and keys cannot be given a team. */
  teams?: TeamStore;
  now?: () => Date;
  /**
   * The bearer token every admin request must carry. Absent only where something in front
   * already authenticates callers (on AWS, the function URL's IAM auth).
   */
  token?: string;
  /** Usage roll-ups; without them the usage routes answer 404. */
  reports?: UsageReports;
  /** Spend counters, for where keys' and teams' budgets stand (`spend`); without it, keys and teams show none. */
  spend?: SpendReader;
  /** The config's rule sets and parameter policies, which keys and teams may name; without them, any well-formed name is taken (the request path refuses an unknown one). */
  names?: PolicyNames;
}

/** An address or CIDR range a key may be used from, checked as the gateway will read it. */
const AllowedIp = z
  .string()
  .trim()
  .superRefine((text, ctx) => {
    const read = readIpRule(text);
    if ('problem' in read) ctx.addIssue({ code: 'custom', message: read.problem });
  });
/**
 * At least one entry: an empty list would be a key usable from nowhere, which is what revoking
 * is for, and is easily mistaken for "no list"; null removes the list.
 */
const AllowedIps = z
  .array(AllowedIp)
  .min(1, { message: 'list at least one address or range (null removes the list)' })
  .max(MAX_ALLOWED_IPS, { message: `a key's list has at most ${MAX_ALLOWED_IPS} entries` });

const CreateKeyBody = z.strictObject({
  name: Name,
  models: Models.default(['*']),
  limits: NewLimits.optional(),
  endUserLimits: NewLimits.optional(),
  endUserRequired: EndUserRequired.optional(),
  allowedIps: AllowedIps.optional(),
  teamId: TeamId.optional(),
  audit: AuditFlag.optional(),
  guardrails: GuardrailsChoice.optional(),
  params: ParamPolicyName.optional(),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});

/** A merge patch (RFC 7396): fields given replace the key's; a limit, the address list or the team set to null is removed. */
const UpdateKeyBody = z.strictObject({
  name: Name.optional(),
  models: Models.optional(),
  limits: LimitsPatch.optional(),
  endUserLimits: LimitsPatch.optional(),
  endUserRequired: EndUserRequired.optional(),
  allowedIps: AllowedIps.nullable().optional(),
  teamId: TeamId.nullable().optional(),
  audit: AuditFlag.optional(),
  guardrails: GuardrailsChoice.optional(),
  params: ParamPolicyName.nullable().optional(),
});

/** An hour: long enough for a client to be given the new secret, short enough that a leaked one soon stops working. */
export const DEFAULT_GRACE_SECONDS = 3600;
const RotateKeyBody = z.strictObject({ graceSeconds: z.number().int().min(0).max(MAX_GRACE_SECONDS).default(DEFAULT_GRACE_SECONDS) });

const Day = z.iso.date();
/** A report spans at most this many days (a roll-up per key and day is read for each). */
const MAX_REPORT_DAYS = 400;
const UsageQuery = z
  .strictObject({ from: Day.optional(), to: Day.optional(), key: z.string().min(1).optional(), team: z.string().min(1).optional() })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: 'from must not be after to', path: ['from'] });
/** The report by end user reads every usage record of its range (one Query per key and day): a month at most. */
export const MAX_END_USER_REPORT_DAYS = 31;
const EndUserQuery = z
  .strictObject({ from: Day.optional(), to: Day.optional(), key: z.string().min(1).optional(), team: z.string().min(1).optional(), endUser: z.string().min(1).max(MAX_END_USER_LENGTH).optional() })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: 'from must not be after to', path: ['from'] });
const RollupBody = z.strictObject({ days: z.array(Day).min(1).max(MAX_REPORT_DAYS).optional() });

function sameToken(given: string, expected: string): boolean {
  // Hash both so the comparison is constant-time whatever the lengths.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * The admin API: key and team management.
 *   POST /admin/keys             {name, models?, limits?: {requestsPerMinute?, tokensPerMinute?, usdPerDay?, usdPerMonth?}, allowedIps?, teamId?, audit?, guardrails?: "on"|"off"|<set>, params?: <policy>, expiresAt?} → 201 {id, key, name, prefix, models, status, createdAt, …}
 *                                (allowedIps: 1–100 IPv4/IPv6 addresses or CIDR ranges; without it, from anywhere;
 *                                endUserLimits: the same four limits, for each end user of the key (lib/access/end-user.ts);
 *                                endUserRequired: refuse calls that name no end user rather than count them as one anonymous end user)
 *   GET  /admin/keys             → {data: [key info…]}
 *   GET  /admin/keys/{id}        → key info
 *                                (with spend: [{kind, periodId, limitMicros, usedMicros, fraction, resetsAt}] for each budget the key has,
 *                                read in one BatchGetItem per 100 counters; keys without budgets have no spend and cost no read)
 *   PATCH /admin/keys/{id}       {name?, models?, limits?, endUserLimits?, endUserRequired?, allowedIps?, teamId?, audit?, guardrails?, params?} → key info
 *                                (a merge patch: a limit set to null is removed; allowedIps replaces the list, null removes it;
 *                                teamId must name a team that exists (400 otherwise), null takes the key out of its team;
 *                                audit true flags its calls for the audit log in `flagged` mode, false removes the flag;
 *                                guardrails "off", a set of guardrails.sets, or "on" (the team's or the gateway's rules);
 *                                params a policy of paramPolicies, null none of its own; an unknown name is a 400)
 *   POST /admin/keys/{id}/revoke → key info (also DELETE /admin/keys/{id}); the old secret of a rotated key too
 *   POST /admin/keys/{id}/rotate {graceSeconds?} → {…key info, key} (a new secret for the same key, shown once; the old one
 *                                works until rotatedAt + graceSeconds (default 3600, 0: refused at once), shown as previousExpiresAt;
 *                                409 for a revoked key, or one changed by another rotation meanwhile)
 *   /admin/teams…                see lib/admin/teams.ts
 *   GET  /admin/usage?from=YYYY-MM-DD&to=YYYY-MM-DD&key=ID&team=ID → {from, to, data: [{day, keyId, keyName, teamId, teamName, model, requests, …, costMicros}]}
 *                                (from the roll-ups; default: this month so far, UTC)
 *   GET  /admin/usage/end-users?from&to&key=ID&team=ID&endUser=X → {from, to, data: [{…the same rows, endUser}]}
 *                                (from the usage records themselves, per key, day, team, end user (null for none) and model;
 *                                at most 31 days; default: this month so far, UTC)
 *   POST /admin/usage/rollup     {days?} → sums those days' usage again (default yesterday and today)
 * Errors have OpenAI's error shape.
 */
export function createAdminApi(deps: AdminApiDeps) {
  const now = deps.now ?? (() => new Date());

  async function route(req: GatewayRequest): Promise<GatewayResponse> {
    if (deps.token !== undefined) {
      const auth = req.headers['authorization'] ?? '';
      const given = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
      if (!given || !sameToken(given, deps.token)) {
        throw new GatewayError('authentication', 'Admin requests need "Authorization: Bearer <admin token>".', { code: 'invalid_admin_token' });
      }
    }
    const parts = req.path.replace(/\/+$/, '').split('/').slice(1); // ['admin', 'keys', id?, action?]
    if (parts[0] !== 'admin') throw noRoute(req.path);
    if (parts[1] === 'health' && parts.length === 2) return json(200, { ok: true });
    if (parts[1] === 'usage') return usageRoute(req, parts.slice(2));
    if (parts[1] === 'teams' && deps.teams) return teamsRoute(req, parts.slice(2), { teams: deps.teams, keys: deps.keys, now, ...(deps.spend ? { spend: deps.spend } : {}), ...(deps.names ? { names: deps.names } : {}) });
    if (parts[1] !== 'keys') throw noRoute(req.path);

    if (parts.length === 2) {
      if (req.method === 'GET') return json(200, { data: await withSpend((await deps.keys.list()).map(keyInfo), deps.spend, now().getTime()) });
      if (req.method === 'POST') {
        const parsed = CreateKeyBody.safeParse(parseJsonObject(await readBody(req, ADMIN_BODY_LIMIT)));
        if (!parsed.success) throw zodToGatewayError(parsed.error);
        const { name, models, limits, endUserLimits, endUserRequired, allowedIps, teamId, audit, guardrails, params, expiresAt } = parsed.data;
        mustBeKnown(deps.names, { guardrails, params });
        if (teamId !== undefined) await teamMustExist(teamId);
        const { key, record } = mintKey(
          {
            name,
            models,
            ...(limits ? { limits: definedLimits(limits) } : {}),
            ...(endUserLimits ? { endUserLimits: definedLimits(endUserLimits) } : {}),
            ...(endUserRequired ? { endUserRequired } : {}),
            ...(allowedIps ? { allowedIps } : {}),
            ...(teamId !== undefined ? { teamId } : {}),
            ...(audit ? { audit } : {}),
            ...(guardrails ? { guardrails } : {}),
            ...(params ? { params } : {}),
            ...(expiresAt ? { expiresAt: new Date(expiresAt).toISOString() } : {}),
          },
          now(),
        );
        await deps.keys.put(record);
        return json(201, { ...keyInfo(record), key });
      }
      throw methodNotAllowed('GET, POST');
    }
    const id = decodeURIComponent(parts[2]!);
    if (parts.length === 3) {
      if (req.method === 'GET') return json(200, await oneWithSpend(keyInfo(await found(deps.keys.getById(id), id)), deps.spend, now().getTime()));
      if (req.method === 'DELETE') return json(200, keyInfo(await found(deps.keys.revoke(id, now()), id)));
      if (req.method === 'PATCH') {
        const parsed = UpdateKeyBody.safeParse(parseJsonObject(await readBody(req, ADMIN_BODY_LIMIT)));
        if (!parsed.success) throw zodToGatewayError(parsed.error);
        mustBeKnown(deps.names, parsed.data);
        const current = await found(deps.keys.getById(id), id);
        if (parsed.data.teamId) await teamMustExist(parsed.data.teamId);
        return json(200, keyInfo(await found(deps.keys.update(id, changesFor(current, parsed.data)), id)));
      }
      throw methodNotAllowed('GET, PATCH, DELETE');
    }
    if (parts.length === 4 && parts[3] === 'revoke') {
      if (req.method !== 'POST') throw methodNotAllowed('POST');
      return json(200, keyInfo(await found(deps.keys.revoke(id, now()), id)));
    }
    if (parts.length === 4 && parts[3] === 'rotate') {
      if (req.method !== 'POST') throw methodNotAllowed('POST');
      const raw = await readBody(req, ADMIN_BODY_LIMIT);
      const parsed = RotateKeyBody.safeParse(raw.length ? parseJsonObject(raw) : {});
      if (!parsed.success) throw zodToGatewayError(parsed.error);
      const current = await found(deps.keys.getById(id), id);
      if (current.status !== 'active') throw rotateConflict(`Key "${id}" is revoked: a revoked key is not given a new secret.`);
      const { key, rotation } = mintRotation(parsed.data.graceSeconds * 1000, now());
      const record = await deps.keys.rotate(current, rotation);
      if (!record) throw rotateConflict(`Key "${id}" was revoked or rotated meanwhile; read it again and retry.`);
      return json(200, { ...keyInfo(record), key });
    }
    throw noRoute(req.path);
  }

  /** A key may name only a team that exists: a 400, since the mistake is in the request's body. */
  async function teamMustExist(teamId: string): Promise<void> {
    if (deps.teams && (await deps.teams.get(teamId))) return;
    throw new GatewayError('invalid_request', `No team with id "${teamId}".`, { param: 'teamId', code: 'team_not_found' });
  }

  async function usageRoute(req: GatewayRequest, rest: string[]): Promise<GatewayResponse> {
    const reports = deps.reports;
    if (!reports) throw noRoute(req.path);
    if (rest.length === 0) {
      if (req.method !== 'GET') throw methodNotAllowed('GET');
      const parsed = UsageQuery.safeParse(Object.fromEntries(req.query.entries()));
      if (!parsed.success) throw zodToGatewayError(parsed.error);
      const today = now().toISOString().slice(0, 10);
      const to = parsed.data.to ?? today;
      const from = parsed.data.from ?? `${to.slice(0, 7)}-01`;
      if (Date.parse(to) - Date.parse(from) >= MAX_REPORT_DAYS * 86_400_000) {
        throw new GatewayError('invalid_request', `A report spans at most ${MAX_REPORT_DAYS} days.`, { param: 'from', code: 'invalid_value' });
      }
      const { key, team } = parsed.data;
      const [rollups, keys, teams] = await Promise.all([reports.list(from, to), deps.keys.list(), deps.teams?.list() ?? []]);
      const names = new Map(keys.map((k) => [k.id, k.name]));
      const teamNames = new Map(teams.map((t) => [t.id, t.name]));
      const data = rollups
        .filter((r) => !key || r.keyId === key)
        .flatMap((r) =>
          splitRows(r)
            .filter((row) => !team || row.teamId === team)
            .map(({ teamId, model, totals }) => ({ day: r.day, keyId: r.keyId, keyName: names.get(r.keyId) ?? null, teamId, teamName: teamId === null ? null : (teamNames.get(teamId) ?? null), model, ...totals, rolledUpAt: r.rolledUpAt })),
        );
      return json(200, { from, to, data });
    }
    if (rest.length === 1 && rest[0] === 'end-users') {
      if (req.method !== 'GET') throw methodNotAllowed('GET');
      return json(200, await endUserReport(reports, req.query));
    }
    if (rest.length === 1 && rest[0] === 'rollup') {
      if (req.method !== 'POST') throw methodNotAllowed('POST');
      const raw = await readBody(req, ADMIN_BODY_LIMIT);
      const parsed = RollupBody.safeParse(raw.length ? parseJsonObject(raw) : {});
      if (!parsed.success) throw zodToGatewayError(parsed.error);
      const days = parsed.data.days ?? recentDays(now());
      return json(200, { days, ...(await reports.rollUp(days)) });
    }
    throw noRoute(req.path);
  }

  /** Usage per end user, summed from the records of the keys asked for (all, or one) over the days asked for. */
  async function endUserReport(reports: UsageReports, query: GatewayRequest['query']) {
    const parsed = EndUserQuery.safeParse(Object.fromEntries(query.entries()));
    if (!parsed.success) throw zodToGatewayError(parsed.error);
    const at = now();
    const to = parsed.data.to ?? at.toISOString().slice(0, 10);
    const from = parsed.data.from ?? `${to.slice(0, 7)}-01`;
    const days = daysFrom(from, to);
    if (days.length > MAX_END_USER_REPORT_DAYS) {
      throw new GatewayError('invalid_request', `A report by end user reads every usage record of its range, so it spans at most ${MAX_END_USER_REPORT_DAYS} days.`, { param: 'from', code: 'invalid_value' });
    }
    const { key, team, endUser } = parsed.data;
    const [keys, teams] = await Promise.all([deps.keys.list(), deps.teams?.list() ?? []]);
    const names = new Map(keys.map((k) => [k.id, k.name]));
    const teamNames = new Map(teams.map((t) => [t.id, t.name]));
    const rows = await reports.endUsers(key ? [key] : [...names.keys()], days);
    const rolledUpAt = at.toISOString();
    const data = rows
      .filter((r) => (!team || r.teamId === team) && (!endUser || r.endUser === endUser))
      .map(({ day, keyId, teamId, endUser: who, model, totals }) => ({ day, keyId, keyName: names.get(keyId) ?? null, teamId, teamName: teamId === null ? null : (teamNames.get(teamId) ?? null), endUser: who, model, ...totals, rolledUpAt }));
    return { from, to, data };
  }

  return {
    async handle(req: GatewayRequest): Promise<GatewayResponse> {
      try {
        return await route(req);
      } catch (err) {
        return openAIErrorResponse(asGatewayError(err));
      }
    },
  };
}

export type AdminApi = ReturnType<typeof createAdminApi>;

function rotateConflict(message: string): GatewayError {
  return new GatewayError('invalid_request', message, { status: 409, code: 'key_not_rotatable' });
}

function changesFor(current: ApiKeyRecord, patch: z.infer<typeof UpdateKeyBody>): KeyChanges {
  const changes: KeyChanges = {};
  if (patch.name !== undefined) changes.name = patch.name;
  if (patch.models !== undefined) changes.models = patch.models;
  if (patch.limits !== undefined) changes.limits = definedLimits({ ...current.limits, ...patch.limits });
  if (patch.endUserLimits !== undefined) changes.endUserLimits = definedLimits({ ...current.endUserLimits, ...patch.endUserLimits });
  if (patch.endUserRequired !== undefined) changes.endUserRequired = patch.endUserRequired;
  if (patch.allowedIps !== undefined) changes.allowedIps = patch.allowedIps;
  if (patch.teamId !== undefined) changes.teamId = patch.teamId;
  if (patch.audit !== undefined) changes.audit = patch.audit;
  if (patch.guardrails !== undefined) changes.guardrails = patch.guardrails;
  if (patch.params !== undefined) changes.params = patch.params;
  return changes;
}

/** Every UTC day from `from` to `to`, both included (`YYYY-MM-DD`). */
function daysFrom(from: string, to: string): string[] {
  const days: string[] = [];
  for (let t = Date.parse(from); t <= Date.parse(to) && days.length <= MAX_END_USER_REPORT_DAYS; t += 86_400_000) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}
