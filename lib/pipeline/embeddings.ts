import type { ProviderConfig } from '../config/schema';
import { GatewayError } from '../http/errors';
import type { GatewayRequest, GatewayResponse } from '../http/types';
import { azureEmbeddingsRequest } from '../providers/azure-openai';
import { errorFromOpenAIUpstream } from '../providers/openai/errors';
import { openAIEmbeddingsRequest, type OpenAIChatCall } from '../providers/openai/request';
import { usageFromOpenAI } from '../providers/openai/usage';
import type { Target } from '../routing/catalog';
import { parseEmbeddingsRequest } from '../surfaces/openai-embeddings';
import type { UpstreamRequest } from '../upstream/http';
import { wholeAnswer } from './answers';
import { worstCaseOfEmbeddings } from './budget';
import type { RequestContext } from './context';
import type { ProxyDeps } from './deps';
import { admit, apiKeyFor, holdLimits, type AdmittedCall } from './model-call';
import { requestSignal } from './signal';
import { tryTargets } from './try-targets';

/** The surface name in usage records and log lines. */
export const EMBEDDINGS_SURFACE = 'openai-embeddings';

/**
 * The provider types that serve OpenAI's Embeddings API, each with its request: the client's body
 * passes through as chat bodies do. Gemini and Bedrock embed through APIs of their own, which the
 * gateway does not translate to.
 */
const EMBEDDINGS_REQUEST: Partial<Record<ProviderConfig['type'], (call: OpenAIChatCall) => UpstreamRequest>> = {
  openai: openAIEmbeddingsRequest,
  'openai-compatible': openAIEmbeddingsRequest,
  'azure-openai': azureEmbeddingsRequest,
};

/**
 * `POST /v1/embeddings`: admitted and limited as a chat call is (with the input as its whole
 * worst case), tried on the model's targets that can embed with chat's failover, and answered
 * with the upstream's bytes, read for usage once sent.
 */
export async function embeddingsCall(req: GatewayRequest, ctx: RequestContext, deps: ProxyDeps): Promise<GatewayResponse> {
  ctx.surface = EMBEDDINGS_SURFACE;
  const call = await admit(req, ctx, deps, (body) => void parseEmbeddingsRequest(body));
  // Embeddings have no streams; a stray `stream: true` goes upstream untouched like any unknown field.
  ctx.stream = false;
  const targets = embeddingTargets(call);
  await holdLimits(call, ctx, deps, () => worstCaseOfEmbeddings(call, targets));
  const signal = requestSignal(req, deps.now);
  const { res } = await tryTargets(targets, {}, ctx, deps, signal, async (attempt) => {
    const request = EMBEDDINGS_REQUEST[attempt.provider.type]!({
      provider: attempt.provider,
      account: attempt.account,
      apiKey: await apiKeyFor(attempt, deps),
      model: attempt.model,
      body: call.body,
      raw: call.raw,
      stream: false,
      timeouts: { ...deps.config.timeouts, ...attempt.provider.timeouts },
      ...(signal ? { signal } : {}),
    });
    return { res: await deps.upstream.send(request), parseError: errorFromOpenAIUpstream, via: undefined };
  });
  return wholeAnswer(res, ctx, signal, (json) => usageFromOpenAI((json as { usage?: unknown } | null)?.usage));
}

/** The model's targets that can embed; when none can, a 400 naming the provider types (skipped silently when another can). */
export function embeddingTargets(call: Pick<AdmittedCall, 'model' | 'entry'>): Target[] {
  const targets = call.entry.targets.filter((t) => EMBEDDINGS_REQUEST[t.provider.type] !== undefined);
  if (targets.length > 0) return targets;
  const types = [...new Set(call.entry.targets.map((t) => t.provider.type))].join(', ');
  return refuse(call.model, types);
}

function refuse(model: string, types: string): never {
  throw new GatewayError('invalid_request', `Embeddings are not supported by provider type ${types} (the targets of model \`${model}\`); only openai, openai-compatible and azure-openai providers serve them.`, {
    param: 'model',
    code: 'unsupported_parameter',
  });
}
