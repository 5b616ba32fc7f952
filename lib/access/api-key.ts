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
  /**
   * The addresses the key may be used from: IPv4 and IPv6 addresses and CIDR ranges
   * (`lib/access/ip-allowlist.ts`); from anywhere when absent.
   */
  allowedIps?: string[];
  /** The team it belongs to (`lib/access/team.ts`): held to the team's models and limits as well as its own. */
  teamId?: string;
  status: 'active' | 'revoked';
  createdAt: string;
  expiresAt?: string;
  revokedAt?: string;
}

/** What the admin API shows of a key: everything but the hash. */
export type ApiKeyInfo = Omit<ApiKeyRecord, 'hash'>;

export const KEY_PREFIX = 'sk-gw-';
const DISPLAY_LENGTH = KEY_PREFIX.length + 6;

export function hashKey(key: string): string {
  return hash('sha256', key, 'hex');
}

/** A new random key (256 bits) and the record that stands for it. */
export function mintKey(fields: { name: string; models: string[]; limits?: KeyLimits; allowedIps?: string[]; teamId?: string; expiresAt?: string }, now: Date): { key: string; record: ApiKeyRecord } {
  const key = KEY_PREFIX + randomBytes(32).toString('base64url');
  const record: ApiKeyRecord = {
    id: `key_${randomUUID().replace(/-/g, '').slice(0, 16)}`,
    hash: hashKey(key),
    name: fields.name,
    prefix: key.slice(0, DISPLAY_LENGTH),
    models: fields.models,
    ...(fields.limits && Object.keys(fields.limits).length ? { limits: fields.limits } : {}),
    ...(fields.allowedIps ? { allowedIps: fields.allowedIps } : {}),
    ...(fields.teamId ? { teamId: fields.teamId } : {}),
    status: 'active',
    createdAt: now.toISOString(),
    ...(fields.expiresAt ? { expiresAt: fields.expiresAt } : {}),
  };
  return { key, record };
}

export function keyInfo(record: ApiKeyRecord): ApiKeyInfo {
  const { hash: _hash, ...info } = record;
  return info;
}
