import { modelAllowed } from '../access/model-patterns';
import { hasSpendLimits } from '../access/spend-limits';
import type { ApiKeyRecord } from '../access/api-key';
import type { ChatRequest } from '../canonical/types';
import { accountCredentialRefs, CredentialError } from '../credentials/credentials';
import { readBody, parseJsonObject } from '../http/body';
import { GatewayError, forTarget } from '../http/errors';
import type { GatewayRequest, GatewayResponse } from '../http/types';
import type { CallContext } from '../providers/types';
import { planAttempts, type Attempt } from '../routing/attempts';
import { accountRef, retryAfterMs, type FailureKind } from '../routing/health';
import { stickyKeyOf } from '../routing/sticky';
import type { CatalogModel } from '../routing/catalog';
import { shouldFailOver } from '../routing/failover';
import type { UpstreamResponse } from '../upstream/http';
import { passthroughAnswer, translatedAnswer } from './answers';
import type { SurfaceBinding } from './bindings';
import { worstCaseOfCall } from './budget';
import type { RequestContext } from './context';
import type { ProxyDeps } from './deps';
import { passthroughFor, type PassthroughRoute } from './passthrough';
import { requestSignal, whyAborted } from './signal';

/** A request's body and model, checked, and the key that may use it. */
export interface AdmittedCall {
  key: ApiKeyRecord;
  body: Record<string, unknown>;
  /** The body's bytes as the client sent them, for targets that need nothing in it changed. */
  raw: Uint8Array;
  /** The model name the client asked for. */
  model: string;
  entry: CatalogModel;
}

/**
 * Authenticate (the key, and the address it is used from), read and check the body, find the
 * model and check the key may use it. Every refusal from the key's own rules on is booked to it.
 */
export async function admit(req: GatewayRequest, ctx: RequestContext, deps: ProxyDeps, validate: (body: Record<string, unknown>) => void): Promise<AdmittedCall> {
  const key = await deps.auth.authenticate(req, ctx);
  const raw = await readBody(req, deps.config.limits.maxBodyBytes);
  const body = parseJsonObject(raw);
  if (typeof body.model === 'string') ctx.model = body.model;
  ctx.stream = body.stream === true;
  validate(body);
  const model = body.model as string;
  const entry = deps.catalog.find(model);
  if (!entry) {
    throw new GatewayError('not_found', `The model \`${model}\` does not exist or you do not have access to it.`, { code: 'model_not_found', param: 'model' });
  }
  if (!modelAllowed(key.models, model) && !modelAllowed(key.models, entry.name)) {
    throw new GatewayError('permission', `This API key may not use the model \`${model}\`.`, { code: 'model_not_allowed', param: 'model' });
  }
  return { key, body, raw, model, entry };
}

/**
 * A model call on any surface: admit it, then try the model's targets in order. A target of
 * the client's own dialect gets the body untouched; any other gets the canonical translation.
 * The next target is tried only while nothing has reached the client.
 */
export async function modelCall(binding: SurfaceBinding, req: GatewayRequest, ctx: RequestContext, deps: ProxyDeps, finish: () => void): Promise<GatewayResponse> {
  const call = await admit(req, ctx, deps, binding.validate);
  let canonical: ChatRequest | undefined;
  // Counted once the call is known to be a valid one the key may make (refusals cost no place).
  if (call.key.limits) {
    const limits = call.key.limits;
    // Sized first: a model without a price is refused (403) before the call takes a place in the minute.
    // The canonical form gives the prompt estimate; one the surface refuses is sized by its bytes (and refused later if it must be translated).
    const worstCase = hasSpendLimits(limits) ? worstCaseOfCall(call, (canonical = decodedOrUndefined(binding, call.body)), deps.config) : undefined;
    ctx.rateWindow = await deps.limiter.admit(call.key, ctx.requestId);
    if (worstCase !== undefined) ctx.reservation = await deps.spend.reserve(call.key.id, limits, worstCase, ctx.requestId);
  }
  const signal = requestSignal(req, deps.now);
  let lastError: unknown;
  deps.sharedHealth?.refreshSoon();
  const stickyKey = call.entry.pooled && deps.config.routing.sticky ? stickyKeyOf(binding.name, req.headers, call.body) : undefined;
  for (const attempt of planAttempts(call.entry.targets, { cooling: (ref) => deps.health.isCooling(ref), ...(stickyKey ? { stickyKey } : {}) })) {
    if (signal?.aborted) break;
    ctx.attempts++;
    ctx.provider = attempt.provider.id;
    ctx.account = attempt.account.id;
    ctx.upstreamModel = attempt.model;
    ctx.price = attempt.price;
    const pass = passthroughFor(binding.name, attempt, deps.providers);
    let res: UpstreamResponse;
    try {
      if (pass) {
        res = await deps.upstream.send(await passthroughRequest(pass, attempt, call, req, ctx.stream, deps, signal));
      } else {
        // Decoded once, on the first target that needs it; refusals (400) end the request here.
        try {
          canonical ??= binding.decode(call.body);
        } catch (err) {
          throw forTarget(err, attempt.provider);
        }
        const upstreamReq = await deps.providers.adapter(attempt.provider.type).buildRequest({ ...canonical, model: attempt.model, stream: ctx.stream }, await callContext(attempt, deps, signal));
        res = await deps.upstream.send(upstreamReq);
      }
    } catch (err) {
      if (signal?.aborted) break;
      if (err instanceof GatewayError && err.status < 500) throw err;
      lastError = err;
      deps.logger.warn('upstream attempt failed', { requestId: ctx.requestId, provider: ctx.provider, account: ctx.account, error: (err as Error).message });
      rest(attempt, err instanceof GatewayError && err.code === 'upstream_credentials_missing' ? 'auth' : 'error', undefined, ctx, deps);
      continue;
    }
    if (res.status >= 400) {
      const text = await res.body.text().catch(() => '');
      const error = pass ? pass.parseError(res.status, res.headers, text, attempt.provider.id) : deps.providers.adapter(attempt.provider.type).parseError(res.status, res.headers, text, attempt.provider.id);
      if (res.status === 401 || res.status === 403) refreshCredentials(attempt, deps);
      deps.logger.warn('upstream answered with an error', { requestId: ctx.requestId, provider: ctx.provider, account: ctx.account, status: res.status });
      lastError = error;
      ctx.outcome = 'upstream_error';
      const failure = failureOf(res.status);
      if (failure) rest(attempt, failure, retryAfterMs(error.headers, deps.now()), ctx, deps);
      if (shouldFailOver(res.status) || error.code === 'upstream_failed_precondition') continue;
      throw error;
    }
    deps.health.succeeded(accountRef(attempt.provider.id, attempt.account.id));
    ctx.outcome = undefined;
    const answer = { res, ctx, deps, binding, signal, finish, clientModel: call.model };
    return pass ? passthroughAnswer(answer, pass, binding.wantsStreamUsage(call.body)) : translatedAnswer(answer, deps.providers.adapter(attempt.provider.type), { ...canonical!, model: attempt.model, stream: ctx.stream }, binding.wantsStreamUsage(call.body));
  }
  if (signal?.aborted) throw whyAborted(signal);
  throw lastError ?? new GatewayError('upstream_unavailable', 'No upstream could take the request.', { code: 'no_upstream' });
}

/** What an upstream's status says of the account: rate-limited, refusing its credentials, failing, or nothing (the caller's mistake). */
function failureOf(status: number): FailureKind | undefined {
  if (status === 429) return 'rate_limited';
  if (status === 401 || status === 403) return 'auth';
  return status === 408 || status >= 500 ? 'error' : undefined;
}

/** Lets a failed account rest, so that the next calls try its healthy siblings first. */
function rest(attempt: Attempt, kind: FailureKind, retryAfter: number | undefined, ctx: RequestContext, deps: ProxyDeps): void {
  const ref = accountRef(attempt.provider.id, attempt.account.id);
  const ms = deps.health.failed(ref, kind, retryAfter);
  deps.sharedHealth?.publish(ref, deps.now() + ms);
  deps.logger.info('account resting', { requestId: ctx.requestId, provider: attempt.provider.id, account: attempt.account.id, failure: kind, restMs: ms });
}

function decodedOrUndefined(binding: SurfaceBinding, body: Record<string, unknown>): ChatRequest | undefined {
  try {
    return binding.decode(body);
  } catch {
    return undefined;
  }
}

/** The account's API key, resolved; a missing one fails this attempt (the pool may have others). */
export async function apiKeyFor(attempt: Attempt, deps: ProxyDeps): Promise<string | undefined> {
  if (!attempt.account.apiKey) return undefined;
  try {
    return await deps.credentials.resolve(attempt.account.apiKey);
  } catch (err) {
    const detail = err instanceof CredentialError ? err.message : 'unreadable';
    throw new GatewayError('upstream_error', `The gateway has no usable credentials for provider "${attempt.provider.id}" (${detail}).`, {
      code: 'upstream_credentials_missing',
      cause: err,
    });
  }
}

/** The upstream refused the account's credentials: read them again next time (they may have been rotated). */
function refreshCredentials({ account }: Attempt, deps: ProxyDeps): void {
  for (const ref of accountCredentialRefs(account)) deps.credentials.refresh(ref);
}

async function passthroughRequest(pass: PassthroughRoute, attempt: Attempt, call: AdmittedCall, req: GatewayRequest, stream: boolean, deps: ProxyDeps, signal: AbortSignal | undefined) {
  return pass.request({
    attempt,
    body: call.body,
    raw: call.raw,
    headers: req.headers,
    stream,
    apiKey: pass.needsApiKey ? await apiKeyFor(attempt, deps) : undefined,
    timeouts: { ...deps.config.timeouts, ...attempt.provider.timeouts },
    ...(signal ? { signal } : {}),
  });
}

async function callContext(attempt: Attempt, deps: ProxyDeps, signal: AbortSignal | undefined): Promise<CallContext> {
  return {
    provider: attempt.provider as CallContext['provider'],
    account: attempt.account,
    apiKey: await apiKeyFor(attempt, deps),
    timeouts: { ...deps.config.timeouts, ...attempt.provider.timeouts },
    ...(signal ? { signal } : {}),
  };
}
