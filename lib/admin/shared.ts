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
/** Whether a key's or team's calls are screened by the gateway's guardrails: "off" exempts it (trusted automation), "on" removes the exemption. */
export const GuardrailsSwitch = z.enum(['on', 'off'], { message: 'guardrails is "on" or "off"' });

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
