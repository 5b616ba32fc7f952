import type { RateLimiter } from '../access/rate-limiter';
import type { GatewayLogger } from '../observe/logger';
import type { UsageSink } from '../usage/record';
import { NO_TOKENS } from '../usage/tokens';
import type { RequestContext } from './context';

const round = (ms: number) => Math.round(ms * 100) / 100;

/**
 * Closes the books on a request once its response has ended: one usage record (for metered
 * calls by a known key), its tokens counted against a tokens-per-minute limit, and one access log
 * line. None of it waits on I/O.
 */
export function finishRequest(ctx: RequestContext, deps: { usage: UsageSink; limiter: RateLimiter; logger: GatewayLogger }): void {
  const latencyMs = round(performance.now() - ctx.startPerf);
  const status = ctx.status ?? 500;
  const outcome = ctx.outcome ?? (status < 400 ? 'ok' : 'error');
  const tokens = ctx.usage ?? ctx.usageLater?.() ?? NO_TOKENS;
  const ttftMs = ctx.ttftMs === undefined ? undefined : round(ctx.ttftMs);
  if (ctx.keyId) {
    deps.usage.record({
      requestId: ctx.requestId,
      at: ctx.startedAt,
      keyId: ctx.keyId,
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
      latencyMs,
      attempts: ctx.attempts,
      ...(ctx.provider ? { provider: ctx.provider } : {}),
      ...(ctx.account ? { account: ctx.account } : {}),
      ...(ctx.upstreamModel ? { upstreamModel: ctx.upstreamModel } : {}),
      ...(ctx.errorCode ? { errorCode: ctx.errorCode } : {}),
      ...(ttftMs !== undefined ? { ttftMs } : {}),
    });
  }
  if (ctx.rateWindow && ctx.keyId) deps.limiter.settle(ctx.keyId, ctx.rateWindow, tokens.input + tokens.output, ctx.requestId);
  deps.logger.info('request', {
    requestId: ctx.requestId,
    surface: ctx.surface,
    keyId: ctx.keyId,
    model: ctx.model,
    provider: ctx.provider,
    account: ctx.account,
    stream: ctx.stream,
    status,
    outcome,
    errorCode: ctx.errorCode,
    attempts: ctx.attempts,
    latencyMs,
    ttftMs,
    inputTokens: tokens.input,
    outputTokens: tokens.output,
  });
}
