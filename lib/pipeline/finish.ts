import { endUserDigest } from '../access/end-user';
import type { RateLimiter } from '../access/rate-limiter';
import type { Price } from '../config/schema';
import type { SpendLimiter } from '../access/spend-limiter';
import { costOf, type Micros } from '../usage/cost';
import type { TokenUsage } from '../usage/tokens';
import type { GatewayLogger } from '../observe/logger';
import type { UsageRecord, UsageSink } from '../usage/record';
import type { AuditLog } from '../audit/log';
import { NO_TOKENS } from '../usage/tokens';
import type { RequestContext } from './context';

const round = (ms: number) => Math.round(ms * 100) / 100;

/**
 * Closes the books on a request once its response has ended: one usage record (for metered
 * calls by a known key) with its cost, and its audit record when the audit log covers it; its tokens counted against the tokens-per-minute limits of
 * its key and team, their budgets settled, and one access log line. None of it waits on I/O.
 */
export function finishRequest(ctx: RequestContext, deps: { usage: UsageSink; limiter: RateLimiter; spend: SpendLimiter; logger: GatewayLogger; audit?: AuditLog }): void {
  // First: nothing below may keep the account counted busy.
  ctx.releaseAccount?.();
  const latencyMs = round(performance.now() - ctx.startPerf);
  const status = ctx.status ?? 500;
  const outcome = ctx.outcome ?? (status < 400 ? 'ok' : 'error');
  const tokens = ctx.usage ?? ctx.usageLater?.() ?? NO_TOKENS;
  const ttftMs = ctx.ttftMs === undefined ? undefined : round(ctx.ttftMs);
  // Read after the tokens: reading a whole answer's usage may set the units it was billed.
  const hit = ctx.cache?.status === 'hit';
  // A hit reached no upstream: it costs nothing, whatever the stored answer's tokens.
  const costMicros = hit ? 0 : ctx.price ? costOf(tokens, status < 400 ? ctx.price : tokenPrices(ctx.price), ctx.billedUnits) : undefined;
  if (ctx.keyId) {
    const usage: UsageRecord = {
      requestId: ctx.requestId,
      at: ctx.startedAt,
      keyId: ctx.keyId,
      ...(ctx.teamId ? { teamId: ctx.teamId } : {}),
      ...(ctx.endUser ? { endUser: ctx.endUser } : {}),
      surface: ctx.surface,
      model: ctx.model ?? '',
      stream: ctx.stream,
      status,
      outcome,
      inputTokens: tokens.input,
      outputTokens: tokens.output,
      cacheReadTokens: tokens.cacheRead,
      cacheWriteTokens: tokens.cacheWrite,
      reasoningTokens: tokens.reasoning,
      ...(ctx.usageEstimated ? { estimated: true as const } : {}),
      ...(ctx.billedUnits !== undefined ? { billedUnits: ctx.billedUnits } : {}),
      latencyMs,
      attempts: ctx.attempts,
      ...(ctx.provider ? { provider: ctx.provider } : {}),
      ...(ctx.account ? { account: ctx.account } : {}),
      ...(ctx.upstreamModel ? { upstreamModel: ctx.upstreamModel } : {}),
      ...(ctx.balancedBy ? { balancedBy: ctx.balancedBy } : {}),
      ...(ctx.errorCode ? { errorCode: ctx.errorCode } : {}),
      ...(ttftMs !== undefined ? { ttftMs } : {}),
      ...(costMicros !== undefined ? { costMicros } : {}),
      ...(ctx.cache ? { cache: ctx.cache.status } : {}),
      ...(ctx.cache?.savedMicros !== undefined ? { savedMicros: ctx.cache.savedMicros } : {}),
      ...(ctx.guardrails ? { guardrails: ctx.guardrails } : {}),
      ...(ctx.params ? { params: ctx.params } : {}),
    };
    if (!ctx.unmetered) deps.usage.record(usage, ctx.storedHomesGone);
    // The record of a covered call's bodies, with the same facts as its usage record (token counts too, which have none).
    if (ctx.audit) deps.audit?.record(ctx.audit, usage);
  }
  if (ctx.reservation) deps.spend.settle(ctx.reservation, spentBy(ctx, tokens, costMicros), ctx.requestId);
  // A hit's tokens used no upstream's capacity: tokensPerMinute counts none (its request was counted).
  if (ctx.rateHold && !hit) deps.limiter.settle(ctx.rateHold, tokens.input + tokens.output, ctx.requestId);
  ctx.cache?.store?.({ status, outcome, estimated: ctx.usageEstimated === true, tokens, costMicros });
  deps.logger.info('request', {
    requestId: ctx.requestId,
    surface: ctx.surface,
    keyId: ctx.keyId,
    // A digest, not the id: the line tells end users apart without carrying the caller's identifier into the logs.
    endUser: ctx.endUser === undefined ? undefined : endUserDigest(ctx.endUser),
    model: ctx.model,
    provider: ctx.provider,
    account: ctx.account,
    stream: ctx.stream,
    status,
    outcome,
    errorCode: ctx.errorCode,
    errorDetail: ctx.errorDetail,
    attempts: ctx.attempts,
    latencyMs,
    ttftMs,
    inputTokens: tokens.input,
    outputTokens: tokens.output,
    estimated: ctx.usageEstimated,
    costMicros,
    cache: ctx.cache?.status,
    savedMicros: ctx.cache?.savedMicros,
    params: ctx.params,
    balancedBy: ctx.balancedBy,
  });
}

/** A price without its price per call: a call that got no answer (the upstream refused it, or none answered) is billed no call, only tokens it reported. */
function tokenPrices(price: Price): Price {
  const { perRequest: _perCall, ...tokens } = price;
  return tokens;
}

/**
 * What a call with a budget spent: nothing if it never reached an upstream; its cost if its usage
 * is known or estimated (a cut-off stream, `lib/usage/cut-off.ts`); unknown (so it keeps what it
 * held) if it was cut off with not even its prompt estimated, since the provider may still charge
 * for the prompt it read.
 */
export function spentBy(ctx: Pick<RequestContext, 'attempts' | 'outcome'>, tokens: TokenUsage, cost: Micros | undefined): Micros | undefined {
  if (ctx.attempts === 0) return 0;
  const cutOff = ctx.outcome === 'aborted' || ctx.outcome === 'interrupted';
  if (cutOff && tokens.input === 0 && tokens.output === 0) return undefined;
  return cost ?? 0;
}
