import { timingSafeEqual, createHash } from 'node:crypto';
import { z } from 'zod';
import { keyInfo, mintKey, type ApiKeyRecord, type KeyLimits } from '../access/api-key';
import { GatewayError, asGatewayError } from '../http/errors';
import { json, parseJsonObject, readBody } from '../http/body';
import { openAIErrorResponse } from '../http/openai-error';
import type { GatewayRequest, GatewayResponse } from '../http/types';
import type { KeyChanges, KeyStore } from '../store/keys';
import { zodToGatewayError } from '../http/validation';

export interface AdminApiDeps {
  keys: KeyStore;
  now?: () => Date;
  /**
   * The bearer token every admin request must carry. Absent only where something in front
   * already authenticates callers (on AWS, the function URL's IAM auth).
   */
  token?: string;
}

const Name = z.string().trim().min(1).max(200);
const Models = z.array(z.string().trim().min(1).max(200)).max(200);
/** A per-minute limit: a whole number of at least 1 (a key that may do nothing is revoked instead). */
const Limit = z.number().int().min(1).max(1e12);
/** A budget in USD, counted in micro-dollars: at least one of them. */
const Budget = z.number().min(0.000001).max(1e9);

const CreateKeyBody = z.strictObject({
  name: Name,
  models: Models.default(['*']),
  limits: z.strictObject({ requestsPerMinute: Limit.optional(), tokensPerMinute: Limit.optional(), usdPerDay: Budget.optional(), usdPerMonth: Budget.optional() }).optional(),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});

/** A merge patch (RFC 7396): fields given replace the key's; a limit set to null is removed. */
const UpdateKeyBody = z.strictObject({
  name: Name.optional(),
  models: Models.optional(),
  limits: z
    .strictObject({
      requestsPerMinute: Limit.nullable().optional(),
      tokensPerMinute: Limit.nullable().optional(),
      usdPerDay: Budget.nullable().optional(),
      usdPerMonth: Budget.nullable().optional(),
    })
    .optional(),
});

const ADMIN_BODY_LIMIT = 64 * 1024;

function sameToken(given: string, expected: string): boolean {
  // Hash both so the comparison is constant-time whatever the lengths.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * The admin API: key management.
 *   POST /admin/keys             {name, models?, limits?: {requestsPerMinute?, tokensPerMinute?, usdPerDay?, usdPerMonth?}, expiresAt?} → 201 {id, key, name, prefix, models, status, createdAt, …}
 *   GET  /admin/keys             → {data: [key info…]}
 *   GET  /admin/keys/{id}        → key info
 *   PATCH /admin/keys/{id}       {name?, models?, limits?} → key info
 *                                (a merge patch: a limit set to null is removed)
 *   POST /admin/keys/{id}/revoke → key info (also DELETE /admin/keys/{id})
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
    if (parts[0] !== 'admin') throw new GatewayError('not_found', `No admin route ${req.path}.`, { code: 'not_found' });
    if (parts[1] === 'health' && parts.length === 2) return json(200, { ok: true });
    if (parts[1] !== 'keys') throw new GatewayError('not_found', `No admin route ${req.path}.`, { code: 'not_found' });

    if (parts.length === 2) {
      if (req.method === 'GET') return json(200, { data: (await deps.keys.list()).map(keyInfo) });
      if (req.method === 'POST') {
        const parsed = CreateKeyBody.safeParse(parseJsonObject(await readBody(req, ADMIN_BODY_LIMIT)));
        if (!parsed.success) throw zodToGatewayError(parsed.error);
        const { name, models, limits, expiresAt } = parsed.data;
        const { key, record } = mintKey({ name, models, ...(limits ? { limits: definedLimits(limits) } : {}), ...(expiresAt ? { expiresAt: new Date(expiresAt).toISOString() } : {}) }, now());
        await deps.keys.put(record);
        return json(201, { ...keyInfo(record), key });
      }
      throw methodNotAllowed('GET, POST');
    }
    const id = decodeURIComponent(parts[2]!);
    if (parts.length === 3) {
      if (req.method === 'GET') return json(200, keyInfo(await found(deps.keys.getById(id), id)));
      if (req.method === 'DELETE') return json(200, keyInfo(await found(deps.keys.revoke(id, now()), id)));
      if (req.method === 'PATCH') {
        const parsed = UpdateKeyBody.safeParse(parseJsonObject(await readBody(req, ADMIN_BODY_LIMIT)));
        if (!parsed.success) throw zodToGatewayError(parsed.error);
        const current = await found(deps.keys.getById(id), id);
        return json(200, keyInfo(await found(deps.keys.update(id, changesFor(current, parsed.data)), id)));
      }
      throw methodNotAllowed('GET, PATCH, DELETE');
    }
    if (parts.length === 4 && parts[3] === 'revoke') {
      if (req.method !== 'POST') throw methodNotAllowed('POST');
      return json(200, keyInfo(await found(deps.keys.revoke(id, now()), id)));
    }
    throw new GatewayError('not_found', `No admin route ${req.path}.`, { code: 'not_found' });
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

async function found<T>(value: Promise<T | undefined>, id: string): Promise<T> {
  const v = await value;
  if (v === undefined) throw new GatewayError('not_found', `No key with id "${id}".`, { code: 'key_not_found' });
  return v;
}

/** The limits given, without the ones left out. */
function definedLimits(limits: { [K in keyof KeyLimits]?: number | null | undefined }): KeyLimits {
  return Object.fromEntries(Object.entries(limits).filter(([, value]) => typeof value === 'number')) as KeyLimits;
}

function changesFor(current: ApiKeyRecord, patch: z.infer<typeof UpdateKeyBody>): KeyChanges {
  const changes: KeyChanges = {};
  if (patch.name !== undefined) changes.name = patch.name;
  if (patch.models !== undefined) changes.models = patch.models;
  if (patch.limits !== undefined) changes.limits = definedLimits({ ...current.limits, ...patch.limits });
  return changes;
}

function methodNotAllowed(allow: string): GatewayError {
  return new GatewayError('method_not_allowed', `Method not allowed; use ${allow}.`, { headers: { allow }, code: 'method_not_allowed' });
}
