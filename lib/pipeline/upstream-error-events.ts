import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { anthropicErrorBody } from '../http/anthropic-error';
import type { GatewayError } from '../http/errors';
import type { EventFraming, InBandErrorRule } from '../http/in-band-errors';
import { openAIErrorBody } from '../http/openai-error';
import { JsonArraySplitter } from '../http/json-array';
import { errorFromAnthropicEvent } from '../providers/anthropic/errors';
import { errorFromClaudeChunk, errorOfFailureFrame } from '../providers/bedrock/errors';
import { anthropicChunkEvent, base64Forms, EventStreamFrames, EventStreamFormatError, isOpeningFrame, mayBeOpening, type EventStreamMessage } from '../providers/bedrock/eventstream';
import { errorFromGeminiStreamEvent } from '../providers/gemini/errors';
import { errorFromOpenAIEvent, errorFromResponsesErrorEvent } from '../providers/openai/errors';
import { geminiErrorBody } from '../surfaces/gemini/errors';

/**
 * The in-band error events of each same-dialect passthrough, and what replaces them: the
 * gateway's own error event of that dialect, worded by the provider's HTTP error reader (so the
 * same words are kept from the client, and kept as `detail` for the log), as a translated stream
 * would end. Read by `InBandErrorGuard` (`lib/http/in-band-errors.ts`), which looks only at
 * events holding a marker.
 */

/** The `event:` name and `data:` of one SSE event's text (undefined when it has no data). */
function sseEventOf(text: string): EventSourceMessage | undefined {
  let found: EventSourceMessage | undefined;
  // A stream may open with a byte-order mark, which an SSE client's UTF-8 decoding drops; the
  // parser would take it for part of the first field's name and miss an error in that event.
  createParser({ onEvent: (event) => (found = event) }).feed(`${text.replace(/^\uFEFF/, '')}\n\n`);
  return found;
}

function parsed(data: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(data);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What every in-band error event of the SSE dialects holds: the word `error`, in its data
 * (Anthropic's `{"type":"error","error":…}`, OpenAI's `{"error":…}`, `response.failed`'s error,
 * however its keys are ordered and spaced) or on its event line (`event: error`, with or without
 * the space, whose data may hold no `"error"`: `{"code":…,"message":…}`). One search a chunk, as
 * for `"error"` alone; a chunk whose text says the word is decoded, and goes on as it came
 * (`lib/http/in-band-errors.bench.ts`).
 */
const SSE_ERROR_MARKERS = ['error'];

// An event line naming `error` (SSE allows one space after the colon, and any of its line ends; the
// stream's first event may start with a byte-order mark, which SSE clients drop: see `sseEventOf`).
const ERROR_EVENT_LINE = /(?:^\uFEFF?|[\r\n])event: ?error(?:[\r\n]|$)/;

/**
 * Whether an SSE event's text may be an error event: it holds `"error"` or names itself `error`
 * on its event line. Asked before the event is parsed, so that one whose text merely says the word
 * (`SSE_ERROR_MARKERS`) costs two string searches, not a parse.
 *
 * @example
 * mayBeErrorEvent('event: error\ndata: {"code":"rate_limit_exceeded"}') // true
 * mayBeErrorEvent('data: {"choices":[{"delta":{"content":"an error"}}]}') // false
 */
function mayBeErrorEvent(text: string): boolean {
  return text.includes('"error"') || ERROR_EVENT_LINE.test(text);
}

type Rewrite = ReturnType<InBandErrorRule['rewrite']>;

/** An SSE dialect's rule: its events that may be errors (`mayBeErrorEvent`) parsed, and read by `read`. */
function sseErrorRule(read: (event: EventSourceMessage) => Rewrite): InBandErrorRule {
  return {
    markers: SSE_ERROR_MARKERS,
    rewrite(text) {
      if (!mayBeErrorEvent(text)) return undefined;
      const event = sseEventOf(text);
      return event && read(event);
    },
  };
}

/**
 * OpenAI's chunks (and OpenAI-compatible servers'): any `data:` whose object has an `error`, and
 * any `event: error` whatever its data (its fields flat, or data that is no JSON): OpenAI's
 * clients raise on exactly those. Rewritten as `data: {"error":{message,type,param,code}}`.
 *
 * @example
 * openAIErrorEvents('vllm').rewrite('data: {"error":{"message":"…","code":500}}')?.text // 'data: {"error":{"message":"…","type":"api_error",…}}'
 */
export function openAIErrorEvents(providerId: string): InBandErrorRule {
  return sseErrorRule((event) => {
    const chunk = parsed(event.data);
    // An `event: error` (which OpenAI's clients raise whatever its data) may carry its fields flat, or data that is no JSON:
    // not passed on as words, as it may be an error cut off inside an id the cleaning would not know.
    const said = chunk?.error ?? (event.event === 'error' ? (chunk ?? {}) : undefined);
    if (said === undefined || said === null) return undefined;
    const error = errorFromOpenAIEvent(said, providerId);
    return { text: `data: ${JSON.stringify(openAIErrorBody(error))}`, error };
  });
}

/**
 * The Responses API's in-band failures: the `error` event (its fields flat, or nested under
 * `error`; or any event whose data has an `error`, as OpenAI-compatible servers write it) and
 * `response.failed` (the error on the response). Each keeps its place and
 * `sequence_number`; the error's words and code become the gateway's, as `errorFromOpenAIEvent`
 * reads them, the `error` event carrying them both flat and nested as the Responses surface writes them.
 *
 * @example
 * responsesErrorEvents('oai').rewrite('event: error\ndata: {"type":"error","code":"rate_limit_exceeded","message":"… org-uOtiSEwvUnroadaOnJJquBEC …","sequence_number":4}')
 */
export function responsesErrorEvents(providerId: string): InBandErrorRule {
  return sseErrorRule((event) => {
    // An `error` event whose data is no JSON (perhaps cut off inside an id) is told without its words.
    const data = parsed(event.data) ?? (event.event === 'error' ? {} : undefined);
    if (!data) return undefined;
    const named = event.event ? `event: ${event.event}\n` : '';
    // Named by its event line or by its type, as the meter and `earlyFailure` read it; or any data
    // with an `error`, on which OpenAI's clients raise whatever the event's name.
    if (data.type === 'error' || event.event === 'error' || Boolean(data.error)) {
      const error = errorFromResponsesErrorEvent(data, providerId);
      const body = openAIErrorBody(error).error;
      // Only its type and number are kept of what it said: any other field may repeat its words.
      const { type, sequence_number } = data;
      const rewritten = { ...(type !== undefined ? { type } : {}), code: body.code, message: body.message, param: body.param, ...(sequence_number !== undefined ? { sequence_number } : {}), error: body };
      return { text: `${named}data: ${JSON.stringify(rewritten)}`, error };
    }
    const response = data.response as Record<string, unknown> | undefined;
    if (data.type !== 'response.failed' || typeof response?.error !== 'object' || response.error === null) return undefined;
    const error = errorFromOpenAIEvent(response.error, providerId);
    const rewritten = { ...data, response: { ...response, error: { code: error.code ?? null, message: error.message } } };
    return { text: `${named}data: ${JSON.stringify(rewritten)}`, error };
  });
}

/**
 * Anthropic's `event: error` (or a data whose `type` is `error`), rewritten as
 * `event: error` with `{"type":"error","error":{type,message}}`; Claude on Vertex answers the same.
 *
 * @example
 * anthropicErrorEvents('anth').rewrite('event: error\ndata: {"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}')?.text
 * // 'event: error\ndata: {"type":"error","error":{"type":"api_error","message":"The upstream provider \\"anth\\" rejected the gateway\'s credentials (authentication_error)."}}'
 */
export function anthropicErrorEvents(providerId: string): InBandErrorRule {
  return sseErrorRule((event) => {
    const data = parsed(event.data);
    if (event.event !== 'error' && data?.type !== 'error') return undefined;
    const error = errorFromAnthropicEvent(data ? nestedAnthropicError(data) : event.data, providerId);
    return { text: `event: error\ndata: ${JSON.stringify(anthropicErrorBody(error))}`, error };
  });
}

/**
 * An Anthropic error event's data as Anthropic nests it (`{"type":"error","error":{type,message}}`),
 * for its reader (`errorFromAnthropicEvent`), when it came with its fields flat
 * (`{"type":"rate_limit_error","message":…}` on an `event: error` line) or its error a string.
 *
 * @example
 * nestedAnthropicError({ type: 'rate_limit_error', message: 'Slow down' }) // '{"error":{"type":"rate_limit_error","message":"Slow down"}}'
 */
function nestedAnthropicError(data: Record<string, unknown>): string {
  const { type, message, error } = data;
  if (typeof error === 'object' && error !== null) return JSON.stringify(data);
  const words = typeof message === 'string' ? message : error;
  return JSON.stringify({ error: { ...(typeof type === 'string' && type !== 'error' ? { type } : {}), ...(typeof words === 'string' ? { message: words } : {}) } });
}

/**
 * Google's `{"error":{code,message,status}}` in a Gemini (or Vertex Gemini) stream, as an SSE
 * event's data or as an element of the JSON array, rewritten in the same framing.
 *
 * @example
 * geminiErrorEvents('google', 'sse').rewrite(`data: {"error":{"code":429,"message":"Quota exceeded for consumer 'project_number:123'.","status":"RESOURCE_EXHAUSTED"}}`)?.text
 * // `data: {"error":{"code":429,"message":"Quota exceeded for consumer 'the provider account'.","status":"RESOURCE_EXHAUSTED"}}`
 */
export function geminiErrorEvents(providerId: string, framing: EventFraming): InBandErrorRule {
  const rewriteBody = (json: string): { json: string; error: GatewayError } | undefined => {
    const body = parsed(json);
    const said = body?.error;
    if (typeof said !== 'object' || said === null) return undefined;
    const error = errorFromGeminiStreamEvent(said, providerId);
    // Pretty-printed in the array, as Google writes its elements; compact in SSE, as Google writes its events.
    return { json: JSON.stringify(geminiErrorBody(error), null, framing === 'array' ? 2 : undefined), error };
  };
  if (framing === 'array') {
    return {
      markers: ['"error"'],
      rewrite(text) {
        // An element keeps what stood before it: the array's `[`, or the `,` after the one before.
        const [, before = '', json = '', after = ''] = /^([\s[,]*)([\s\S]*?)([\s\]]*)$/.exec(text) ?? [];
        const done = rewriteBody(json);
        return done && { text: `${before}${done.json}${after}`, error: done.error };
      },
    };
  }
  return {
    markers: ['"error"'],
    rewrite(text) {
      const event = sseEventOf(text);
      const done = event && rewriteBody(event.data);
      return done && { text: `data: ${done.json}`, error: done.error };
    },
  };
}

/**
 * Events a stream may open with before its answer, which an error may still follow: Anthropic's
 * `ping` and `message_start` (held by the start scan, `SseStartScan`), and the Responses API's
 * `response.created` and `response.in_progress` (not held: only looked past when the error came
 * in the same read, see `earlyFailure`).
 */
const OPENING_EVENTS: ReadonlySet<string> = new Set(['ping', 'message_start', 'response.created', 'response.in_progress']);

/** Every in-band error of every SSE dialect holds one of these (`SSE_ERROR_MARKERS`). */
const SSE_ERROR_MARKER_BYTES = SSE_ERROR_MARKERS.map((marker) => Buffer.from(marker));

/** Every error element of Google's JSON array holds this (`{"error":…}`). */
const ERROR_MARKER = Buffer.from('"error"');

/**
 * The upstream's failure, when a stream's first event after its opening ones (`OPENING_EVENTS`)
 * reports one, read as the in-band rules above read it mid-stream (so the same error, typed by
 * the provider's own reader: Anthropic's `overloaded_error` is a 503 `overloaded`, a
 * `rate_limit_error` a 429, an OpenAI-compatible `data: {"error":{"code":503,…}}` a 503, the
 * Responses API's `error` and `response.failed`, Google's `{"error":{"status":"UNAVAILABLE"}}`).
 * Undefined when that event is anything else, or there is none in `chunks` (the bytes held
 * until the answer's start). The dialect is known by the event's shape, each dialect's error
 * being its own: a `sequence_number` or a flat `code` is the Responses API's (or an
 * OpenAI-compatible server's), an error object with a string `status` Google's. On the hot path,
 * one search of the held bytes for the word `error` (`SSE_ERROR_MARKERS`).
 *
 * @example
 * earlyFailure([Buffer.from('event: message_start\ndata: {…}\n\nevent: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n')], 'claude')
 * // GatewayError { kind: 'overloaded', status: 503, code: 'overloaded_error' }
 */
export function earlyFailure(chunks: readonly Buffer[], providerId: string): GatewayError | undefined {
  const held = joined(chunks);
  if (!SSE_ERROR_MARKER_BYTES.some((marker) => held.includes(marker))) return undefined;
  let first: EventSourceMessage | undefined;
  const parser = createParser({ onEvent: (event) => void (first ??= OPENING_EVENTS.has(event.event ?? '') ? undefined : event) });
  // A byte-order mark would be read as part of the first field's name (see `sseEventOf`).
  parser.feed(held.toString('utf8').replace(/^\uFEFF/, ''));
  if (!first) return undefined;
  const data = parsed(first.data) ?? (first.event === 'error' ? {} : undefined);
  if (!data) return undefined;
  const text = `${first.event ? `event: ${first.event}\n` : ''}${first.data
    .split('\n')
    .map((line) => `data: ${line}`)
    .join('\n')}`;
  return ruleFor(first.event, data, providerId)?.rewrite(text)?.error;
}

/** The in-band rule of the dialect whose error an event's shape is, if it is one. */
function ruleFor(event: string | undefined, data: Record<string, unknown>, providerId: string): InBandErrorRule | undefined {
  if (data.type === 'response.failed') return responsesErrorEvents(providerId);
  const error = data.error;
  const nested = typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : undefined;
  if (event === 'error' || data.type === 'error') {
    // The Responses API's error is numbered, or flat with its `code`; OpenAI's nested one has a `code`
    // (OpenAI's clients raise it on its event line too); Anthropic's, nested or flat, has none.
    if ('sequence_number' in data || 'code' in data) return responsesErrorEvents(providerId);
    return nested && 'code' in nested ? openAIErrorEvents(providerId) : anthropicErrorEvents(providerId);
  }
  if (error === undefined || error === null) return undefined;
  return typeof nested?.status === 'string' ? geminiErrorEvents(providerId, 'sse') : openAIErrorEvents(providerId);
}

/**
 * What the held bytes of a Bedrock stream that failed early hold: an exception frame names itself
 * in its headers (`:message-type: exception`, or an `error` message's `:error-code`); Claude's own
 * error event in a `chunk` holds `"error"` (its type's value, whatever its key order and spacing:
 * `{"error":{…},"type":"error"}`, `{ "type": "error" }`), found in the chunk's base64 by its three
 * forms (`base64Forms`), and never in text a delta quotes, which JSON escapes (`\"error\"`).
 */
const EXCEPTION_MARKERS = [Buffer.from('exception'), Buffer.from(':error-code'), ...base64Forms('"error"').map((form) => Buffer.from(form))];

/**
 * Bedrock's failure, when an event stream's first frame after its opening ones
 * (`isOpeningMessage`: Converse's `messageStart`, Anthropic's `message_start` in a `chunk`, frames
 * the relays skip) is an exception (`:message-type: exception`, or `error`), read by Bedrock's own
 * reader as it reads one mid-stream (`errorOfFailureFrame`: `throttlingException` a 429
 * `rate_limit`, `serviceUnavailableException` a 503 `overloaded`, `internalServerException` a 500,
 * `modelStreamErrorException` a 502), or a `chunk` carrying Claude's own error event, whatever the
 * order of its keys (`errorFromClaudeChunk`: `overloaded_error` a 503, as on Anthropic's own
 * stream). Undefined when that frame is anything else, or none is whole in `chunks` (the bytes
 * held until the answer's start). On the hot path, five searches of the held bytes
 * (`EXCEPTION_MARKERS`); frames are decoded only when one finds its marker, and only to the first
 * that is not an opening one (`npx tsx lib/pipeline/early-frame-failure.bench.ts`).
 *
 * @example
 * earlyFrameFailure([messageStartFrame, throttlingFrame], 'aws') // GatewayError { kind: 'rate_limit', status: 429 }
 */
export function earlyFrameFailure(chunks: readonly Buffer[], providerId: string): GatewayError | undefined {
  const held = joined(chunks);
  if (!EXCEPTION_MARKERS.some((marker) => held.includes(marker))) return undefined;
  const frames = new EventStreamFrames();
  let first;
  try {
    // Decoded up to the first frame that is not an opening one, not through an answer that came whole in this read.
    for (const frame of frames.frames(held)) {
      if (mayBeOpening(frame) && isOpeningFrame(frame)) continue;
      first = frames.decode(frame);
      break;
    }
  } catch (err) {
    // A broken frame is its reader's to report, as it does mid-stream.
    if (err instanceof EventStreamFormatError) return undefined;
    throw err;
  }
  return first && (errorOfFailureFrame(first, providerId) ?? claudeErrorOf(first, providerId));
}

/** Claude's own `error` event, when a `chunk` carries one (read as the relay reads it mid-stream, `errorFromClaudeChunk`). */
function claudeErrorOf(message: EventStreamMessage, providerId: string): GatewayError | undefined {
  if (message.headers[':message-type'] !== 'event' || message.headers[':event-type'] !== 'chunk') return undefined;
  let event;
  try {
    event = anthropicChunkEvent(message.body);
  } catch {
    // A chunk that is no JSON is its reader's to report, as it does mid-stream.
    return undefined;
  }
  return event?.type === 'error' ? errorFromClaudeChunk(event.json, providerId) : undefined;
}

/**
 * Google's failure, when the first element of Gemini's JSON array (`streamGenerateContent`
 * without `alt=sse`) is its error object (`[{"error":{code,message,status}}`), read as the
 * in-band rule reads one mid-stream (`geminiErrorEvents`, `errorFromGeminiStreamEvent`):
 * `RESOURCE_EXHAUSTED` a 429, `UNAVAILABLE` a 503. Undefined when that element is anything else,
 * or not whole in `chunks`. On the hot path, one search of the held bytes for `"error"`.
 *
 * @example
 * earlyElementFailure([Buffer.from('[{"error":{"code":503,"message":"Overloaded","status":"UNAVAILABLE"}}\n]')], 'google')
 * // GatewayError { kind: 'overloaded', status: 503 }
 */
export function earlyElementFailure(chunks: readonly Buffer[], providerId: string): GatewayError | undefined {
  const held = joined(chunks);
  if (!held.includes(ERROR_MARKER)) return undefined;
  let first: string | undefined;
  const split = new JsonArraySplitter((text) => (first ??= text));
  split.feed(held);
  return first === undefined ? undefined : geminiErrorEvents(providerId, 'array').rewrite(first)?.error;
}

/** The held chunks as one buffer: the chunk itself when there is one (the usual case), else a copy of them all. */
function joined(chunks: readonly Buffer[]): Buffer {
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}
