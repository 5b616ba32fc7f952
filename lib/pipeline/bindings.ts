import type { ChatRequest } from '../canonical/types';
import { anthropicErrorBody, anthropicErrorResponse } from '../http/anthropic-error';
import type { GatewayError } from '../http/errors';
import { openAIErrorBody, openAIErrorResponse } from '../http/openai-error';
import { sseData } from '../http/sse';
import type { RateHeaderDialect } from '../http/rate-limit-headers';
import type { GatewayResponse } from '../http/types';
import { anthropicMessagesSurface, validateAnthropicRequest } from '../surfaces/anthropic-messages';
import { anthropicSse } from '../surfaces/anthropic-messages/stream';
import { geminiErrorBody, geminiErrorResponse, geminiSse, geminiSurface, validateGeminiRequest } from '../surfaces/gemini';
import { openAIChatSurface } from '../surfaces/openai-chat';
import { inChatFields } from '../surfaces/openai-chat/error-fields';
import { parseChatRequest } from '../surfaces/openai-chat/request';
import { openAIResponsesSurface, parseResponsesRequest } from '../surfaces/openai-responses';
import { RESPONSES_FIELDS } from '../surfaces/openai-responses/error-fields';
import { failedStreamEnd, openingResponse, sequenceAfter } from '../surfaces/openai-responses/failed-end';
import { ANTHROPIC_FIELDS } from '../surfaces/anthropic-messages/error-fields';
import { GEMINI_FIELDS } from '../surfaces/gemini/error-fields';
import { inClientFields } from '../surfaces/error-fields';
import type { Surface } from '../surfaces/types';

/** What a stream that failed after its first byte has carried so far, for the event that ends it. */
export interface StreamSent {
  /** The number the next event takes, where the surface numbers its events. */
  nextSequence?: number;
  /** The response the stream opened with, as the client got it (a Responses stream's `response.created`). */
  response?: Record<string, unknown>;
}

/** A client-facing API as the pipeline drives it. */
export interface SurfaceBinding {
  /** Also the surface of usage records and log lines. */
  name: 'openai' | 'anthropic' | 'openai-responses' | 'gemini';
  surface: Surface;
  /**
   * Checks a body that may go upstream untouched (same dialect): the fields the gateway relies
   * on, leniently, so nothing a newer client sends is refused. Throws a 400 naming the field.
   */
  validate(body: Record<string, unknown>): void;
  /** The canonical request, for targets that translate; refuses what cannot be translated. */
  decode(body: Record<string, unknown>): ChatRequest;
  /** Whether the client wants usage in its stream (OpenAI asks with include_usage; Anthropic always has it). */
  wantsStreamUsage(body: Record<string, unknown>): boolean;
  errorResponse(err: GatewayError): GatewayResponse;
  /**
   * A translator's refusal of `body`'s canonical request naming the field as `body` has it, where
   * that depends on the body (which a whole or in-band error no longer has at hand).
   */
  inTranslatedFields(err: GatewayError, body: Record<string, unknown>): GatewayError;
  /** Whose rate-limit headers its clients read (none for Gemini's: Google's API sends none). */
  rateHeaders?: RateHeaderDialect;
  /** The event that ends a stream that failed after its first byte; `sent` says what the stream has carried so far. */
  inBandError(err: GatewayError, sent?: StreamSent): string;
  /**
   * Where a surface numbers its stream events (Responses): the number the event after `sent`, the
   * last bytes the client got, takes. Read only when a stream ends in an in-band error; a surface
   * without it relays its streams without keeping their last bytes.
   */
  sequenceAfter?(sent: Uint8Array): number | undefined;
  /** The response a stream that opened with `opening` names (Responses); read, as `sequenceAfter` is, only when the stream fails. */
  openingResponse?(opening: Uint8Array): Record<string, unknown> | undefined;
}

export const OPENAI_CHAT: SurfaceBinding = {
  name: 'openai',
  surface: openAIChatSurface,
  validate: (body) => void parseChatRequest(body),
  decode: (body) => openAIChatSurface.decodeRequest(body),
  wantsStreamUsage: (body) => (body.stream_options as { include_usage?: unknown } | null | undefined)?.include_usage === true,
  errorResponse: openAIErrorResponse,
  // The canonical messages leave out system messages and merge tool messages: their indexes are not the client's.
  inTranslatedFields: inChatFields,
  rateHeaders: 'openai',
  // OpenAI has no mid-stream error event; its clients raise on a data event that carries `error`. No [DONE] follows.
  inBandError: (err) => sseData(JSON.stringify(openAIErrorBody(err))),
};

export const ANTHROPIC_MESSAGES: SurfaceBinding = {
  name: 'anthropic',
  surface: anthropicMessagesSurface,
  validate: (body) => validateAnthropicRequest(body),
  decode: (body) => anthropicMessagesSurface.decodeRequest(body),
  wantsStreamUsage: () => true,
  errorResponse: anthropicErrorResponse,
  // Translators name fields as Chat Completions does; the client reads the field of its own body.
  inTranslatedFields: (err) => inClientFields(ANTHROPIC_FIELDS, err),
  rateHeaders: 'anthropic',
  inBandError: (err) => anthropicSse('error', anthropicErrorBody(err)),
};

export const OPENAI_RESPONSES: SurfaceBinding = {
  name: 'openai-responses',
  surface: openAIResponsesSurface,
  validate: (body) => void parseResponsesRequest(body),
  decode: (body) => openAIResponsesSurface.decodeRequest(body),
  // Every Responses stream ends with the whole response and its usage.
  wantsStreamUsage: () => true,
  errorResponse: openAIErrorResponse,
  // Translators name fields as Chat Completions does; the client's param points into its own body.
  inTranslatedFields: (err) => inClientFields(RESPONSES_FIELDS, err),
  rateHeaders: 'openai',
  // A passed-through stream that broke off, or any stream a guardrail blocked: ended as the
  // translating encoder ends the failures it sees, response.failed for the response the client
  // got, then `error`, numbered after the last event the client got.
  inBandError: failedStreamEnd,
  sequenceAfter,
  openingResponse,
};

export const GEMINI: SurfaceBinding = {
  name: 'gemini',
  surface: geminiSurface,
  validate: (body) => validateGeminiRequest(body),
  decode: (body) => geminiSurface.decodeRequest(body),
  // Every Gemini stream event carries the running usage.
  wantsStreamUsage: () => true,
  errorResponse: geminiErrorResponse,
  // Translators name fields as Chat Completions does; Gemini's error bodies name the field only in the message.
  inTranslatedFields: (err) => inClientFields(GEMINI_FIELDS, err),
  // @google/genai raises an ApiError on a data event that carries `error` with an HTTP code.
  inBandError: (err) => geminiSse(geminiErrorBody(err)),
};
