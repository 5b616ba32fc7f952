import type { RateHold } from '../access/rate-limiter';
import type { RateStanding } from '../access/rate-standing';
import type { Reservation } from '../access/spend-limiter';
import type { AuditCapture } from '../audit/capture';
import type { CacheTicket } from '../cache/response-cache';
import type { Price } from '../config/schema';
import type { Release } from '../routing/account-load';
import type { BalancedBy } from '../routing/balance';
import type { GuardrailHit, Guardrails } from '../guardrails/scan';
import type { TokenUsage } from '../usage/tokens';
import type { UsageRecord } from '../usage/record';

/** What the pipeline learns about one request as it goes; the usage record and access log are made from it. */
export interface RequestContext {
  requestId: string;
  startedAt: Date;
  /** performance.now() at arrival, for durations. */
  startPerf: number;
  surface: string;
  /**
   * Set by model calls once the key is known good (by the authenticator, before it checks the
   * key's address list): only those leave usage records (a flood of unauthenticated requests
   * must not turn into table writes).
   */
  keyId?: string;
  /** The key's team, when it has one: usage records carry it. */
  teamId?: string;
  /** The end user the request names (`lib/access/end-user.ts`), as given: usage records carry it, the log line a digest of it. */
  endUser?: string;
  /** The call costs nothing and leaves no usage record (token counts); its audit record is still made. */
  unmetered?: true;
  model?: string;
  stream: boolean;
  /** A Gemini stream asked for without `alt=sse`: written as one JSON array, not SSE. */
  jsonArray?: boolean;
  provider?: string;
  account?: string;
  upstreamModel?: string;
  attempts: number;
  status?: number;
  outcome?: UsageRecord['outcome'];
  errorCode?: string;
  /** The failure's `GatewayError.detail`: for the access log line, never the client. */
  errorDetail?: string;
  usage?: TokenUsage;
  /** Some of `usage` is the gateway's estimate (a stream cut off before the upstream's last count). */
  usageEstimated?: boolean;
  /** Reads the usage out of an answer once it has gone to the client (parsing it is no reason to make the client wait). */
  usageLater?: () => TokenUsage | undefined;
  ttftMs?: number;
  /** The minute the call was counted in, when its key or its team has a tokens-per-minute limit: its tokens go there. */
  rateHold?: RateHold;
  /**
   * Where the call left its key's and its team's per-minute limits (admitted or refused): the
   * answer's rate-limit headers. Absent for callers without such limits, who get no headers.
   */
  rateStanding?: RateStanding;
  /** What the call holds of its key's and its team's budgets, settled when it ends. */
  reservation?: Reservation;
  /**
   * How many times the call is billed its price per call (`price.perRequest`): a rerank call's
   * search units. One when absent. A passed-through answer's reader sets it when it reads the
   * answer (`usageLater`), which is before the books are closed.
   */
  billedUnits?: number;
  /** The price of the target that served (or last tried) the call. */
  price?: Price;
  /** What the guardrails found in the body, per rule (`lib/pipeline/guardrails.ts`); absent when nothing. */
  guardrails?: GuardrailHit[];
  /** The stored Responses objects the call deleted, by id: their homes are removed with its usage record. */
  storedHomesGone?: string[];
  /** The answer is screened by the guardrails' rules on answers (there are some, and the caller is not exempt): set in `guardedBody`. */
  screensAnswer?: true;
  /** The rules on answers of the named rule set the caller chose (`guardrails.sets`), when it chose one that has some; else the gateway's own apply. */
  answerRules?: { rules: Guardrails; window: number };
  /**
   * Which rules screen the answer, where they differ from the gateway's own: `set:<name>`, or
   * `none` (an exempt caller, or a set without rules on answers, while the gateway's own look at
   * answers). Absent when they are the gateway's own. The response cache keys on it: answers
   * screened otherwise are other bytes.
   */
  answerScreen?: string;
  /** The bodies of a call the audit log covers (`lib/audit/`); absent for every other call. */
  audit?: AuditCapture;
  /** What the model's request parameter policy changed in the body (`lib/params/`), e.g. `maxOutputTokens:capped`; absent when nothing. */
  params?: string[];
  /**
   * The client's stop sequences, when the serving attempt's model refuses `stop` and the gateway
   * cuts the answer at them itself (`stop:emulated` in `params`, `lib/pipeline/stop-emulation/`);
   * absent for every other call.
   */
  emulatedStop?: readonly string[];
  /** What the response cache did for a call of a model with `cache` (`lib/cache/`); absent for every other call. */
  cache?: CacheTicket;
  /** Gives back the serving account's place in flight (`AccountLoad`); the books' closing calls it, once the answer has ended. */
  releaseAccount?: Release;
  /** What ordered the serving account's pool, when its target balances other than by weight (the access log line says it). */
  balancedBy?: BalancedBy;
}

export function newContext(requestId: string, surface: string, now: Date): RequestContext {
  return { requestId, startedAt: now, startPerf: performance.now(), surface, stream: false, attempts: 0 };
}
