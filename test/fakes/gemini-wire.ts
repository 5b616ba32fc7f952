/**
 * The Gemini API's wire format for the fake in `gemini.ts` (and Gemini on Vertex AI, whose bodies
 * are the same, in `vertex.ts`): the answer's stream events and the whole answer merged from them,
 * Google's error bodies, the 400s for mistakes a translating gateway makes, and Google's byte
 * habits (2-space JSON bodies, `": "` in stream JSON, `\r\n\r\n` between SSE events).
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { randomAlnum, type RecordedRequest } from './http';
import { splitWords } from './openai-wire';
import { isGeminiSignature } from './signatures';

/** Token counts of a reply; each defaults to an estimate. */
export interface GeminiReplyUsage {
  prompt?: number;
  candidates?: number;
  thoughts?: number;
  cached?: number;
}

export interface FunctionCallSpec {
  name: string;
  args?: Record<string, unknown>;
  /** Gemini 3 sends one on the first call of a step; it must come back with the call. */
  thoughtSignature?: string;
  /** Gemini's own call id (newer models send one); absent by default, as usual. */
  id?: string;
}

/** The replies that are answers (not failures), as both fakes take them. */
export type AnswerReply =
  | {
      kind: 'text';
      text: string;
      /** How to split `text` across stream events; one word per event by default. */
      chunks?: string[];
      /** A thought summary sent first, as `thought: true` parts. */
      thoughts?: string;
      /** Gemini's signature on the thought part. */
      thoughtSignature?: string;
      finishReason?: string;
      usage?: GeminiReplyUsage;
    }
  /**
   * `thoughts`: a thought summary first, with `thoughtSignature` on it when set (as Gemini signs a thinking step).
   * `callsApart`: each call in its own stream event, as Gemini sometimes streams parallel calls (all in one event otherwise).
   */
  | { kind: 'function_calls'; calls: FunctionCallSpec[]; text?: string; usage?: GeminiReplyUsage; thoughts?: string; thoughtSignature?: string; callsApart?: boolean }
  /** A prompt blocked before any candidate: `promptFeedback.blockReason` and no candidates. */
  | { kind: 'blocked'; reason?: string };

/** Google's error bodies for the statuses the fake sends on its own. */
export const googleErrors = {
  body: (code: number, status: string, message: string, details?: unknown[]) => ({ error: { code, message, status, ...(details ? { details } : {}) } }),
  invalidKey: () =>
    googleErrors.body(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
      { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } },
      { '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message: 'API key not valid. Please pass a valid API key.' },
    ]),
  missingKey: () =>
    googleErrors.body(403, 'PERMISSION_DENIED', "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API."),
  quota: (retryDelay: string) =>
    googleErrors.body(429, 'RESOURCE_EXHAUSTED', 'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.', [
      { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests', quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier', quotaValue: '10' }] },
      { '@type': 'type.googleapis.com/google.rpc.Help', links: [{ description: 'Learn more about Gemini API quotas', url: 'https://ai.google.dev/gemini-api/docs/rate-limits' }] },
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay },
    ]),
  invalid: (message: string) => googleErrors.body(400, 'INVALID_ARGUMENT', message),
  modelNotFound: (model: string) =>
    googleErrors.body(404, 'NOT_FOUND', `models/${model} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.`),
  byStatus: (status: number, model: string, retryDelay = '17s') => {
    if (status === 429) return googleErrors.quota(retryDelay);
    if (status === 404) return googleErrors.modelNotFound(model);
    if (status === 403) return googleErrors.missingKey();
    if (status === 503) return googleErrors.body(503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.');
    if (status === 504) return googleErrors.body(504, 'DEADLINE_EXCEEDED', 'The request timed out. Please try again.');
    if (status >= 500) return googleErrors.body(500, 'INTERNAL', 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting');
    return googleErrors.invalid('Request contains an invalid argument.');
  },
};


/** The stream events of an answer; a non-stream answer is the same events merged. */
export function responseEvents(exchange: { record: RecordedRequest; model: string }, reply: AnswerReply): object[] {
  const frame = { modelVersion: exchange.model, responseId: randomAlnum(22) };
  const prompt = Math.max(1, Math.ceil(exchange.record.rawBody.length / 4));
  if (reply.kind === 'blocked') {
    return [{ promptFeedback: { blockReason: reply.reason ?? 'PROHIBITED_CONTENT' }, usageMetadata: { promptTokenCount: prompt, totalTokenCount: prompt }, ...frame }];
  }
  const steps: object[][] = [];
  if (reply.thoughts) steps.push([{ text: reply.thoughts, thought: true, ...(reply.thoughtSignature ? { thoughtSignature: reply.thoughtSignature } : {}) }]);
  const pieces = reply.kind === 'text' ? (reply.chunks ?? splitWords(reply.text)) : reply.text ? [reply.text] : [];
  for (const text of pieces) steps.push([{ text }]);
  if (reply.kind === 'function_calls') {
    const parts = reply.calls.map((c) => ({ functionCall: { ...(c.id ? { id: c.id } : {}), name: c.name, args: c.args ?? {} }, ...(c.thoughtSignature ? { thoughtSignature: c.thoughtSignature } : {}) }));
    if (reply.callsApart) steps.push(...parts.map((p) => [p]));
    else steps.push(parts);
  }
  if (steps.length === 0) steps.push([{ text: '' }]);
  const usage = reply.usage ?? {};
  const totals = {
    prompt: usage.prompt ?? prompt,
    candidates: usage.candidates ?? (reply.kind === 'text' ? pieces.length : 8 * reply.calls.length),
    thoughts: usage.thoughts ?? (reply.kind === 'text' && reply.thoughts ? splitWords(reply.thoughts).length : 0),
  };
  const finishReason = reply.kind === 'text' ? (reply.finishReason ?? 'STOP') : 'STOP';
  return steps.map((parts, i) => {
    const last = i === steps.length - 1;
    // Running totals: candidates grow with the events, thoughts are all counted once thinking is done.
    const candidates = Math.round((totals.candidates * (i + 1)) / steps.length);
    const usageMetadata = {
      promptTokenCount: totals.prompt,
      ...(candidates > 0 ? { candidatesTokenCount: candidates } : {}),
      totalTokenCount: totals.prompt + candidates + totals.thoughts,
      ...(usage.cached ? { cachedContentTokenCount: usage.cached } : {}),
      promptTokensDetails: [{ modality: 'TEXT', tokenCount: totals.prompt }],
      ...(totals.thoughts ? { thoughtsTokenCount: totals.thoughts } : {}),
    };
    return { candidates: [{ content: { parts, role: 'model' }, ...(last ? { finishReason } : {}), index: 0 }], usageMetadata, ...frame };
  });
}

/** The whole answer: every event's parts in one candidate (adjacent text joined), the last event's usage. */
export function mergeEvents(events: object[]): object {
  type Event = { candidates?: { content: { parts: Record<string, unknown>[] }; finishReason?: string }[] } & Record<string, unknown>;
  const all = events as Event[];
  const last = all.at(-1) as Event;
  if (!last.candidates) return last;
  const parts: Record<string, unknown>[] = [];
  for (const part of all.flatMap((e) => e.candidates?.[0]?.content.parts ?? [])) {
    const prev = parts.at(-1);
    if (typeof part.text === 'string' && typeof prev?.text === 'string' && !!prev.thought === !!part.thought) prev.text += part.text;
    else parts.push({ ...part });
  }
  return { ...last, candidates: [{ content: { parts, role: 'model' }, finishReason: last.candidates[0]?.finishReason, index: 0 }] };
}

/** The real API's 400s for mistakes a translating gateway makes. */
export function invalidRequest(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'Invalid JSON payload received. Unexpected token.';
  const { contents, tools } = body as { contents?: unknown; tools?: { functionDeclarations?: { parameters?: unknown }[] }[] };
  if (!Array.isArray(contents) || contents.length === 0) return '* GenerateContentRequest.contents: contents is not specified\n';
  for (const [i, content] of (contents as { role?: string; parts?: Record<string, unknown>[] }[]).entries()) {
    if (content.role !== undefined && content.role !== 'user' && content.role !== 'model') return 'Please use a valid role: user, model.';
    if (!Array.isArray(content.parts) || content.parts.length === 0) return `* GenerateContentRequest.contents[${i}].parts: contents.parts must not be empty.\n`;
    for (const [j, part] of content.parts.entries()) {
      if (part.text === '' && !part.thoughtSignature) return 'Unable to submit request because it has an empty text parameter. Add a value to the parameter and try again.';
      if (!['text', 'inlineData', 'fileData', 'functionCall', 'functionResponse'].some((k) => k in part)) {
        return `* GenerateContentRequest.contents[${i}].parts[${j}].data: required oneof field 'data' must have one initialized field\n`;
      }
    }
  }
  const unpaired = responseCountProblem(contents as { role?: string; parts: Record<string, unknown>[] }[]);
  if (unpaired) return unpaired;
  for (const [t, tool] of (tools ?? []).entries()) {
    for (const [f, declaration] of (tool.functionDeclarations ?? []).entries()) {
      const problem = schemaProblem(declaration.parameters, `tools[${t}].function_declarations[${f}].parameters`);
      if (problem) return problem;
    }
  }
  return undefined;
}

/** Gemini's rule for a turn of function responses: one response per call of the model turn just before it. */
function responseCountProblem(contents: { role?: string; parts: Record<string, unknown>[] }[]): string | undefined {
  const count = (parts: Record<string, unknown>[] | undefined, key: string) => (parts ?? []).filter((p) => p[key] !== undefined).length;
  for (const [i, content] of contents.entries()) {
    const responses = count(content.parts, 'functionResponse');
    if (responses === 0) continue;
    const before = contents[i - 1];
    if (responses !== (before?.role === 'model' ? count(before.parts, 'functionCall') : 0)) {
      return 'Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.';
    }
  }
  return undefined;
}

/**
 * Gemini's 400s for thought signatures: one it did not make (another family's, or a blob the
 * gateway wrote) is refused; Gemini 3 also wants one on the first function call of each model
 * step (Google's stand-in will do), as its docs say.
 */
export function signatureProblem(body: unknown, model: string): string | undefined {
  const contents = (body as { contents: { role?: string; parts: Record<string, unknown>[] }[] }).contents;
  const gemini3 = /gemini-([3-9]|\d{2,})/.test(model);
  for (const [i, content] of contents.entries()) {
    for (const part of content.parts) {
      if (typeof part.thoughtSignature === 'string' && !isGeminiSignature(part.thoughtSignature)) return 'Unable to submit request because Thought signature is not valid.';
    }
    const firstCall = content.parts.find((p) => p.functionCall !== undefined);
    if (gemini3 && content.role === 'model' && firstCall && typeof firstCall.thoughtSignature !== 'string') {
      const name = (firstCall.functionCall as { name?: unknown }).name;
      return `Unable to submit request because function call \`${String(name)}\` in the ${i + 1}. content block is missing a \`thought_signature\`. Learn more: https://docs.cloud.google.com/vertex-ai/generative-ai/docs/thought-signatures`;
    }
  }
  return undefined;
}

const SCHEMA_KEYS = new Set(['type', 'format', 'description', 'nullable', 'enum', 'properties', 'required', 'items', 'anyOf', 'minItems', 'maxItems', 'minLength', 'maxLength', 'minProperties', 'maxProperties', 'minimum', 'maximum', 'pattern', 'title', 'propertyOrdering', 'example', 'default']);

function schemaProblem(schema: unknown, path: string): string | undefined {
  if (schema === undefined) return undefined;
  const node = schema as Record<string, unknown>;
  const unknown = Object.keys(node).find((k) => !SCHEMA_KEYS.has(k));
  if (unknown) return `Invalid JSON payload received. Unknown name "${unknown}" at '${path}': Cannot find field.`;
  const type = typeof node.type === 'string' ? node.type.toUpperCase() : undefined;
  const properties = node.properties as Record<string, unknown> | undefined;
  if (properties && type !== 'OBJECT') return `* GenerateContentRequest.${path}.properties: only allowed for OBJECT type\n`;
  if (type === 'OBJECT' && path.endsWith('parameters') && Object.keys(properties ?? {}).length === 0) return `* GenerateContentRequest.${path}.properties: should be non-empty for OBJECT type\n`;
  for (const [name, sub] of Object.entries(properties ?? {})) {
    const problem = schemaProblem(sub, `${path}.properties[${name}].value`);
    if (problem) return problem;
  }
  return node.items === undefined ? undefined : schemaProblem(node.items, `${path}.items`);
}


/** Google's compact stream JSON: `": "` after each key, no other spaces. */
export function googleCompactJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(googleCompactJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${JSON.stringify(k)}: ${googleCompactJson(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The bytes of a streamed answer: SSE events with `alt=sse`, else one JSON array written an element at a time. */
export function streamPieces(mode: 'sse' | 'array', events: object[]): string[] {
  return mode === 'sse' ? events.map((e) => `data: ${googleCompactJson(e)}\r\n\r\n`) : arrayPieces(events);
}

/** `streamGenerateContent` without `alt=sse`: one JSON array, written one element at a time. */
function arrayPieces(events: object[]): string[] {
  return events.map((e, i) => `${i === 0 ? '[' : '\n,\r\n'}${pretty(e)}${i === events.length - 1 ? ']' : ''}`);
}

export function pretty(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

export function googleHeaders(contentType: string, extra: OutgoingHttpHeaders = {}): OutgoingHttpHeaders {
  return {
    'content-type': contentType,
    vary: 'Origin, X-Origin, Referer',
    server: 'scaffolding on HTTPServer2',
    'x-xss-protection': '0',
    'x-frame-options': 'SAMEORIGIN',
    'x-content-type-options': 'nosniff',
    'server-timing': `gfet4t7; dur=${Math.floor(Math.random() * 900) + 100}`,
    'alt-svc': 'h3=":443"; ma=2592000,h3-29=":443"; ma=2592000',
    ...extra,
  };
}

export function writeJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : `${pretty(body)}\n`;
  res.writeHead(status, { ...googleHeaders('application/json; charset=UTF-8'), 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

