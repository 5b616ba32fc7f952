import { entraOf } from '../config/schema';
import { accountCredentialRefs } from '../credentials/credentials';
import { GatewayError } from '../http/errors';
import { planAttempts, type Attempt } from '../routing/attempts';
import type { Target } from '../routing/catalog';
import { shouldFailOver } from '../routing/failover';
import { accountRef, retryAfterMs, type FailureKind } from '../routing/health';
import type { UpstreamResponse } from '../upstream/http';
import type { RequestContext } from './context';
import type { ProxyDeps } from './deps';
import { whyAborted } from './signal';

/** Reads an upstream's error answer as the client's error. */
export type ErrorReader = (status: number, headers: Record<string, string | string[] | undefined>, text: string, providerId: string) => GatewayError;

/** What one attempt sent: the upstream's answer, how to read it if it is an error, and what the caller needs to read it if not. */
export interface AttemptSent<Via> {
  res: UpstreamResponse;
  parseError: ErrorReader;
  via: Via;
}

/** The first attempt that answered with a success. */
export interface Answered<Via> {
  res: UpstreamResponse;
  attempt: Attempt;
  via: Via;
}

/**
 * Tries the targets' accounts in plan order (`planAttempts`) until one answers with a success,
 * for every kind of model call, so that failover and rests follow one set of rules: on to the
 * next attempt after a connection failure or an answer `shouldFailOver` names, resting the
 * account that failed; the caller's own mistakes (other 4xx, refusals from `send` below 500) end
 * the request at once. Nothing has reached the client before this returns.
 */
export async function tryTargets<Via>(
  targets: readonly Target[],
  options: { stickyKey?: string | undefined },
  ctx: RequestContext,
  deps: ProxyDeps,
  signal: AbortSignal | undefined,
  send: (attempt: Attempt) => Promise<AttemptSent<Via>>,
): Promise<Answered<Via>> {
  let lastError: unknown;
  deps.sharedHealth?.refreshSoon();
  for (const attempt of planAttempts(targets, { cooling: (ref) => deps.health.isCooling(ref), ...(options.stickyKey ? { stickyKey: options.stickyKey } : {}), load: deps.load, stream: ctx.stream })) {
    if (signal?.aborted) break;
    ctx.attempts++;
    ctx.provider = attempt.provider.id;
    ctx.account = attempt.account.id;
    ctx.upstreamModel = attempt.model;
    ctx.price = attempt.price;
    const ref = accountRef(attempt.provider.id, attempt.account.id);
    // The account's place in flight: given back as soon as the attempt has failed (both ways it can
    // fail, below), else by the books' closing (`finishRequest`) once the answer has ended, however it ends.
    const release = deps.load.begin(ref);
    const headersCame = deps.load.waitHeaders(ref, attempt.model, ctx.stream);
    const startedAt = performance.now();
    // A headroom pool's place in the send order: its answer's reading replaces no reading of a call sent after it (`QuotaReadings.sending`).
    const sendOrder = attempt.quotaScope === undefined ? 0 : deps.load.quota.sending();
    let sent: AttemptSent<Via>;
    try {
      sent = await send(attempt);
    } catch (err) {
      headersCame();
      release();
      if (signal?.aborted) break;
      if (err instanceof GatewayError && err.status < 500) throw err;
      lastError = err;
      deps.logger.warn('upstream attempt failed', { requestId: ctx.requestId, provider: ctx.provider, account: ctx.account, error: (err as Error).message, ...detailOf(err) });
      rest(attempt, err instanceof GatewayError && CREDENTIAL_FAILURES.has(err.code) ? 'auth' : 'error', undefined, ctx, deps);
      continue;
    }
    headersCame();
    const { res } = sent;
    // A headroom pool keeps the upstream's word on the account's quota, errors' too (a 429 says 0 left).
    if (attempt.quotaScope !== undefined) deps.load.quota.record(ref, attempt.quotaScope, res.headers, res.status < 400, sendOrder);
    if (res.status >= 400) {
      release();
      const text = await res.body.text().catch(() => '');
      const error = sent.parseError(res.status, res.headers, text, attempt.provider.id);
      if (res.status === 401 || res.status === 403) refreshCredentials(attempt, deps);
      deps.logger.warn('upstream answered with an error', { requestId: ctx.requestId, provider: ctx.provider, account: ctx.account, status: res.status, ...detailOf(error) });
      lastError = error;
      ctx.outcome = 'upstream_error';
      // An account out of its quota is a rate limit however it is sent (Bedrock's ServiceQuotaExceededException is a 400): another account may serve.
      const status = error.status === 429 ? 429 : res.status;
      const failure = failureOf(status);
      if (failure) rest(attempt, failure, retryAfterMs(error.headers, deps.now()), ctx, deps);
      if (shouldFailOver(status) || error.code === 'upstream_failed_precondition') continue;
      throw error;
    }
    ctx.releaseAccount = release;
    if (attempt.balancedBy) ctx.balancedBy = attempt.balancedBy;
    // The conversation's cache is now where it was served: it keeps to that account (or back to its own, unpinned).
    if (attempt.stickyHome !== undefined && options.stickyKey) deps.load.pins.served(options.stickyKey, attempt.provider.id, attempt.model, attempt.account.id, attempt.stickyHome);
    // Only answers are timed: a failure's speed says nothing of how soon the account answers (a
    // 429 comes back at once), and the rests already put a failing account last.
    deps.load.observe(ref, attempt.model, ctx.stream, performance.now() - startedAt);
    deps.health.succeeded(ref);
    ctx.outcome = undefined;
    return { res, attempt, via: sent.via };
  }
  if (signal?.aborted) throw whyAborted(signal);
  throw lastError ?? new GatewayError('upstream_unavailable', 'No upstream could take the request.', { code: 'no_upstream' });
}

/** A failure's log-only detail (`GatewayError.detail`), as a log field. */
const detailOf = (err: unknown) => (err instanceof GatewayError && err.detail !== undefined ? { detail: err.detail } : {});

/** Failures before the call that rest the account as a refused credential does: they will not mend in seconds. */
const CREDENTIAL_FAILURES = new Set<string | undefined>(['upstream_credentials_missing', 'upstream_assume_role_denied']);

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

/**
 * The upstream refused the account's credentials: read them again next time (they may have been
 * rotated), fetch a new Entra ID or Google token (the one refused may have been revoked), and
 * assume a Bedrock account's role again (its sessions may have been revoked).
 */
function refreshCredentials({ provider, account }: Attempt, deps: ProxyDeps): void {
  for (const ref of accountCredentialRefs(account, provider)) deps.credentials.refresh(ref);
  const entra = provider.type === 'azure-openai' ? entraOf(provider, account) : undefined;
  if (entra) deps.providers.entraTokens.forget(entra);
  if (provider.type === 'bedrock') deps.providers.assumedRoles.forget(provider.id, account.id);
  if (provider.type === 'vertex' && account.serviceAccount) deps.providers.vertexTokens.forget(account.serviceAccount);
}
