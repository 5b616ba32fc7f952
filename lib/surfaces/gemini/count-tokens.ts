import { json } from '../../http/body';
import type { GatewayRequest, GatewayResponse } from '../../http/types';
import type { RequestContext } from '../../pipeline/context';
import type { ProxyDeps } from '../../pipeline/deps';
import { admit, apiKeyFor } from '../../pipeline/model-call';
import { geminiBaseUrl, geminiMethodUrl } from '../../providers/gemini';
import { vertexGeminiPassthroughRequest, vertexPublisher, vertexTarget } from '../../providers/vertex';
import { planAttempts } from '../../routing/attempts';
import { callTimeouts, jsonPost } from '../../upstream/http';
import { charTokens, countTokensEstimate } from '../anthropic-messages';
import { countedUpstream } from '../count-tokens';
import { decodeGeminiRequest, validateGeminiRequest } from './decode';

/**
 * `POST /v1beta/models/{model}:countTokens`: asked of the model's first Gemini target (the Gemini
 * API's, or Vertex's) when it has one (the exact count, with the body as the client sent it),
 * else estimated as `count_tokens` is for Anthropic clients (`{totalTokens}`). Counting costs nothing, so it leaves no usage record.
 */
export async function countGeminiTokens(req: GatewayRequest, ctx: RequestContext, deps: ProxyDeps, model: string): Promise<GatewayResponse> {
  const call = await admit(req, ctx, deps, (body) => validateGeminiRequest(body, { countTokens: true }), { model, stream: false }, undefined, false);
  // Counting costs nothing: no usage record (the key is still known, for the log line and the audit record).
  ctx.unmetered = true;
  const gemini = planAttempts(call.entry.targets).find((a) => a.provider.type === 'gemini' || (a.provider.type === 'vertex' && vertexPublisher(a.model) === 'google'));
  if (gemini?.provider.type === 'vertex') {
    const counted = await countedUpstream(ctx, deps, async () =>
      vertexGeminiPassthroughRequest(
        // Vertex takes `contents` at the top, as the Gemini API does; a `generateContentRequest` it refuses is estimated instead.
        upstreamBody(call.body, call.raw, gemini.model),
        { target: vertexTarget(gemini.provider, gemini.account), model: gemini.model, token: await apiKeyFor(gemini, deps), stream: false, accountHeaders: gemini.account.headers, timeouts: callTimeouts(deps.config.timeouts, undefined, false) },
        'countTokens',
      ),
    );
    if (counted) return counted;
  } else if (gemini) {
    const counted = await countedUpstream(ctx, deps, async () => {
      const apiKey = await apiKeyFor(gemini, deps);
      return jsonPost(geminiMethodUrl(geminiBaseUrl(gemini.provider, gemini.account), gemini.model, 'countTokens'), upstreamBody(call.body, call.raw, gemini.model), {
        stream: false,
        accountHeaders: gemini.account.headers,
        ...(apiKey ? { auth: { 'x-goog-api-key': apiKey } } : {}),
        timeouts: callTimeouts(deps.config.timeouts, undefined, false),
      });
    });
    if (counted) return counted;
  }
  return json(200, { totalTokens: estimate(call.body, call.raw) });
}

/** The client's bytes, unless a `generateContentRequest` names the client's model, which the upstream knows by another name. */
function upstreamBody(body: Record<string, unknown>, raw: Uint8Array, model: string): string | Uint8Array {
  const inner = body.generateContentRequest as Record<string, unknown> | undefined;
  if (!inner || typeof inner.model !== 'string') return raw;
  return JSON.stringify({ ...body, generateContentRequest: { ...inner, model: `models/${model}` } });
}

/** The canonical estimate; a body that does not translate (built-in tools, audio) is estimated by its size. */
function estimate(body: Record<string, unknown>, raw: Uint8Array): number {
  const request = body.contents === undefined && typeof body.generateContentRequest === 'object' ? (body.generateContentRequest as Record<string, unknown>) : body;
  try {
    return countTokensEstimate(decodeGeminiRequest(request));
  } catch {
    return charTokens(raw.length);
  }
}
