/**
 * An OpenAI Chat Completions answer (JSON) as the canonical response; also the shared
 * finish-reason and error-event readers for the stream decoder.
 */
import { randomUUID } from 'node:crypto';
import type { AssistantPart, ChatRequest, ChatResponse, FinishReason, TextPart } from '../../canonical/types';
import { GatewayError } from '../../http/errors';
import { isName, isObject, type Json } from '../../http/json-checks';
import { NO_TOKENS } from '../../usage/tokens';
import { usageFromOpenAI } from './usage';

const FINISH: Record<string, FinishReason> = {
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool_calls',
  function_call: 'tool_calls',
  content_filter: 'content_filter',
  // OpenRouter reports a failed generation this way.
  error: 'error',
};

/**
 * OpenAI's finish_reason as the canonical one. Some compatible servers (Ollama, older vLLM) say
 * `stop` after tool calls; the calls decide, since clients act on `tool_calls`. OpenAI ends a
 * refusal (structured outputs) with `stop` too: a `stop` after refusal words is `content_filter`,
 * the finish every other provider's refusal becomes, so each surface sends its own refusal signal.
 */
export function finishReasonOf(reason: unknown, sawToolCalls: boolean, sawRefusal = false): FinishReason {
  const mapped = (typeof reason === 'string' && FINISH[reason]) || 'stop';
  if (mapped !== 'stop') return mapped;
  return sawToolCalls ? 'tool_calls' : sawRefusal ? 'content_filter' : 'stop';
}

/** `{"error":{…}}` as sent in a stream or a 200 body by some compatible servers, as the client's error. */
export function upstreamErrorOf(error: unknown): GatewayError {
  const e = (typeof error === 'object' && error !== null ? error : { message: error }) as { message?: unknown; code?: unknown; type?: unknown };
  const message = typeof e.message === 'string' && e.message ? e.message : 'The upstream provider reported an error.';
  const code = typeof e.code === 'string' ? e.code : typeof e.type === 'string' ? e.type : 'upstream_error';
  return new GatewayError('upstream_error', message, { code });
}

interface OpenAIMessageBody {
  content?: unknown;
  refusal?: unknown;
  reasoning_content?: unknown;
  reasoning?: unknown;
  // As the wire may have it: a list or not, entries objects or not (`isObject` sorts them).
  tool_calls?: unknown;
}

interface OpenAIToolCallBody {
  id?: unknown;
  type?: unknown;
  function?: { name?: unknown; arguments?: unknown } | null;
}

/** Reasoning under the names compatible servers use: `reasoning_content` (DeepSeek, vLLM) or `reasoning` (OpenRouter, newer vLLM). */
export function reasoningText(m: { reasoning_content?: unknown; reasoning?: unknown }): string | undefined {
  if (typeof m.reasoning_content === 'string') return m.reasoning_content;
  if (typeof m.reasoning === 'string') return m.reasoning;
  return undefined;
}

/** Whether the message holds refusal words: in `refusal`, or as a `refusal` part of its content. */
function hasRefusal(m: OpenAIMessageBody): boolean {
  return isName(m.refusal) || (Array.isArray(m.content) && m.content.some((p: unknown) => isObject(p) && isName(p.refusal)));
}

/** The message's words as text parts in their order, a refusal's marked (`refusal: true`): in `content` (a string or parts) and in `refusal`. */
function wordParts(m: OpenAIMessageBody): TextPart[] {
  const parts: TextPart[] = [];
  const push = (text: string, refusal: boolean) => {
    if (!text) return;
    const last = parts.at(-1);
    // Runs of one kind join, as the stream translator's deltas join in a surface's part.
    if (last && (last.refusal === true) === refusal) last.text += text;
    else parts.push(refusal ? { type: 'text', text, refusal: true } : { type: 'text', text });
  };
  if (typeof m.content === 'string') push(m.content, false);
  else if (Array.isArray(m.content)) {
    for (const p of m.content as unknown[]) {
      if (!isObject(p)) continue;
      if (typeof p.text === 'string') push(p.text, false);
      else if (typeof p.refusal === 'string') push(p.refusal, true);
    }
  }
  // OpenAI sends refusal words in `refusal` with content null; words in content come first, as before.
  if (!parts.length && typeof m.refusal === 'string') push(m.refusal, true);
  return parts;
}

/**
 * A `chat.completion` body as the canonical response: reasoning first, then text (a refusal is
 * text marked `refusal`, its finish `content_filter`), then tool calls. Only the first choice counts; the gateway never asks for more.
 */
export function fromOpenAIChatCompletion(body: unknown, req: ChatRequest): ChatResponse {
  const b = (typeof body === 'object' && body !== null ? body : {}) as { id?: unknown; model?: unknown; choices?: unknown; usage?: unknown; error?: unknown };
  if (b.error) throw upstreamErrorOf(b.error);
  const first: unknown = Array.isArray(b.choices) ? b.choices[0] : undefined;
  const choice: { message?: unknown; finish_reason?: unknown } | undefined = isObject(first) ? first : undefined;
  if (!isObject(choice?.message)) throw new GatewayError('upstream_error', 'The upstream provider answered without a choice.', { code: 'upstream_invalid_response' });
  const m: OpenAIMessageBody = choice.message as Json;
  const parts: AssistantPart[] = [];
  const reasoning = reasoningText(m);
  if (reasoning) parts.push({ type: 'thinking', text: reasoning });
  parts.push(...wordParts(m));
  for (const entry of Array.isArray(m.tool_calls) ? (m.tool_calls as unknown[]) : []) {
    if (!isObject(entry)) continue; // Nothing to read: skipped, as a call without a name is.
    const call: OpenAIToolCallBody = entry;
    if (call.type !== undefined && call.type !== 'function') continue; // Custom tools are never requested.
    const name = call.function?.name;
    if (typeof name !== 'string') continue;
    const args = call.function?.arguments;
    parts.push({ type: 'tool_call', id: typeof call.id === 'string' && call.id ? call.id : syntheticCallId(), name, arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {}) });
  }
  return {
    id: typeof b.id === 'string' && b.id ? b.id : syntheticCallId().replace(/^call_/, 'chatcmpl-'),
    model: typeof b.model === 'string' && b.model ? b.model : req.model,
    parts,
    finishReason: finishReasonOf(choice.finish_reason, parts.some((p) => p.type === 'tool_call'), hasRefusal(m)),
    usage: usageFromOpenAI(b.usage) ?? { ...NO_TOKENS },
  };
}

/** An id for a tool call whose server sent none, in the `^[a-zA-Z0-9_-]+$` form Anthropic requires. */
export function syntheticCallId(): string {
  return `call_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
}
