import { z } from 'zod';
import type { KeyLimits } from '../access/api-key';
import { GatewayError } from '../http/errors';

/** What keys and teams share in the admin API: names, model patterns, limits, and the answers of every route. */
export const Name = z.string().trim().min(1).max(200);
export const Models = z.array(z.string().trim().min(1).max(200)).max(200);
/** A per-minute limit: a whole number of at least 1 (a key that may do nothing is revoked instead). */
const Limit = z.number().int().min(1).max(1e12);
/** A budget in USD, counted in micro-dollars: at least one of them. */
const Budget = z.number().min(0.000001).max(1e9);
export const NewLimits = z.strictObject({ requestsPerMinute: Limit.optional(), tokensPerMinute: Limit.optional(), usdPerDay: Budget.optional(), usdPerMonth: Budget.optional() });
/** Limits in a merge patch: one set to null is removed. */
export const LimitsPatch = z.strictObject({
  requestsPerMinute: Limit.nullable().optional(),
  tokensPerMinute: Limit.nullable().optional(),
  usdPerDay: Budget.nullable().optional(),
  usdPerMonth: Budget.nullable().optional(),
});
/** Whether a key refuses calls that name no end user (true) or counts them in one anonymous bucket (false, the default). */
export const EndUserRequired = z.boolean({ message: 'endUserRequired is true or false' });
export const TeamId = z.string().trim().min(1).max(100);
/** A key's or team's audit flag (`audit.mode: flagged`): true flags it, false removes the flag. */
export const AuditFlag = z.boolean({ message: 'audit is true or false' });
const NAME = /^[a-z0-9][a-z0-9_.-]{0,47}$/;
/**
 * A key's or team's guardrails: "off" exempts it (trusted automation), a rule set's name
 * (`guardrails.sets`) screens it by that set, "on" removes its own choice (the team's, else the
 * gateway's own rules apply).
 */
export const GuardrailsChoice = z.string().regex(NAME, { message: 'guardrails is "on", "off" or the name of a rule set in the config\'s guardrails.sets' });
/** A request parameter policy's name (`paramPolicies`) for a key or team. */
export const ParamPolicyName = z.string().regex(NAME, { message: 'params is the name of a policy in the config\'s paramPolicies (null removes it)' });

/** The names of the config's rule sets and parameter policies, for the admin API to check a key's or team's against. */
export interface PolicyNames {
  guardrailSets: readonly string[];
  paramPolicies: readonly string[];
}

/**
 * A key or team may name only a rule set and a policy the config has: a 400 naming the field,
 * since the mistake is in the request (a call would be refused, `guardrail_set_unknown`). Without
 * the config's names (an admin function deployed without them) any name is taken; the request
 * path still fails closed on one it does not have.
 */
export function mustBeKnown(names: PolicyNames | undefined, choice: { guardrails?: string | undefined; params?: string | null | undefined }): void {
  if (!names) return;
  const { guardrails, params } = choice;
  if (guardrails !== undefined && guardrails !== 'on' && guardrails !== 'off' && !names.guardrailSets.includes(guardrails)) {
    const known = names.guardrailSets.length ? `: ${names.guardrailSets.map((n) => `"${n}"`).join(', ')}` : ' (it has none)';
    throw new GatewayError('invalid_request', `The config has no guardrail rule set "${guardrails}"; guardrails is "on", "off" or one of guardrails.sets${known}.`, { param: 'guardrails', code: 'guardrail_set_unknown' });
  }
  if (typeof params === 'string' && !names.paramPolicies.includes(params)) {
    const known = names.paramPolicies.length ? `: ${names.paramPolicies.map((n) => `"${n}"`).join(', ')}` : ' (it has none)';
    throw new GatewayError('invalid_request', `The config has no request parameter policy "${params}"; params is one of paramPolicies${known}.`, { param: 'params', code: 'param_policy_unknown' });
  }
}

/**
 * The names a config's rule sets and policies go by.
 *
 * @example
 * policyNamesOf({ guardrails: { sets: { strict: … } }, paramPolicies: { ci: … } }) // { guardrailSets: ['strict'], paramPolicies: ['ci'] }
 */
export function policyNamesOf(config: { guardrails: { sets?: Record<string, unknown> | undefined }; paramPolicies?: Record<string, unknown> | undefined }): PolicyNames {
  return { guardrailSets: Object.keys(config.guardrails.sets ?? {}), paramPolicies: Object.keys(config.paramPolicies ?? {}) };
}

export const ADMIN_BODY_LIMIT = 64 * 1024;

/** The limits given, without the ones left out (or set to null by a patch). */
export function definedLimits(limits: { [K in keyof KeyLimits]?: number | null | undefined }): KeyLimits {
  return Object.fromEntries(Object.entries(limits).filter(([, value]) => typeof value === 'number')) as KeyLimits;
}

/** The value, or the 404 for a `what` (key, team) that is not there. */
export async function found<T>(value: Promise<T | undefined>, id: string, what: 'key' | 'team' = 'key'): Promise<T> {
  const v = await value;
  if (v === undefined) throw new GatewayError('not_found', `No ${what} with id "${id}".`, { code: `${what}_not_found` });
  return v;
}

export function methodNotAllowed(allow: string): GatewayError {
  return new GatewayError('method_not_allowed', `Method not allowed; use ${allow}.`, { headers: { allow }, code: 'method_not_allowed' });
}

export function noRoute(path: string): GatewayError {
  return new GatewayError('not_found', `No admin route ${path}.`, { code: 'not_found' });
}
