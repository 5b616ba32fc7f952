import type { PolicyChoices } from '../canonical/types';
import type { ResponseCacheModelConfig } from '../config/schema';
import { cacheKey, isCacheableSurface, scopeOf } from './key';

/** What a call asks of the cache with its `cache-control` header. */
export type CacheDirective = 'normal' | 'no-cache' | 'no-store';

/**
 * The client's word on the cache, from `cache-control` as HTTP spells it (a comma list, any
 * case): `no-store` neither reads nor stores, `no-cache` skips the read and stores the new answer.
 *
 * @example
 * cacheDirective('No-Cache') // 'no-cache'
 * cacheDirective('max-age=0, no-store') // 'no-store'
 * cacheDirective(undefined) // 'normal'
 */
export function cacheDirective(header: string | undefined): CacheDirective {
  if (!header) return 'normal';
  const parts = header.toLowerCase().split(',').map((p) => p.trim());
  if (parts.includes('no-store')) return 'no-store';
  return parts.includes('no-cache') ? 'no-cache' : 'normal';
}

/**
 * Why a call of a cache-enabled model is never served from (or stored in) the cache, if it is not.
 * A Responses call that continues a conversation held by the provider (`previous_response_id`,
 * `conversation`) depends on more than its body; one run in the `background` answers with a
 * handle, not the answer.
 *
 * @example
 * uncacheableBecause('openai-responses', { previous_response_id: 'resp_1' }) // 'previous_response_id'
 * uncacheableBecause('openai', { messages: [] }) // undefined
 */
export function uncacheableBecause(surface: string, body: Record<string, unknown>): string | undefined {
  if (surface !== 'openai-responses') return undefined;
  if (body.previous_response_id != null) return 'previous_response_id';
  if (body.conversation != null) return 'conversation';
  if (body.background === true) return 'background';
  return undefined;
}

/** What the cache does for one call. */
export interface CachePlan {
  /** The call's key (`cacheKey`). */
  hash: string;
  /** Look for a stored answer first. */
  read: boolean;
  /** Store the answer if it is complete. */
  write: boolean;
  ttlSeconds: number;
}

/** The call as planning needs it. */
export interface CacheableCall {
  surface: string;
  model: string;
  /** The model's targets as `provider:model` (`CacheKeyInput.upstream`). */
  upstream: readonly string[];
  keyId: string;
  teamId?: string | undefined;
  stream: boolean;
  jsonArray?: boolean | undefined;
  body: Record<string, unknown>;
  headers: Readonly<Record<string, string | undefined>>;
  /** What the model's parameter policy chose in the body (`CacheKeyInput.setByPolicy`). */
  setByPolicy?: PolicyChoices | undefined;
  /** Which rules screen the answer, where not the gateway's own (`CacheKeyInput.answerScreen`). */
  answerScreen?: string | undefined;
}

/**
 * The cache's plan for a call of a model with `cache` set; undefined where the cache has no part
 * (the surface is not cached, the call cannot be, or the client said `no-store`): such a call
 * is answered as if there were no cache, with `x-aigw-cache: bypass`.
 *
 * @example
 * planCache({ ttlSeconds: 60, share: 'key' }, { surface: 'openai', model, upstream: ['up:gpt-4o-mini'], keyId, stream: false, body, headers: { 'cache-control': 'no-cache' } })
 * // { hash, read: false, write: true, ttlSeconds: 60 }
 */
export function planCache(config: ResponseCacheModelConfig, call: CacheableCall): CachePlan | undefined {
  if (!isCacheableSurface(call.surface) || uncacheableBecause(call.surface, call.body)) return undefined;
  const directive = cacheDirective(call.headers['cache-control']);
  if (directive === 'no-store') return undefined;
  const hash = cacheKey({
    surface: call.surface,
    model: call.model,
    upstream: call.upstream,
    scope: scopeOf(config.share, call),
    stream: call.stream,
    ...(call.jsonArray ? { jsonArray: true } : {}),
    body: call.body,
    headers: call.headers,
    setByPolicy: call.setByPolicy,
    ...(call.answerScreen ? { answerScreen: call.answerScreen } : {}),
  });
  return { hash, read: directive === 'normal', write: true, ttlSeconds: config.ttlSeconds };
}
