import { createHash, randomUUID } from 'node:crypto';
import type { AssistantPart, ChatRequest, ChatResponse, FinishReason } from '../../canonical/types';
import type { TokenUsage } from '../../usage/tokens';
import { isObject } from '../../http/json-checks';
import type { GeminiCandidate, GeminiPart, GeminiResponse, GeminiUsageMetadata } from './types';

/** Gemini's finish reasons for output its filters stopped (text or image). */
const FILTERED = new Set([
  'SAFETY',
  'RECITATION',
  'LANGUAGE',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
  'IMAGE_RECITATION',
]);

/** The model tried to call a tool and failed at it: no usable answer, but not a filter either. */
const TOOL_FAILURES = new Set(['MALFORMED_FUNCTION_CALL', 'UNEXPECTED_TOOL_CALL', 'TOO_MANY_TOOL_CALLS']);

const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);

/**
 * Gemini's `usageMetadata` as TokenUsage. The rule, pinned:
 * - `input` = promptTokenCount + toolUsePromptTokenCount (promptTokenCount already includes
 *   cachedContentTokenCount; tool-use prompt tokens are billed as input).
 * - `cacheRead` = cachedContentTokenCount; `cacheWrite` = 0 (Gemini bills cache storage, not writes).
 * - `output` = candidatesTokenCount + thoughtsTokenCount, `reasoning` = thoughtsTokenCount:
 *   Gemini counts thoughts apart from candidates, OpenAI counts reasoning inside
 *   completion_tokens, and the canonical form follows OpenAI.
 */
export function usageFromGemini(meta: GeminiUsageMetadata | undefined): TokenUsage {
  const thoughts = count(meta?.thoughtsTokenCount);
  return {
    input: count(meta?.promptTokenCount) + count(meta?.toolUsePromptTokenCount),
    output: count(meta?.candidatesTokenCount) + thoughts,
    cacheRead: count(meta?.cachedContentTokenCount),
    cacheWrite: 0,
    reasoning: thoughts,
  };
}

/**
 * Gemini's finishReason as the canonical one. STOP with a function call is `tool_calls`
 * (Gemini says STOP either way); filter reasons are `content_filter`; a failed tool call
 * (MALFORMED_FUNCTION_CALL and kin) is `error`, since the model produced nothing usable but the
 * call itself succeeded and is billed; OTHER, NO_IMAGE and reasons unknown today are `stop`.
 */
export function finishReasonFromGemini(reason: string | undefined, calledTool: boolean): FinishReason {
  if (reason === 'MAX_TOKENS') return 'length';
  if (reason && FILTERED.has(reason)) return 'content_filter';
  if (reason && TOOL_FAILURES.has(reason)) return 'error';
  return calledTool ? 'tool_calls' : 'stop';
}

/**
 * An id for a tool call Gemini gave none (Gemini matches results by name, clients by id).
 * Derived from the response id, so a stream and its replay agree, and unique across the
 * turns of a conversation, since providers such as Anthropic refuse repeated ids.
 * Only `[A-Za-z0-9_]`, which every provider accepts.
 */
export function toolCallId(responseId: string, index: number): string {
  return `call_${createHash('sha256').update(responseId).digest('hex').slice(0, 16)}_${index}`;
}

/** The response id to derive tool-call ids from; a random one when Gemini sent none. */
export function responseIdOf(body: GeminiResponse): string {
  return typeof body.responseId === 'string' && body.responseId !== '' ? body.responseId : `gemini-${randomUUID()}`;
}

/**
 * The parts of an answer's candidate that are objects: an upstream's JSON of another shape (parts
 * not a list, a part null) is left out rather than thrown on, as a throw while an answer is read
 * is the gateway's own fault (`broke-off.ts`) and pages.
 *
 * @example
 * partsOf({ content: { parts: [{ text: 'a' }, null] } }) // [{ text: 'a' }]
 */
export function partsOf(candidate: GeminiCandidate | null | undefined): GeminiPart[] {
  const parts: unknown = isObject(candidate) && isObject(candidate.content) ? candidate.content.parts : undefined;
  return Array.isArray(parts) ? parts.filter(isObject) : [];
}

/** One part of Gemini's answer as canonical parts (none for parts the canonical form has no place for, nor a call without a name). */
export function partFromGemini(part: GeminiPart, responseId: string, toolIndex: number): AssistantPart | undefined {
  if (part.functionCall) {
    const call = part.functionCall;
    if (!isObject(call) || typeof call.name !== 'string' || call.name === '') return undefined;
    return {
      type: 'tool_call',
      id: typeof call.id === 'string' && call.id !== '' ? call.id : toolCallId(responseId, toolIndex),
      name: call.name,
      arguments: JSON.stringify(call.args ?? {}),
      ...(part.thoughtSignature ? { signature: part.thoughtSignature, signedBy: 'gemini' as const } : {}),
    };
  }
  if (typeof part.text !== 'string') return undefined; // inlineData (generated images), code execution: no canonical form.
  if (part.thought) return { type: 'thinking', text: part.text, ...(part.thoughtSignature ? { signature: part.thoughtSignature, signedBy: 'gemini' as const } : {}) };
  // A signature on a text part has no canonical place and Gemini does not require it back.
  return part.text === '' ? undefined : { type: 'text', text: part.text };
}

/**
 * Whether the answer may hold one function call only: the client sent `parallel_tool_calls:
 * false` (Anthropic's `disable_parallel_tool_use`, which the AI SDK's Anthropic provider sends
 * with its `json` tool for structured output). Gemini has no such switch, so the gateway keeps the
 * first call and leaves out the rest, which the model asks for again once it has the first result.
 *
 * @example
 * oneCallOnly({ model: 'gemini-2.5-flash', system: [], messages: [], stream: false, parallelToolCalls: false }) // true
 */
export function oneCallOnly(req: ChatRequest): boolean {
  return req.parallelToolCalls === false;
}

/**
 * A whole `generateContent` answer as the canonical response: the first candidate's parts,
 * adjacent text (and adjacent thinking) joined; a prompt blocked before any candidate is an
 * empty `content_filter` answer.
 */
export function fromGeminiResponse(body: GeminiResponse, req: ChatRequest): ChatResponse {
  const responseId = responseIdOf(body);
  const candidate = body.candidates?.[0];
  const parts: AssistantPart[] = [];
  let toolIndex = 0;
  for (const raw of partsOf(candidate)) {
    const part = partFromGemini(raw, responseId, toolIndex);
    if (!part) continue;
    if (part.type === 'tool_call' && oneCallOnly(req) && toolIndex > 0) continue;
    if (part.type === 'tool_call') toolIndex++;
    const last = parts.at(-1);
    if (part.type === 'text' && last?.type === 'text') last.text += part.text;
    else if (part.type === 'thinking' && last?.type === 'thinking' && !last.signature) {
      last.text += part.text;
      if (part.signature) {
        last.signature = part.signature;
        last.signedBy = 'gemini';
      }
    } else parts.push(part);
  }
  return {
    id: responseId,
    model: body.modelVersion ?? req.model,
    parts,
    finishReason: finishOf(body, toolIndex > 0),
    usage: usageFromGemini(body.usageMetadata),
  };
}

function finishOf(body: GeminiResponse, calledTool: boolean): FinishReason {
  const candidate = body.candidates?.[0];
  if (!candidate) return body.promptFeedback?.blockReason ? 'content_filter' : 'error';
  return finishReasonFromGemini(candidate.finishReason, calledTool);
}
