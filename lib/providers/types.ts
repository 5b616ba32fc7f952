import type { AccountConfig } from '../config/schema';
import type { ChatRequest, ChatResponse, StreamEvent } from '../canonical/types';
import type { GatewayError } from '../http/errors';
import type { UpstreamRequest, UpstreamTimeouts } from '../upstream/http';

/**
 * The dialect a provider speaks natively; a surface of the same dialect passes bodies through.
 * `vertex` speaks two, by model: Anthropic's for Claude, Gemini's for the others.
 */
export type Dialect = 'openai' | 'anthropic' | 'gemini' | 'bedrock' | 'vertex';

/** What an adapter is given to build one upstream call. */
export interface CallContext {
  /** The provider's config entry (type-specific fields such as baseUrl, region, apiVersion). */
  provider: { id: string; type: string } & Record<string, unknown>;
  account: AccountConfig & Record<string, unknown>;
  /** The account's resolved secret (API key), when it has one. */
  apiKey: string | undefined;
  /** The gateway's timeouts with the provider's overrides already applied. */
  timeouts: UpstreamTimeouts;
  signal?: AbortSignal;
  /**
   * Told when the translation leaves out a parameter the model's policy filled in
   * (`ChatRequest.setByPolicy`), giving way as Claude's rules make it: so the usage record does not
   * say that it went upstream.
   */
  onPolicyDeclined?: PolicyDeclined;
  /**
   * Told when the translation leaves out a sampling option the request carried (the client's or the
   * policy's) because the model refuses it beside another (Claude thinking on an effort, which takes
   * temperature 1 only): so the usage record says it did not go upstream (`temperature:dropped`,
   * or `temperature:declined` for one the policy set: `droppedIn`, lib/pipeline/model-call.ts).
   */
  onParamDropped?: ParamDropped;
  /**
   * Mends the Chat Completions body an OpenAI-dialect adapter wrote for what the target's model
   * takes (`lib/params/mend.ts`: `max_tokens`, sampling on reasoning models, effort on chat models),
   * recording what it changed; absent when nothing is mended for this target.
   */
  mend?: (body: Record<string, unknown>) => Record<string, unknown>;
  /**
   * Told, with all of the client's stop sequences, when the translation sends the upstream only as
   * many as it takes (Gemini's five): the gateway then cuts the answer at all of them itself
   * (`lib/pipeline/stop-emulation/`). Absent, more than the upstream takes is refused (400, `stop`).
   */
  onStopEmulated?: StopEmulated;
}

/** Stop sequences a translation could not all send, for the gateway to cut the answer at. */
export type StopEmulated = (sequences: readonly string[]) => void;

/** A sampling option of the request that a translation did not send. */
export type ParamDropped = (param: 'temperature' | 'topP') => void;

/** A parameter the model's policy filled in that a translation did not send. */
export type PolicyDeclined = (param: 'reasoningEffort') => void;

/**
 * One provider type: pure translation between the canonical form and the provider's wire format,
 * plus how to address it. No I/O except `buildRequest` signing (which may be async).
 */
export interface ProviderAdapter {
  dialect: Dialect;
  /** The upstream request for a canonical request (`req.model` is the upstream model id). */
  buildRequest(req: ChatRequest, call: CallContext): UpstreamRequest | Promise<UpstreamRequest>;
  /** A whole JSON answer (status 2xx) as the canonical response. */
  parseResponse(body: unknown, req: ChatRequest): ChatResponse;
  /**
   * A streamed answer as canonical events; reads the raw body bytes (SSE, event-stream, …).
   * `providerId` (the config's) is the name the gateway's words for a failure in the stream give the provider.
   */
  parseStream(body: AsyncIterable<Uint8Array>, req: ChatRequest, providerId?: string): AsyncIterable<StreamEvent>;
  /** An error answer (status ≥ 400) as the error the client gets (status kept, 529 → 503, 429 keeps retry-after). */
  parseError(status: number, headers: Record<string, string | string[] | undefined>, text: string, providerId: string): GatewayError;
}

/** One upstream call of a translated embeddings request: its JSON body and how many texts it embeds. */
export interface EmbeddingCall {
  body: Record<string, unknown>;
  texts: number;
}
