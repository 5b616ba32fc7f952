import type { ChatRequest, FinishReason, StreamEvent, TokenUsage } from '../../canonical/types';
import { GatewayError } from '../../http/errors';
import { streamEndedError } from '../../http/stream-ended';
import { SseReader } from '../../http/sse';
import { errorFromGeminiStreamEvent } from './errors';
import { finishReasonFromGemini, oneCallOnly, partFromGemini, partsOf, responseIdOf, usageFromGemini } from './response';
import type { GeminiResponse, GoogleErrorBody } from './types';

/**
 * A `streamGenerateContent?alt=sse` body as canonical events.
 *
 * Each SSE event is a whole GenerateContentResponse (separated by `\r\n\r\n`, no `[DONE]`):
 * its text is a delta, a function call arrives whole (so it becomes start + one delta with all
 * arguments + end), `usageMetadata` is the running total (passed on as a `usage` event whenever
 * it changes) and the last event has the finishReason. `finish` is sent once the body ends, so it
 * follows every part. A body that ends without a finishReason, carries an `error` object, or
 * holds something that is not JSON ends in an `error` event. Transport failures are thrown as
 * they come, for the caller to handle like any other.
 *
 * @example
 * for await (const event of parseGeminiStream(upstream.body, req, 'google')) console.log(event.type);
 */
export async function* parseGeminiStream(body: AsyncIterable<Uint8Array>, req: ChatRequest, providerId = 'gemini'): AsyncIterable<StreamEvent> {
  const pending: string[] = [];
  const reader = new SseReader({ onEvent: (event) => pending.push(event.data) });
  const stream = new GeminiStreamDecoder(req, providerId);
  for await (const chunk of body) {
    reader.feed(chunk);
    for (let data = pending.shift(); data !== undefined; data = pending.shift()) {
      yield* stream.read(data);
      if (stream.failed) return;
    }
  }
  reader.end();
  for (let data = pending.shift(); data !== undefined; data = pending.shift()) {
    yield* stream.read(data);
    if (stream.failed) return;
  }
  yield* stream.end();
}

/** The state of one stream between events: pure, fed one event's data at a time. */
export class GeminiStreamDecoder {
  failed = false;
  #responseId: string | undefined;
  #toolIndex = 0;
  #finish: FinishReason | undefined;
  #lastUsage = '';

  constructor(
    readonly req: ChatRequest,
    readonly providerId: string,
  ) {}

  /** The events for one SSE event's data. */
  read(data: string): StreamEvent[] {
    let chunk: GeminiResponse & GoogleErrorBody;
    try {
      chunk = JSON.parse(data) as GeminiResponse & GoogleErrorBody;
    } catch (cause) {
      return this.#fail(new GatewayError('upstream_error', `The upstream provider "${this.providerId}" sent a stream event that is not JSON.`, { code: 'upstream_bad_stream', cause }));
    }
    if (typeof chunk !== 'object' || chunk === null) {
      return this.#fail(new GatewayError('upstream_error', `The upstream provider "${this.providerId}" sent a stream event that is not an object.`, { code: 'upstream_bad_stream' }));
    }
    if (chunk.error) return this.#fail(errorFromGeminiStreamEvent(chunk.error, this.providerId));

    const events: StreamEvent[] = [];
    if (this.#responseId === undefined) {
      this.#responseId = responseIdOf(chunk);
      events.push({ type: 'start', id: this.#responseId, model: chunk.modelVersion ?? this.req.model });
    }
    const candidate = chunk.candidates?.[0];
    for (const raw of partsOf(candidate)) {
      const part = partFromGemini(raw, this.#responseId, this.#toolIndex);
      if (!part) continue;
      if (part.type === 'text') events.push({ type: 'text_delta', text: part.text });
      else if (part.type === 'thinking') {
        if (part.text !== '') events.push({ type: 'thinking_delta', text: part.text });
        if (part.signature) events.push({ type: 'thinking_signature', signature: part.signature, signedBy: 'gemini' });
      } else if (part.type === 'tool_call') {
        if (oneCallOnly(this.req) && this.#toolIndex > 0) continue;
        const toolIndex = this.#toolIndex++;
        events.push(
          { type: 'tool_call_start', toolIndex, id: part.id, name: part.name, ...(part.signature ? { signature: part.signature, signedBy: 'gemini' as const } : {}) },
          { type: 'tool_call_delta', toolIndex, arguments: part.arguments },
          { type: 'tool_call_end', toolIndex },
        );
      }
    }
    if (chunk.usageMetadata) {
      const usage = usageFromGemini(chunk.usageMetadata);
      const key = JSON.stringify(usage);
      if (key !== this.#lastUsage) {
        this.#lastUsage = key;
        events.push({ type: 'usage', usage });
      }
    }
    if (candidate?.finishReason) this.#finish = finishReasonFromGemini(candidate.finishReason, this.#toolIndex > 0);
    else if (!candidate && chunk.promptFeedback?.blockReason) this.#finish = 'content_filter';
    return events;
  }

  /** The events after the body ended: the finish, or an error when the stream was cut short. */
  end(): StreamEvent[] {
    if (this.failed) return [];
    if (this.#finish) return [{ type: 'finish', reason: this.#finish }];
    // The same cut stream as every provider's (booked `interrupted`).
    return this.#fail(streamEndedError(this.providerId));
  }

  /** The usage of the last event that carried one (for tests and callers that meter on the side). */
  get lastUsage(): TokenUsage | undefined {
    return this.#lastUsage ? (JSON.parse(this.#lastUsage) as TokenUsage) : undefined;
  }

  #fail(error: GatewayError): StreamEvent[] {
    this.failed = true;
    return [{ type: 'error', error }];
  }
}
