import type { Caller, LimitScope } from '../access/caller';
import { endUserOf, limitScopesOf } from '../access/end-user';
import type { GatewayRequest } from '../http/types';
import type { RequestContext } from './context';
import type { ProxyDeps } from './deps';

/**
 * The scopes a call without tokens is counted in: those with a requests-per-minute limit, held to
 * that limit alone. A tokens limit does not apply to it (it adds no tokens), and must not refuse
 * it either: a key that spent its minute's tokens may still read or delete what it stored.
 *
 * @example
 * requestScopes([{ id: 'key_1', name: 'this API key', limits: { requestsPerMinute: 10, tokensPerMinute: 1000 } }, { id: 'team_1', name: 'team "a"', limits: { tokensPerMinute: 5 } }])
 * // [{ id: 'key_1', name: 'this API key', limits: { requestsPerMinute: 10 } }]
 */
export function requestScopes(scopes: readonly LimitScope[] | undefined): LimitScope[] {
  const counted: LimitScope[] = [];
  for (const scope of scopes ?? []) {
    const requestsPerMinute = scope.limits.requestsPerMinute;
    if (requestsPerMinute !== undefined) counted.push({ ...scope, limits: { requestsPerMinute } });
  }
  return counted;
}

/**
 * Counts a call that carries no tokens (a stored object's routes: conversations, a stored
 * response's retrieve, delete, items) in its key's, its team's and its end user's minute (the end
 * user named by the `x-aigw-end-user` header: these bodies have no user field), as a model call
 * is counted (`holdLimits`), or throws the same 429 with its `retry-after`; the rate-limit headers
 * follow from `ctx.rateStanding`. Only requests-per-minute limits apply (`requestScopes`); no budget
 * is held (nothing is priced). A caller without such limits pays two property reads.
 */
export async function takeRequestSlot(caller: Caller, req: GatewayRequest, ctx: RequestContext, deps: ProxyDeps): Promise<void> {
  const endUser = endUserOf(ctx.surface, req.headers, {});
  if (endUser !== undefined) ctx.endUser = endUser;
  const scopes = requestScopes(limitScopesOf(caller, endUser).rate);
  if (!scopes.length) return;
  // No tokens scope is counted (`requestScopes`), so the limiter hands back nothing to settle.
  await deps.limiter.admit(scopes, ctx.requestId, ctx);
}
