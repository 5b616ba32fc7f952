import type { GatewayConfig, ProviderConfig } from '../config/schema';
import { GatewayError } from '../http/errors';
import type { GatewayRequest, GatewayResponse } from '../http/types';
import { azureOperationRequest } from '../providers/azure-openai';
import { errorFromOpenAIUpstream } from '../providers/openai/errors';
import { openAIOperationRequest, type OpenAIChatCall, type OpenAIOperation } from '../providers/openai/request';
import type { Target } from '../routing/catalog';
import { parseCompletionsRequest } from '../surfaces/openai-completions';
import { parseEmbeddingsRequest } from '../surfaces/openai-embeddings';
import type { UpstreamRequest } from '../upstream/http';
import type { Micros } from '../usage/cost';
import { passthroughAnswer } from './answers';
import { OPENAI_CHAT } from './bindings';
import { worstCaseOfCall, worstCaseOfEmbeddings } from './budget';
import type { RequestContext } from './context';
import type { ProxyDeps } from './deps';
import { admit, apiKeyFor, holdLimits, type AdmittedCall } from './model-call';
import { passthroughFor, type PassthroughRoute } from './passthrough';
import { requestSignal } from './signal';
import { EMBEDDINGS_TRANSLATORS } from './embeddings-translate';
import type { Translated, Translator } from './fan-out';
import { tryTargets } from './try-targets';

/**
 * An OpenAI API operation of no chat: passed through untouched (but for the model) to
 * OpenAI-dialect providers, and translated for the provider types in its `translate` table
 * (embeddings on Bedrock and Gemini). Anthropic has no counterpart for either.
 */
export interface OpenAIOnlyOperation {
  /** The surface name in usage records and log lines. */
  surface: string;
  /** Its path under an OpenAI-dialect base URL. */
  path: OpenAIOperation;
  /** What a refusal calls it. */
  title: string;
  /** Checks the body leniently; a 400 naming the field. */
  validate(body: Record<string, unknown>): void;
  /** Whether the operation may answer with a stream (`stream: true`). */
  streams: boolean;
  /** The most a call may cost (keys with budgets), over the targets that may serve it. */
  worstCase(call: AdmittedCall, targets: readonly Target[], config: GatewayConfig): Micros;
  /** Provider types of other dialects that serve the operation by translation, one attempt each. */
  translate?: Partial<Record<ProviderConfig['type'], Translator>>;
}

/** `POST /v1/embeddings`: Continue and other editors index code through it. Never a stream. */
export const EMBEDDINGS: OpenAIOnlyOperation = {
  surface: 'openai-embeddings',
  path: 'embeddings',
  title: 'Embeddings',
  validate: (body) => void parseEmbeddingsRequest(body),
  streams: false,
  worstCase: (call, targets) => worstCaseOfEmbeddings(call, targets),
  translate: EMBEDDINGS_TRANSLATORS,
};

/** `POST /v1/completions` (legacy text completions): code-completion clients send fill-in-the-middle through it (`prompt` + `suffix`). */
export const COMPLETIONS: OpenAIOnlyOperation = {
  surface: 'openai-completions',
  path: 'completions',
  title: 'Text completions (/v1/completions)',
  validate: (body) => void parseCompletionsRequest(body),
  streams: true,
  // No canonical form: the prompt is estimated from the body's bytes (more than the prompt, never less).
  worstCase: (call, _targets, config) => worstCaseOfCall(call, undefined, config),
};

/** The request of each provider type that serves OpenAI's own operations. */
const REQUEST: Partial<Record<ProviderConfig['type'], (call: OpenAIChatCall, operation: OpenAIOperation) => UpstreamRequest>> = {
  openai: openAIOperationRequest,
  'openai-compatible': openAIOperationRequest,
  'azure-openai': azureOperationRequest,
};

/**
 * An operation of `OpenAIOnlyOperation`: admitted and limited as a chat call is, tried on the
 * model's targets that serve it with chat's failover, and answered with the upstream's bytes
 * (a stream relayed as chat streams are), read for usage on the side; or, from a target the
 * operation translates for, with the answer its translator made.
 */
export async function openAIOnlyCall(operation: OpenAIOnlyOperation, req: GatewayRequest, ctx: RequestContext, deps: ProxyDeps, finish: () => void): Promise<GatewayResponse> {
  ctx.surface = operation.surface;
  const call = await admit(req, ctx, deps, operation.validate);
  // A stray `stream: true` on an operation without streams goes upstream untouched like any unknown field.
  if (!operation.streams) ctx.stream = false;
  const targets = targetsFor(operation, call);
  await holdLimits(call, ctx, deps, () => operation.worstCase(call, targets, deps.config));
  const signal = requestSignal(req, deps.now);
  const { res, via } = await tryTargets<Served>(targets, {}, ctx, deps, signal, async (attempt) => {
    const translate = operation.translate?.[attempt.provider.type];
    if (translate) {
      const sent = await translate(call, attempt, deps, signal);
      return { ...sent, via: { translated: sent.via } };
    }
    const request = REQUEST[attempt.provider.type]!(
      {
        provider: attempt.provider,
        account: attempt.account,
        apiKey: await apiKeyFor(attempt, deps),
        model: attempt.model,
        body: call.body,
        raw: call.raw,
        stream: ctx.stream,
        timeouts: { ...deps.config.timeouts, ...attempt.provider.timeouts },
        ...(signal ? { signal } : {}),
      },
      operation.path,
    );
    // Chat's passthrough relays and meters these operations' answers too (same usage, same SSE framing).
    return { res: await deps.upstream.send(request), parseError: errorFromOpenAIUpstream, via: { pass: passthroughFor('openai', attempt, deps.providers)! } };
  });
  if ('translated' in via) return translatedJson(via.translated, ctx);
  return passthroughAnswer({ res, ctx, deps, binding: OPENAI_CHAT, signal, finish, clientModel: call.model, body: call.body, raw: call.raw }, via.pass, OPENAI_CHAT.wantsStreamUsage(call.body));
}

/** How an attempt was served: passed through (its answer still to relay) or translated (its answer made). */
type Served = { pass: PassthroughRoute } | { translated: Translated };

/** A translated answer, whole, its usage known at once. */
function translatedJson(answer: Translated, ctx: RequestContext): GatewayResponse {
  ctx.status = 200;
  ctx.ttftMs = performance.now() - ctx.startPerf;
  ctx.usage = answer.usage;
  if (answer.estimated) ctx.usageEstimated = true;
  return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(answer.body) };
}

/** The model's targets that serve the operation; when none can, a 400 naming the provider types (skipped silently when another can). */
export function targetsFor(operation: OpenAIOnlyOperation, call: Pick<AdmittedCall, 'model' | 'entry'>): Target[] {
  const serves = (type: ProviderConfig['type']) => REQUEST[type] !== undefined || operation.translate?.[type] !== undefined;
  const targets = call.entry.targets.filter((t) => serves(t.provider.type));
  if (targets.length > 0) return targets;
  const types = [...new Set(call.entry.targets.map((t) => t.provider.type))].join(', ');
  const serving = [...Object.keys(REQUEST), ...Object.keys(operation.translate ?? {})].join(', ');
  throw new GatewayError(
    'invalid_request',
    `${operation.title} are not supported by provider type ${types} (the targets of model \`${call.model}\`); only ${serving} providers serve them.`,
    { param: 'model', code: 'unsupported_parameter' },
  );
}
