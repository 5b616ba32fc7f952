import { GatewayError } from '../http/errors';
import { retryAfterMs } from '../routing/health';

/**
 * What a failed attempt tells the client, from most to least worth acting on: wait and try again
 * (a rate limit, then an overload, then any other failure of the account: a 5xx, a timeout, a
 * connection that failed or an answer that broke off), or this account cannot serve this call at
 * all (it lacks the model or deployment, or refused the gateway's credentials), which says nothing
 * to a client once every account has failed and, shown, would turn a capacity problem into a
 * configuration one.
 */
export const FAILURE_RANKS = { cannotServe: 0, failed: 1, overloaded: 2, rateLimited: 3 } as const;

export type FailureRank = (typeof FAILURE_RANKS)[keyof typeof FAILURE_RANKS];

/** The codes of an account's failures that say only that it cannot serve the call, whenever asked again. */
const CANNOT_SERVE = new Set<string | undefined>(['upstream_failed_precondition', 'upstream_auth_failed', 'upstream_credentials_missing', 'upstream_assume_role_denied']);

/**
 * A failed attempt's rank (`FAILURE_RANKS`): anything thrown that is not a GatewayError (a bug, a
 * socket's error) is a failure of the account like a 5xx.
 *
 * @example
 * failureRank(new GatewayError('rate_limit', 'slow down')) // FAILURE_RANKS.rateLimited
 * failureRank(new GatewayError('upstream_error', 'no such model', { code: 'upstream_failed_precondition' })) // FAILURE_RANKS.cannotServe
 */
export function failureRank(error: unknown): FailureRank {
  if (!(error instanceof GatewayError)) return FAILURE_RANKS.failed;
  if (CANNOT_SERVE.has(error.code)) return FAILURE_RANKS.cannotServe;
  if (error.status === 429) return FAILURE_RANKS.rateLimited;
  if (error.kind === 'overloaded' || error.status === 503 || error.status === 529) return FAILURE_RANKS.overloaded;
  return FAILURE_RANKS.failed;
}

/** One failed attempt, with whatever its caller keeps beside it (the account that failed). */
export interface Failure {
  error: unknown;
}

/**
 * Of the failure kept so far and the one just seen, the one the client should get if no account
 * answers: the higher rank (`failureRank`); between two rate limits, the one whose retry-after is
 * shortest (one that names none counts as longest: the client learns nothing of when); else, among
 * equals, the later one. Pure: `nowMs` reads a retry-after given as a date.
 *
 * @example
 * tellingFailure({ error: rateLimited }, { error: modelMissing }, now).error // rateLimited
 * tellingFailure({ error: timedOut }, { error: serverError }, now).error // serverError: equals, the later
 */
export function tellingFailure<F extends Failure>(kept: F | undefined, next: F, nowMs: number): F {
  if (kept === undefined) return next;
  const keptRank = failureRank(kept.error);
  const nextRank = failureRank(next.error);
  if (keptRank !== nextRank) return nextRank > keptRank ? next : kept;
  if (nextRank !== FAILURE_RANKS.rateLimited) return next;
  return waitOf(kept.error, nowMs) < waitOf(next.error, nowMs) ? kept : next;
}

/** How long a rate limit asks the client to wait; unbounded when it does not say. */
const waitOf = (error: unknown, nowMs: number): number => (error instanceof GatewayError ? retryAfterMs(error.headers, nowMs) : undefined) ?? Number.POSITIVE_INFINITY;
