import { hash, randomBytes, randomUUID } from 'node:crypto';
import type { RateLimits } from './rate-limits';
import type { SpendLimits } from './spend-limits';

/** Everything a key may be held to. */
export type KeyLimits = RateLimits & SpendLimits;

/** A gateway key as stored: never the key itself, only its SHA-256 hash and a display prefix. */
export interface ApiKeyRecord {
  id: string;
  hash: string;
  name: string;
  /** The first characters of the key, to recognise it in listings. */
  prefix: string;
  /** Glob patterns of model names the key may use (`*` matches any run of characters). */
  models: string[];
  /** Per-minute and spend limits, enforced across all gateway instances; none when absent. */
  limits?: KeyLimits;
  /** Limits each end user of the key is held to (`lib/access/end-user.ts`), each with counters of its own; none when absent. */
  endUserLimits?: KeyLimits;
  /** Calls that name no end user are refused (400 `end_user_required`) rather than counted in one anonymous bucket. */
  endUserRequired?: true;
  /**
   * The addresses the key may be used from: IPv4 and IPv6 addresses and CIDR ranges
   * (`lib/access/ip-allowlist.ts`); from anywhere when absent.
   */
  allowedIps?: string[];
  /** The team it belongs to (`lib/access/team.ts`): held to the team's models and limits as well as its own. */
  teamId?: string;
  /** Its calls' bodies go to the audit log when the gateway's `audit.mode` is `flagged` (`lib/audit/`). */
  audit?: true;
  /**
   * Its calls' guardrails (`lib/guardrails/`): `off`, not screened (trusted automation), or the
   * name of a rule set in the config's `guardrails.sets`, screened by it. Absent: its team's
   * choice, else the gateway's own rules (`guardrailsOf`).
   */
  guardrails?: string;
  /** The name of a request parameter policy in the config's `paramPolicies`, applied on top of the model's; absent: its team's, if any (`paramPolicyOf`). */
  params?: string;
  status: 'active' | 'revoked';
  createdAt: string;
  expiresAt?: string;
  revokedAt?: string;
  /** When the key was last given a new secret (`rotateKey`). */
  rotatedAt?: string;
  /**
   * The secret it had before, still accepted until `previousExpiresAt` so its users can move
   * over mid-flight; both absent when there is none (never rotated, or rotated with no grace).
   */
  previousHash?: string;
  previousExpiresAt?: string;
}

/** What the admin API shows of a key: everything but the hashes of its secrets. */
export type ApiKeyInfo = Omit<ApiKeyRecord, 'hash' | 'previousHash'>;

export const KEY_PREFIX = 'sk-gw-';
const DISPLAY_LENGTH = KEY_PREFIX.length + 6;

export function hashKey(key: string): string {
  return hash('sha256', key, 'hex');
}

/** A new random key (256 bits) and the record that stands for it. */
export function mintKey(fields: { name: string; models: string[]; limits?: KeyLimits; endUserLimits?: KeyLimits; endUserRequired?: boolean; allowedIps?: string[]; teamId?: string; audit?: boolean; guardrails?: string; params?: string; expiresAt?: string }, now: Date): { key: string; record: ApiKeyRecord } {
  const { key, hash, prefix } = mintSecret();
  const record: ApiKeyRecord = {
    id: `key_${randomUUID().replace(/-/g, '').slice(0, 16)}`,
    hash,
    name: fields.name,
    prefix,
    models: fields.models,
    ...(fields.limits && Object.keys(fields.limits).length ? { limits: fields.limits } : {}),
    ...(fields.endUserLimits && Object.keys(fields.endUserLimits).length ? { endUserLimits: fields.endUserLimits } : {}),
    ...(fields.endUserRequired ? { endUserRequired: true as const } : {}),
    ...(fields.allowedIps ? { allowedIps: fields.allowedIps } : {}),
    ...(fields.teamId ? { teamId: fields.teamId } : {}),
    ...(fields.audit ? { audit: true as const } : {}),
    ...(fields.guardrails && fields.guardrails !== 'on' ? { guardrails: fields.guardrails } : {}),
    ...(fields.params ? { params: fields.params } : {}),
    status: 'active',
    createdAt: now.toISOString(),
    ...(fields.expiresAt ? { expiresAt: fields.expiresAt } : {}),
  };
  return { key, record };
}

/** A new random secret (256 bits), its hash and the prefix that shows it in listings. */
function mintSecret(): { key: string; hash: string; prefix: string } {
  const key = KEY_PREFIX + randomBytes(32).toString('base64url');
  return { key, hash: hashKey(key), prefix: key.slice(0, DISPLAY_LENGTH) };
}

/** How long an old secret may work at most after a rotation: one meant to outlive a month is a second key, not a grace period. */
export const MAX_GRACE_SECONDS = 30 * 86_400;

/** A key's new secret: its hash and prefix, when it was made, and until when the old one still works (none: refused at once). */
export interface Rotation {
  hash: string;
  prefix: string;
  rotatedAt: string;
  previousExpiresAt?: string;
}

/**
 * A new secret for a key (`graceMs` 0: the old one is refused at once). The key keeps its id and
 * every other field; a secret rotated away before is dropped, since only one old secret is kept.
 */
export function mintRotation(graceMs: number, now: Date): { key: string; rotation: Rotation } {
  const { key, hash, prefix } = mintSecret();
  const rotation: Rotation = { hash, prefix, rotatedAt: now.toISOString() };
  if (graceMs > 0) rotation.previousExpiresAt = new Date(now.getTime() + graceMs).toISOString();
  return { key, rotation };
}

/**
 * The record as it is after a rotation: pure, so a store that finds the key changed under it can
 * apply the same rotation again to what it found.
 */
export function rotated(record: ApiKeyRecord, rotation: Rotation): ApiKeyRecord {
  const { previousHash: _oldPrevious, previousExpiresAt: _oldExpiry, ...rest } = record;
  const next: ApiKeyRecord = { ...rest, hash: rotation.hash, prefix: rotation.prefix, rotatedAt: rotation.rotatedAt };
  if (rotation.previousExpiresAt) Object.assign(next, { previousHash: record.hash, previousExpiresAt: rotation.previousExpiresAt });
  return next;
}

export function keyInfo(record: ApiKeyRecord): ApiKeyInfo {
  const { hash: _hash, previousHash: _previousHash, ...info } = record;
  return info;
}
