/**
 * The end of a Responses stream that failed after its first byte, one copy for every hand that
 * writes it: the stream encoder (`ResponsesStreamWriter.fail`) and the stream guard, which writes
 * after events it did not number (a guardrail's block, a passed-through stream that broke off)
 * and so reads what the client got: the number the next event takes (`sequenceAfter`) and the
 * response the stream opened with (`openingResponse`).
 */
import { createParser } from 'eventsource-parser';
import type { GatewayError } from '../../http/errors';
import { openAIErrorBody } from '../../http/openai-error';
import { sseEvent } from '../../http/sse';
import { responsesError } from './encode';

export type ResponsesError = ReturnType<typeof responsesError>;

/**
 * The end of a Responses stream that failed after its first byte: `response.failed` with the error
 * on the response, where the client has a response to mark (`failed` makes it), then the `error`
 * event, on which OpenAI's clients raise (its fields flat, as the published schema has them, and
 * nested under `error`, as OpenAI's servers send them). Both are needed: the openai SDK raises on
 * `error` only, and Codex and other readers of the `response.*` events alone see the failure only
 * in `response.failed` (without it, a stream "closed before response.completed"). `event` writes
 * and numbers one event.
 */
export function failureEvents(err: GatewayError, failed: ((error: ResponsesError) => Record<string, unknown>) | undefined, event: (type: string, fields: Record<string, unknown>) => string): string {
  const error = responsesError(err);
  const out = failed ? event('response.failed', { response: failed(error) }) : '';
  // Typed as the error body the same error gets before the first byte (the SDK's `APIError.type`); its code the response's.
  const detail = { type: openAIErrorBody(err).error.type, code: error.code, message: error.message, param: err.param ?? null };
  return out + event('error', { code: detail.code, message: detail.message, param: detail.param, error: detail });
}

/**
 * The same end written by another hand than the encoder (the stream guard: a guardrail blocked the
 * rest of a stream, or a passed-through stream broke off), numbered on from `sent.nextSequence`.
 * `sent.response` is the response the client got in `response.created`: it is marked failed with
 * its own id, created_at and model and no output, since the gateway cannot tell what of it the
 * client got whole and what a screen held back. Without one (nothing reached the client that names
 * a response), the `error` event alone: a `response.failed` would name a response the client never
 * saw.
 *
 * @example
 * failedStreamEnd(new GatewayError('upstream_error', 'Blocked.', { code: 'guardrail_blocked' }), { nextSequence: 5, response: created.response })
 * // event: response.failed (sequence_number 5), then event: error (6)
 */
export function failedStreamEnd(err: GatewayError, sent: { nextSequence?: number; response?: Record<string, unknown> } = {}): string {
  let sequence = sent.nextSequence ?? 0;
  const response = sent.response;
  const failed = response && ((error: ResponsesError) => ({ ...response, status: 'failed', error, incomplete_details: null, output: [] }));
  return failureEvents(err, failed, (type, fields) => sseEvent(type, { type, ...fields, sequence_number: sequence++ }));
}

/**
 * The number the event after `sent` takes: one more than the `sequence_number` of the last whole
 * event the bytes carry, for an error written after this stream's events by another hand (the
 * stream guard, when a guardrail on answers blocks the rest). Read only then, so each event is
 * parsed as JSON and its own top-level field taken: a passed-through event has it before its
 * `response`, which echoes the client's schemas (a field of that name may be nested there), and an
 * upstream may space its JSON. Undefined when the bytes carry no whole numbered event (a
 * keep-alive comment, the start of an event): the caller counts another way.
 *
 * @example
 * sequenceAfter(Buffer.from('event: response.created\ndata: {"type":"response.created","sequence_number":0}\n\n')) // 1
 */
export function sequenceAfter(sent: Uint8Array): number | undefined {
  const data = wholeEventsOf(sent);
  for (let i = data.length - 1; i >= 0; i--) {
    const number = jsonOf(data[i]!)?.sequence_number;
    if (typeof number === 'number' && Number.isSafeInteger(number) && number >= 0) return number + 1;
  }
  return undefined;
}

/**
 * The response a stream opened with: the `response` of its first event, where that is
 * `response.created` (OpenAI's streams and the encoder's open with it), as the client got it, for
 * a `response.failed` written after the stream's events by another hand (`failedStreamEnd`).
 * Undefined when the bytes open with no whole `response.created` event.
 *
 * @example
 * openingResponse(Buffer.from('event: response.created\ndata: {"type":"response.created","response":{"id":"resp_1"}}\n\n')) // { id: 'resp_1' }
 */
export function openingResponse(opening: Uint8Array): Record<string, unknown> | undefined {
  const first = wholeEventsOf(opening)[0];
  const event = first === undefined ? undefined : jsonOf(first);
  const response = event?.type === 'response.created' ? event.response : undefined;
  return typeof response === 'object' && response !== null && !Array.isArray(response) && typeof (response as { id?: unknown }).id === 'string' ? (response as Record<string, unknown>) : undefined;
}

/** The data of each event the bytes carry whole: only events ended by their blank line are dispatched, a trailing part of one is not the client's. */
function wholeEventsOf(bytes: Uint8Array): string[] {
  const data: string[] = [];
  createParser({ onEvent: (event) => void data.push(event.data) }).feed(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  return data;
}

function jsonOf(data: string): Record<string, unknown> | undefined {
  try {
    const json = JSON.parse(data) as unknown;
    return typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : undefined;
  } catch {
    // Not JSON (an upstream's stray line): it says nothing.
    return undefined;
  }
}
