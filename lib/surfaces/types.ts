import type { ChatRequest, ChatResponse, StreamEvent } from '../canonical/types';
import type { GatewayError } from '../http/errors';

/**
 * One client-facing API: decode requests into the canonical form, encode canonical answers and
 * errors back into its own wire format. Pure functions; the pipeline does the I/O.
 */
export interface Surface {
  /** Validates and decodes a parsed JSON body; throws GatewayError (400, naming the field) otherwise. `model` is the client's model name. */
  decodeRequest(body: Record<string, unknown>): ChatRequest;
  /** The whole answer's JSON body. `model` is the name the client asked for; `request` its body (the Responses API echoes its settings). */
  encodeResponse(res: ChatResponse, model: string, request?: Record<string, unknown>): unknown;
  /**
   * The streamed answer as the surface's SSE text, chunk by chunk as events arrive (no
   * buffering beyond what the format forces). An `error` event becomes the surface's in-band
   * error and ends the output. `canonical` is the request as it went upstream (after guardrails),
   * for what the surface must say before the upstream does (Anthropic's input tokens up front).
   * `providerId` (the config's) is named in the surface's own words for a cut (`streamEndedError`).
   */
  encodeStream(events: AsyncIterable<StreamEvent>, options: { model: string; includeUsage: boolean; request?: Record<string, unknown>; canonical?: ChatRequest; providerId?: string | undefined }): AsyncIterable<string>;
  /** The error body for a response that has not started. */
  encodeError(err: GatewayError): unknown;
}
