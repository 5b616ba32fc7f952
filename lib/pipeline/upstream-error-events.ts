import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { anthropicErrorBody } from '../http/anthropic-error';
import type { GatewayError } from '../http/errors';
import type { EventFraming, InBandErrorRule } from '../http/in-band-errors';
import { openAIErrorBody } from '../http/openai-error';
import { errorFromAnthropicEvent } from '../providers/anthropic/errors';
import { errorFromGeminiStreamEvent } from '../providers/gemini/errors';
import { errorFromOpenAIEvent } from '../providers/openai/errors';
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
 * OpenAI's chunks (and OpenAI-compatible servers'): any `data:` whose object has an `error`
 * (OpenAI's clients raise on exactly that), rewritten as `data: {"error":{message,type,param,code}}`.
 *
 * @example
 * openAIErrorEvents('vllm').rewrite('data: {"error":{"message":"…","code":500}}')?.text // 'data: {"error":{"message":"…","type":"api_error",…}}'
 */
export function openAIErrorEvents(providerId: string): InBandErrorRule {
  return {
    markers: ['"error"'],
    rewrite(text) {
      const event = sseEventOf(text);
      const chunk = event && parsed(event.data);
      if (!chunk || chunk.error === undefined || chunk.error === null) return undefined;
      const error = errorFromOpenAIEvent(chunk.error, providerId);
      return { text: `data: ${JSON.stringify(openAIErrorBody(error))}`, error };
    },
  };
}

/**
 * The Responses API's in-band failures: the `error` event (its fields flat, or nested under
 * `error`) and `response.failed` (the error on the response). Each keeps its place and
 * `sequence_number`; the error's words and code become the gateway's, as `errorFromOpenAIEvent`
 * reads them, the `error` event carrying them both flat and nested as the Responses surface writes them.
 *
 * @example
 * responsesErrorEvents('oai').rewrite('event: error\ndata: {"type":"error","code":"rate_limit_exceeded","message":"… org-uOtiSEwvUnroadaOnJJquBEC …","sequence_number":4}')
 */
export function responsesErrorEvents(providerId: string): InBandErrorRule {
  return {
    markers: ['"error"'],
    rewrite(text) {
      const event = sseEventOf(text);
      const data = event && parsed(event.data);
      if (!data) return undefined;
      const named = event.event ? `event: ${event.event}\n` : '';
      if (data.type === 'error') {
        const said = typeof data.error === 'object' && data.error !== null ? data.error : data;
        const error = errorFromOpenAIEvent(said, providerId);
        const body = openAIErrorBody(error).error;
        const rewritten = { ...data, code: body.code, message: body.message, param: body.param, error: body };
        return { text: `${named}data: ${JSON.stringify(rewritten)}`, error };
      }
      const response = data.response as Record<string, unknown> | undefined;
      if (data.type !== 'response.failed' || typeof response?.error !== 'object' || response.error === null) return undefined;
      const error = errorFromOpenAIEvent(response.error, providerId);
      const rewritten = { ...data, response: { ...response, error: { code: error.code ?? null, message: error.message } } };
      return { text: `${named}data: ${JSON.stringify(rewritten)}`, error };
    },
  };
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
  return {
    // Anthropic's error data always holds `"error"` (`{"type":"error","error":{…}}`): one search a chunk.
    markers: ['"error"'],
    rewrite(text) {
      const event = sseEventOf(text);
      if (!event) return undefined;
      if (event.event !== 'error' && parsed(event.data)?.type !== 'error') return undefined;
      const error = errorFromAnthropicEvent(event.data, providerId);
      return { text: `event: error\ndata: ${JSON.stringify(anthropicErrorBody(error))}`, error };
    },
  };
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
