import { entraOf } from '../config/schema';
import { accountCredentialRefs } from '../credentials/credentials';
import { GatewayError } from '../http/errors';
import { planAttempts, type Attempt } from '../routing/attempts';
import type { Target } from '../routing/catalog';
import { shouldFailOver } from '../routing/failover';
import { accountRef, retryAfterMs, type FailureKind } from '../routing/health';
import { rateLimitRetryAfter } from '../routing/rate-limit-wait';
import { continuationOrder, notHeldHere, type Home, type StoredRef } from '../routing/response-homes';
import type { UpstreamResponse } from '../upstream/http';
import type { RequestContext } from './context';
import { isOwnFault, readFailure } from './broke-off';
import type { ProxyDeps } from './deps';
import { tellingFailure } from './failure-choice';
import { answerInHand, failedBeforeAnswer } from './read-ahead';
import { isRawMedia } from './raw-media';
import { whyAborted } from './signal';

/** Reads an upstream's error answer as the client's error. */
export type ErrorReader = (status: number, headers: Record<string, string | string[] | undefined>, text: string, providerId: string) => GatewayError;

/** What one attempt sent: the upstream's answer, how to read it if it is an error, and what the caller needs to read it if not. */
export interface AttemptSent<Via> {
  res: UpstreamResponse;
  parseError: ErrorReader;
  via: Via;
}

/**
 * A Responses call that builds on a stored object (`previous_response_id`, `conversation`), which
 * only the account holding it can answer.
 */
export interface Continuation {
  ref: StoredRef;
  /** The account known to hold it (this instance's memory, or the table), if any. */
  home: Home | undefined;
  /** Whose it is, remembered with the account that serves the call; undefined when nothing proves it. */
  owner: string | undefined;
  /** Whether the attempt's account may hold stored responses: the Responses API is passed through to it. */
  holds: (attempt: Attempt) => boolean;
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
 * the request at once. Nothing has reached the client before this returns. A whole answer is
 * read before it returns (`readAhead`), raw audio's first chunk is in hand (`firstAudioInHand`),
 * and a stream's first event has come (`answerInHand`; for a stream that is not SSE, Bedrock's
 * event stream nor Gemini's array, only under a first-answer deadline, `timeouts.firstByteMs`): one
 * that breaks off or does not start in time is a
 * failure of the account like a connection's; one whose first event is the upstream's error
 * (Anthropic's `overloaded_error` after `message_start`, `failedBeforeAnswer`) is that error, as if
 * it had come as its HTTP status; one that outgrows its bound ends the request (the request made it
 * that large); a stream's later failures come after it returns, in-band, with no failover and no
 * rest (the answer has started). Answers are timed for latency balancing to their start (a stream's
 * first event), not their headers.
 * When no account answers, the client gets the failure that tells it most (`tellingFailure`: a
 * 429 over a 5xx over an account lacking the model), not merely the last.
 *
 * A call that builds on a stored Responses object (`continues`) goes first to the account known
 * to hold it (`continuationOrder`; `continuationOf` found it and checked its owner). An account that answers that it does not
 * hold it (`notHeldHere`) is not resting, failing or slow: the next account that may hold it is
 * asked at once, and the client gets that 400 only when every one said so (another failure, a 429
 * of an account that may hold it, wins: it is worth retrying); an account that said so is not
 * asked again for another target's model. When the remembered account fails otherwise, no other
 * is asked: none can answer (lacking the model, a failed precondition, it is asked for its next
 * target's). Where it was served is remembered.
 */
export async function tryTargets<Via>(
  targets: readonly Target[],
  options: { stickyKey?: string | undefined; continues?: Continuation | undefined },
  ctx: RequestContext,
  deps: ProxyDeps,
  signal: AbortSignal | undefined,
  send: (attempt: Attempt) => Promise<AttemptSent<Via>>,
): Promise<Answered<Via>> {
  // Of the attempts that failed, the one whose failure the client gets if none answers (`tellingFailure`).
  let failed: FailedAttempt | undefined;
  const fail = (error: unknown, attempt: Attempt, answered: boolean) => void (failed = tellingFailure(failed, { error, attempt, answered }, deps.now()));
  // The last account's word that it does not hold the stored object a continuation builds on.
  let notHeld: GatewayError | undefined;
  deps.sharedHealth?.refreshSoon();
  const planned = planAttempts(targets, { cooling: (ref) => deps.health.isCooling(ref), ...(options.stickyKey ? { stickyKey: options.stickyKey } : {}), load: deps.load, stream: ctx.stream });
  const { continues } = options;
  const home = continues?.home;
  // The accounts that said they do not hold it: not asked again for another target's model.
  const notHolding = continues && new Set<string>();
  /**
   * An attempt the upstream answered with an error, standing for HTTP `status` (its own, or the one
   * a stream's first event stands for): the account rests as that status says, the failure is kept
   * for the client, and true says to ask the next account; false, that no other can answer (the
   * stored object's account failed). The caller's own mistakes are thrown at once. A rate limit
   * that names no wait of its own gets the one its answer's headers (`answerHeaders`: the 429's, or
   * the 200 whose stream opened with it) say (`rateLimitRetryAfter`), one rule for both: the
   * account's rest, `tellingFailure` and the client's 429 read it as an upstream's `retry-after`.
   */
  const answeredWithError = (error: GatewayError, status: number, attempt: Attempt, atHome: boolean, answerHeaders: UpstreamResponse['headers']): boolean => {
    if (status === 401 || status === 403) refreshCredentials(attempt, deps);
    if (status === 429 && error.headers['retry-after'] === undefined) {
      // The error is this answer's own, made by its reader: its headers are free to complete.
      const wait = rateLimitRetryAfter(answerHeaders, deps.now());
      if (wait !== undefined) error.headers['retry-after'] = wait;
    }
    fail(error, attempt, true);
    const failure = failureOf(status);
    if (failure) rest(attempt, failure, retryAfterMs(error.headers, deps.now()), ctx, deps);
    if (error.code === 'upstream_failed_precondition') return true;
    // The account lacking the model (above) may serve its next target's; failing, it can serve none.
    if (shouldFailOver(status)) return !atHome;
    throw error;
  };
  for (const attempt of continues ? continuationOrder(planned, home, continues.holds) : planned) {
    if (signal?.aborted) break;
    if (notHolding?.has(accountRef(attempt.provider.id, attempt.account.id))) continue;
    ctx.attempts++;
    attributeTo(attempt, ctx);
    const ref = accountRef(attempt.provider.id, attempt.account.id);
    // The account known to hold the stored object: when it fails, no other can answer.
    const atHome = home !== undefined && attempt.provider.id === home.providerId && attempt.account.id === home.accountId;
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
      fail(err, attempt, false);
      deps.logger.warn('upstream attempt failed', { requestId: ctx.requestId, provider: ctx.provider, account: ctx.account, error: (err as Error).message, ...detailOf(err) });
      rest(attempt, err instanceof GatewayError && CREDENTIAL_FAILURES.has(err.code) ? 'auth' : 'error', undefined, ctx, deps);
      if (atHome) break;
      continue;
    }
    const { res } = sent;
    // A headroom pool keeps the upstream's word on the account's quota, errors' too (a 429 says 0
    // left), and a 200 whose audio then never starts (below): its headers are a reading all the same.
    if (attempt.quotaScope !== undefined) deps.load.quota.record(ref, attempt.quotaScope, res.headers, res.status < 400, sendOrder);
    // Raw audio's wait for headers lasts until its first chunk is in hand (below): the time a speech caller waits.
    const audio = res.status < 400 && isRawMedia(String(res.headers['content-type'] ?? ''));
    if (!audio) headersCame();
    let headersMs = performance.now() - startedAt;
    if (res.status >= 400) {
      release();
      const text = await res.body.text().catch(() => '');
      const error = sent.parseError(res.status, res.headers, text, attempt.provider.id);
      ctx.outcome = 'upstream_error';
      if (continues && notHeldHere(continues.ref, error)) {
        // Not a failure of the account (no rest, no latency sample, nothing in health): another account of the pool may hold it.
        deps.logger.info('stored object not on this account', { requestId: ctx.requestId, provider: ctx.provider, account: ctx.account, status: res.status, stored: continues.ref.kind });
        notHeld = error;
        notHolding!.add(ref);
        continue;
      }
      deps.logger.warn('upstream answered with an error', { requestId: ctx.requestId, provider: ctx.provider, account: ctx.account, status: res.status, ...detailOf(error) });
      // An account out of its quota is a rate limit however it is sent (Bedrock's ServiceQuotaExceededException is a 400): another account may serve.
      if (answeredWithError(error, error.status === 429 ? 429 : res.status, attempt, atHome, res.headers)) continue;
      break;
    }
    // A whole answer is read while the next account can still give it, raw audio is held until its
    // first chunk, and a stream until its first event (`answerInHand`): one that breaks off (or,
    // audio, ends with none) or does not start by `timeouts.firstByteMs` fails over and rests the
    // account, as a connection that failed or timed out does; a stream whose first event is the
    // upstream's error (`failedBeforeAnswer`) as the error status it stands for does. A stream
    // that has started has reached the client by then: it cannot.
    let answer = res;
    const holding = answerInHand(res, ctx, signal, attempt.provider.id);
    if (holding) {
      try {
        answer = await holding;
      } catch (err) {
        headersCame();
        release();
        if (signal?.aborted) break;
        const failure = readFailure(err, signal, 'its answer');
        // Past the bound, the answer's size is the request's doing, not the account's: every account
        // would make it as large (and bill it again), and resting them would cool a sound pool.
        if (failure.code === 'upstream_answer_too_large') throw failure;
        // A fault of the gateway's own while it held the answer: no other account would mend it,
        // and resting this one would blame it. Thrown on, it is answered 500 and logged as
        // `request failed` (the stack's InternalFailures).
        if (isOwnFault(failure)) throw failure;
        fail(failure, attempt, false);
        deps.logger.warn('upstream answer failed', { requestId: ctx.requestId, provider: ctx.provider, account: ctx.account, code: failure.code, ...detailOf(failure) });
        rest(attempt, 'error', undefined, ctx, deps);
        if (atHome) break;
        continue;
      }
      if (audio) headersCame();
      // Raw audio and a held stream are timed to their start, not their headers: an account that
      // sends headers at once and its first token late is no faster for it. (A whole answer's
      // timing stays its headers': its read-ahead is the answer's length, not the account's speed.)
      if (audio || answer === res) headersMs = performance.now() - startedAt;
    }
    // A stream, held or whose first event was in already: is that event the upstream's error?
    const early = answer === res ? failedBeforeAnswer(res, attempt.provider.id) : undefined;
    if (early) {
      release();
      ctx.outcome = 'upstream_error';
      deps.logger.warn('upstream stream failed before its answer', { requestId: ctx.requestId, provider: ctx.provider, account: ctx.account, status: early.status, code: early.code, ...detailOf(early) });
      // A rate limit said in-band waits as long as the 200's headers say, as a 429's would; a wait
      // the event named itself (Google's RetryInfo) is the more precise: it stands (`answeredWithError`).
      // An in-band refusal of the gateway's key is Anthropic's 401 said late: the account's credentials, not the caller's.
      if (answeredWithError(early, early.code === 'upstream_auth_failed' ? 401 : early.status, attempt, atHome, res.headers)) continue;
      break;
    }
    ctx.releaseAccount = release;
    if (attempt.balancedBy) ctx.balancedBy = attempt.balancedBy;
    // A continuation follows its stored object, wherever its sticky key would go: the object's account is remembered, not a pin.
    if (continues) deps.load.homes.remember(continues.ref.id, attempt.provider.id, attempt.account.id, continues.owner, continues.home?.model ?? ctx.model, continues.ref.kind);
    // The conversation's cache is now where it was served: it keeps to that account (or back to its own, unpinned).
    else if (attempt.stickyHome !== undefined && options.stickyKey) deps.load.pins.served(options.stickyKey, attempt.provider.id, attempt.model, attempt.account.id, attempt.stickyHome);
    // Only answers are timed: a failure's speed says nothing of how soon the account answers (a
    // 429 comes back at once), and the rests already put a failing account last.
    deps.load.observe(ref, attempt.model, ctx.stream, headersMs);
    deps.health.succeeded(ref);
    ctx.outcome = undefined;
    return { res: answer, attempt, via: sent.via };
  }
  if (signal?.aborted) throw whyAborted(signal);
  if (failed) {
    // The record and the access log line name the account whose failure the client gets, not the last one asked,
    // and book it as that failure is booked alone: `upstream_error` for an upstream's error answer, else by its status.
    attributeTo(failed.attempt, ctx);
    ctx.outcome = failed.answered ? 'upstream_error' : undefined;
    throw failed.error;
  }
  throw notHeld ?? new GatewayError('upstream_unavailable', 'No upstream could take the request.', { code: 'no_upstream' });
}

/** A failed attempt, kept with its account, and whether the upstream answered it with an error (else it failed to answer). */
interface FailedAttempt {
  error: unknown;
  attempt: Attempt;
  answered: boolean;
}

/** Names the attempt's account, model and price as the call's (`ctx`): the one it was served by, or whose failure it got. */
function attributeTo(attempt: Attempt, ctx: RequestContext): void {
  ctx.provider = attempt.provider.id;
  ctx.account = attempt.account.id;
  ctx.upstreamModel = attempt.model;
  ctx.price = attempt.price;
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
