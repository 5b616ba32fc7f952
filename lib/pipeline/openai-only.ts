import type { GatewayConfig, ProviderConfig } from '../config/schema';
import { GatewayError } from '../http/errors';
import type { GatewayRequest, GatewayResponse } from '../http/types';
import { azureOperationTarget } from '../providers/azure-openai';
import { errorFromOpenAIUpstream } from '../providers/openai/errors';
import { openAIMediaRequest } from '../providers/openai/media-request';
import { openAIOperationTarget, operationRequest, type OpenAIChatCall, type OpenAIOperation, type OperationTarget } from '../providers/openai/request';
import type { Target } from '../routing/catalog';
import { parseCompletionsRequest } from '../surfaces/openai-completions';
import { parseEmbeddingsRequest } from '../surfaces/openai-embeddings';
import { multipartRequestFields } from '../surfaces/openai-media/request';
import type { Micros } from '../usage/cost';
import type { TokenUsage } from '../usage/tokens';
import { passthroughAnswer } from './answers';
import { OPENAI_CHAT } from './bindings';
import { worstCaseOfCall, worstCaseOfEmbeddings } from './budget';
import type { RequestContext } from './context';
import type { ProxyDeps } from './deps';
import { admit, answered, apiKeyFor, cacheFor, limitsThenCache, type AdmittedCall } from './model-call';
import { OPENAI_MEDIA_READER, passthroughFor, type PassthroughReader } from './passthrough';
import { isRawMedia, rawMediaAnswer } from './raw-media';
import { requestSignal } from './signal';
import { EMBEDDINGS_TRANSLATORS } from './embeddings-translate';
import type { Translated, Translator } from './fan-out';
import { tryTargets } from './try-targets';
import { callTimeouts } from '../upstream/http';

/**
 * An OpenAI-dialect operation of no chat (OpenAI's own, and rerank, which OpenAI-compatible
 * servers serve in Cohere's shape): passed through untouched (but for the model) to the
 * OpenAI-dialect providers that have it, and translated for the provider types in its `translate`
 * table (embeddings on Bedrock and Gemini, rerank on Bedrock). Anthropic has no counterpart for any.
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
  /** Whether a call asks for a stream (its `stream`, speech's `stream_format: "sse"`, an upload's `stream` field); never when absent. */
  streamed?(body: Record<string, unknown>): boolean;
  /** Its answer comes in pieces though not a stream (speech's audio, relayed as it is made): the first-answer deadline (`callTimeouts`) bounds its start. */
  inPieces?: true;
  /** The most a call may cost (keys with budgets), over the targets that may serve it. */
  worstCase(call: AdmittedCall, targets: readonly Target[], config: GatewayConfig): Micros;
  /** The OpenAI-dialect provider types that serve the operation passed through; all three (`openai`, `openai-compatible`, `azure-openai`) when absent. */
  passthrough?: readonly PassthroughType[];
  /** Provider types of other dialects that serve the operation by translation, one attempt each. */
  translate?: Partial<Record<ProviderConfig['type'], Translator>>;
  /**
   * Reads a passed-through answer's usage in the operation's own terms, onto the request's books
   * (rerank: tokens under its servers' names, else estimated; its search units); chat's reader
   * when absent. Called once the answer has gone to the client.
   */
  meter?(call: AdmittedCall, ctx: RequestContext): (json: unknown) => TokenUsage | undefined;
  /** Images, audio and moderations: passed through as they come (JSON or an upload), their answers' bytes too (text, media streams; audio relayed as it arrives). */
  media?: MediaPassage;
}

/** How a media operation's call comes. */
export interface MediaPassage {
  /** The body is a multipart/form-data upload, routed by its `model` field. */
  multipart: boolean;
}

/** A JSON body's own ask for a stream. */
export const asksForStream = (body: Record<string, unknown>): boolean => body.stream === true;

/** `POST /v1/embeddings`: Continue and other editors index code through it. Never a stream. */
export const EMBEDDINGS: OpenAIOnlyOperation = {
  surface: 'openai-embeddings',
  path: 'embeddings',
  title: 'Embeddings',
  validate: (body) => void parseEmbeddingsRequest(body),
  worstCase: (call, targets) => worstCaseOfEmbeddings(call, targets),
  translate: EMBEDDINGS_TRANSLATORS,
};

/** `POST /v1/completions` (legacy text completions): code-completion clients send fill-in-the-middle through it (`prompt` + `suffix`). */
export const COMPLETIONS: OpenAIOnlyOperation = {
  surface: 'openai-completions',
  path: 'completions',
  title: 'Text completions (/v1/completions)',
  validate: (body) => void parseCompletionsRequest(body),
  streamed: asksForStream,
  // No canonical form: the prompt is estimated from the body's bytes (more than the prompt, never less).
  worstCase: (call, _targets, config) => worstCaseOfCall(call, undefined, config),
};

/** The provider types that take OpenAI's own operations passed through. */
export type PassthroughType = 'openai' | 'openai-compatible' | 'azure-openai';

/** Where each provider type that serves OpenAI's own operations takes them. */
const TARGET: Record<PassthroughType, (call: OpenAIChatCall, operation: OpenAIOperation) => OperationTarget> = {
  openai: openAIOperationTarget,
  'openai-compatible': openAIOperationTarget,
  'azure-openai': azureOperationTarget,
};

const ALL_PASSTHROUGH = Object.keys(TARGET) as PassthroughType[];

/** The passthrough target of a provider type, when the operation is passed through to it. */
const passedTo = (operation: OpenAIOnlyOperation, type: ProviderConfig['type']) =>
  (operation.passthrough ?? ALL_PASSTHROUGH).includes(type as PassthroughType) ? TARGET[type as PassthroughType] : undefined;

/**
 * An operation of `OpenAIOnlyOperation`: admitted and limited as a chat call is, tried on the
 * model's targets that serve it with chat's failover, and answered with the upstream's bytes
 * (a stream relayed as chat streams are, speech's audio chunk by chunk as it comes), read for
 * usage on the side; or, from a target the
 * operation translates for, with the answer its translator made.
 */
export async function openAIOnlyCall(operation: OpenAIOnlyOperation, req: GatewayRequest, ctx: RequestContext, deps: ProxyDeps, finish: () => void): Promise<GatewayResponse> {
  ctx.surface = operation.surface;
  const { media } = operation;
  const call = await admit(req, ctx, deps, operation.validate, undefined, media?.multipart ? multipartRequestFields : undefined);
  // A stray `stream: true` on an operation without streams goes upstream untouched like any unknown field.
  ctx.stream = operation.streamed?.(call.body) ?? false;
  const targets = targetsFor(operation, call);
  // Only completions and embeddings are cached (`CACHEABLE_SURFACES`); undefined for models without `cache`.
  const cache = cacheFor(call, ctx, deps, req.headers);
  const hit = await limitsThenCache(call, ctx, deps, finish, cache, () => operation.worstCase(call, targets, deps.config));
  if (hit) return hit;
  const signal = requestSignal(req, deps.now);
  const { res, via } = await tryTargets<Served>(targets, {}, ctx, deps, signal, async (attempt) => {
    const translate = operation.translate?.[attempt.provider.type];
    if (translate) {
      const sent = await translate(call, attempt, deps, signal);
      return { ...sent, via: { translated: sent.via } };
    }
    const upstreamCall: OpenAIChatCall = {
      provider: attempt.provider,
      account: attempt.account,
      apiKey: await apiKeyFor(attempt, deps, signal),
      model: attempt.model,
      body: call.body,
      raw: call.raw,
      stream: ctx.stream,
      timeouts: callTimeouts(deps.config.timeouts, attempt.provider.timeouts, ctx.stream === true || operation.inPieces === true),
      ...(signal ? { signal } : {}),
    };
    const target = passedTo(operation, attempt.provider.type)!(upstreamCall, operation.path);
    const request = media ? openAIMediaRequest(upstreamCall, target, req.headers['content-type']) : operationRequest(upstreamCall, target);
    // Chat's passthrough relays and meters completions' and embeddings' answers too (same usage, same SSE framing); media answers have their own.
    const read = media ? OPENAI_MEDIA_READER : passthroughFor('openai', attempt, deps.providers)!;
    const pass = operation.meter ? { ...read, usageOf: operation.meter(call, ctx) } : read;
    // Speech's attempt lasts until its first audio chunk is in hand (`tryTargets` holds it): audio that never starts fails over.
    return { res: await deps.upstream.send(request), parseError: errorFromOpenAIUpstream, via: { pass } };
  });
  if ('translated' in via) return answered(cache, translatedJson(via.translated, ctx), ctx, deps);
  // A stream asked for and not given (whisper-1 ignores `stream=true`): the whole answer (text, srt, vtt) goes back as it came, not relayed as events.
  if (media && ctx.stream && !String(res.headers['content-type'] ?? '').startsWith('text/event-stream')) ctx.stream = false;
  // Speech's audio is sent as it is synthesised: relayed as it comes, the client's first audio is the upstream's.
  if (media && !ctx.stream && isRawMedia(String(res.headers['content-type'] ?? ''))) return answered(cache, await rawMediaAnswer({ res, ctx, deps, signal, finish }), ctx, deps);
  const served = await passthroughAnswer({ res, ctx, deps, binding: OPENAI_CHAT, signal, finish, clientModel: call.model, body: call.body, raw: call.raw }, via.pass, OPENAI_CHAT.wantsStreamUsage(call.body));
  return answered(cache, served, ctx, deps);
}

/** How an attempt was served: passed through (its answer still to relay) or translated (its answer made). */
type Served = { pass: PassthroughReader } | { translated: Translated };

/** A translated answer, whole, its usage known at once. */
function translatedJson(answer: Translated, ctx: RequestContext): GatewayResponse {
  ctx.status = 200;
  ctx.ttftMs = performance.now() - ctx.startPerf;
  ctx.usage = answer.usage;
  if (answer.estimated) ctx.usageEstimated = true;
  if (answer.billedUnits !== undefined) ctx.billedUnits = answer.billedUnits;
  return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(answer.body) };
}

/** The model's targets that serve the operation; when none can, a 400 naming the provider types (skipped silently when another can). */
export function targetsFor(operation: OpenAIOnlyOperation, call: Pick<AdmittedCall, 'model' | 'entry'>): Target[] {
  const serves = (type: ProviderConfig['type']) => passedTo(operation, type) !== undefined || operation.translate?.[type] !== undefined;
  const targets = call.entry.targets.filter((t) => serves(t.provider.type));
  if (targets.length > 0) return targets;
  const types = [...new Set(call.entry.targets.map((t) => t.provider.type))].join(', ');
  const serving = [...(operation.passthrough ?? ALL_PASSTHROUGH), ...Object.keys(operation.translate ?? {})].join(', ');
  throw new GatewayError(
    'invalid_request',
    `${operation.title} are not supported by provider type ${types} (the targets of model \`${call.model}\`); only ${serving} providers serve them.`,
    { param: 'model', code: 'unsupported_parameter' },
  );
}
