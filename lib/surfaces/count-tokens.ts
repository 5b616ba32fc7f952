import { json } from '../http/body';
import type { GatewayRequest, GatewayResponse } from '../http/types';
import { admit, apiKeyFor } from '../pipeline/model-call';
import type { RequestContext } from '../pipeline/context';
import type { ProxyDeps } from '../pipeline/deps';
import { anthropicPassthroughRequest } from '../providers/anthropic';
import { vertexClaudeCountTokensRequest, vertexPublisher, vertexTarget } from '../providers/vertex';
import { planAttempts } from '../routing/attempts';
import { callTimeouts, type UpstreamRequest } from '../upstream/http';
import { countTokensEstimate, decodeAnthropicRequest, validateAnthropicRequest } from './anthropic-messages';

/**
 * `POST /v1/messages/count_tokens`: asked of the model's first Anthropic target or Claude on
 * Vertex (`count-tokens:rawPredict`) when it has one (the exact count), else estimated. Counting
 * costs nothing, so it leaves no usage record.
 */
export async function countTokens(req: GatewayRequest, ctx: RequestContext, deps: ProxyDeps): Promise<GatewayResponse> {
  const call = await admit(req, ctx, deps, (body) => validateAnthropicRequest(body, { countTokens: true }), undefined, undefined, false);
  // Counting costs nothing: no usage record (the key is still known, for the log line and the audit record).
  ctx.unmetered = true;
  const counter = planAttempts(call.entry.targets).find((a) => a.provider.type === 'anthropic' || (a.provider.type === 'vertex' && vertexPublisher(a.model) === 'anthropic'));
  if (counter?.provider.type === 'vertex') {
    const counted = await countedUpstream(ctx, deps, async () =>
      vertexClaudeCountTokensRequest(call.body, req.headers, {
        target: vertexTarget(counter.provider, counter.account),
        model: counter.model,
        token: await apiKeyFor(counter, deps),
        accountHeaders: counter.account.headers,
        timeouts: callTimeouts(deps.config.timeouts, undefined, false),
        betas: counter.provider.type === 'vertex' ? counter.provider.anthropicBetas : undefined,
      }),
    );
    if (counted) return counted;
  } else if (counter) {
    const provider = counter.provider as { baseUrl?: string; version?: string };
    const counted = await countedUpstream(ctx, deps, async () =>
      anthropicPassthroughRequest({
          body: call.body,
          headers: req.headers,
          baseUrl: counter.account.baseUrl ?? provider.baseUrl ?? 'https://api.anthropic.com',
          apiKey: await apiKeyFor(counter, deps),
          model: counter.model,
          stream: false,
          ...(provider.version ? { version: provider.version } : {}),
          endpoint: 'count_tokens',
          timeouts: callTimeouts(deps.config.timeouts, undefined, false),
        }),
    );
    if (counted) return counted;
  }
  const canonical = decodeAnthropicRequest(call.body, { mode: 'passthrough', countTokens: true });
  return json(200, { input_tokens: countTokensEstimate(canonical) });
}

/**
 * A token count asked of an upstream, its answer passed on as it is; undefined when the upstream
 * failed or refused (logged), so the caller estimates instead: a count is advice, not worth an error.
 */
export async function countedUpstream(ctx: RequestContext, deps: ProxyDeps, request: () => Promise<UpstreamRequest>): Promise<GatewayResponse | undefined> {
  try {
    const res = await deps.upstream.send(await request());
    const text = await res.body.text();
    if (res.status === 200) return { status: 200, headers: { 'content-type': 'application/json' }, body: text };
    deps.logger.warn('token count upstream failed; estimating', { requestId: ctx.requestId, status: res.status });
  } catch (err) {
    deps.logger.warn('token count upstream failed; estimating', { requestId: ctx.requestId, error: (err as Error).message });
  }
  return undefined;
}
