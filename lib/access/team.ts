import { randomUUID } from 'node:crypto';
import type { KeyLimits } from './api-key';

/**
 * A team: keys that belong to it share its model patterns and its limits, on top of their own.
 * Its counters are its own items, so one team's limits hold across all its keys and instances.
 */
export interface TeamRecord {
  id: string;
  name: string;
  /** Glob patterns of model names its keys may use; a key may use a model only if its own patterns allow it too. Every model when absent. */
  models?: string[];
  /** Limits shared by all its keys; none when absent. */
  limits?: KeyLimits;
  /** Limits each end user of its keys is held to, across all its keys (`lib/access/end-user.ts`); none when absent. */
  endUserLimits?: KeyLimits;
  /** Its keys' calls go to the audit log when the gateway's `audit.mode` is `flagged` (`lib/audit/`). */
  audit?: true;
  /** Its keys' guardrails unless a key has its own: `off` (not screened) or a rule set's name (`guardrails.sets`); the gateway's own rules when absent. */
  guardrails?: string;
  /** Its keys' request parameter policy (`paramPolicies`) unless a key names its own. */
  params?: string;
  createdAt: string;
}

/** A new team with a fresh id (`team_…`, which no key id can be: keys are `key_…`, so their counters never share an item). */
export function newTeam(fields: { name: string; models?: string[]; limits?: KeyLimits; endUserLimits?: KeyLimits; audit?: boolean; guardrails?: string; params?: string }, now: Date): TeamRecord {
  return {
    id: `team_${randomUUID().replace(/-/g, '').slice(0, 16)}`,
    name: fields.name,
    ...(fields.models ? { models: fields.models } : {}),
    ...(fields.limits && Object.keys(fields.limits).length ? { limits: fields.limits } : {}),
    ...(fields.endUserLimits && Object.keys(fields.endUserLimits).length ? { endUserLimits: fields.endUserLimits } : {}),
    ...(fields.audit ? { audit: true as const } : {}),
    ...(fields.guardrails && fields.guardrails !== 'on' ? { guardrails: fields.guardrails } : {}),
    ...(fields.params ? { params: fields.params } : {}),
    createdAt: now.toISOString(),
  };
}
