/**
 * Canonical answers as OpenAI Chat Completions: the whole `chat.completion` body and the
 * `chat.completion.chunk` SSE stream, shaped as OpenAI sends them (PROTOCOLS.md).
 *
 * Thinking is sent as `reasoning_content`, DeepSeek's field, which LiteLLM sends and Cline and
 * Roo Code read (OpenAI itself sends none; OpenRouter and vLLM now send `reasoning`, which the
 * OpenAI Agents SDK reads instead); redacted thinking and thinking signatures have no
 * OpenAI form and are left out. A canonical `error` finish reason passes as `error`, as
 * OpenRouter does; the official client accepts unknown reasons. A refusal in words to a client
 * that asked for JSON is sent in `refusal`, as OpenAI sends one (`refusal-hold.ts`).
 */
import { randomUUID } from 'node:crypto';
import type { AssistantPart, ChatResponse, FinishReason, StreamEvent } from '../../canonical/types';
import { openAIErrorBody } from '../../http/openai-error';
import { sseData } from '../../http/sse';
import { streamEndedError } from '../../http/stream-ended';
import { NO_TOKENS, type TokenUsage } from '../../usage/tokens';
import { asksForJson, isWordedRefusal, withRefusalsHeld, type HeldStreamEvent } from './refusal-hold';

/** Reads the wall clock in ms; tests pass a fixed one. */
export type Clock = () => number;

export interface OpenAIToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface OpenAIUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
  completion_tokens_details: { reasoning_tokens: number };
  /** Anthropic's names for the cache's share, as LiteLLM adds them; present when the cache was read or written. */
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

export interface ChatCompletionBody {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: {
    index: 0;
    message: { role: 'assistant'; content: string | null; refusal: string | null; tool_calls?: OpenAIToolCall[]; reasoning_content?: string };
    logprobs: null;
    finish_reason: FinishReason;
  }[];
  usage: OpenAIUsage;
}

/** OpenAI's id shape; an upstream id (Anthropic's `msg_…`) is kept inside it for tracing. */
export function completionId(upstreamId: string | undefined): string {
  if (!upstreamId) return `chatcmpl-${randomUUID().replace(/-/g, '')}`;
  return upstreamId.startsWith('chatcmpl-') ? upstreamId : `chatcmpl-${upstreamId}`;
}

/**
 * TokenUsage as OpenAI's `usage` (`prompt_tokens` counts cached tokens too, as `input` does). When
 * the cache was read or written, also `cache_read_input_tokens` and `cache_creation_input_tokens`,
 * as LiteLLM sends them for Claude: OpenAI has no field for cache writes, and Roo Code and Cline
 * read both only there (an OpenAI client ignores fields it does not know).
 */
export function openAIUsage(usage: TokenUsage): OpenAIUsage {
  const out: OpenAIUsage = {
    prompt_tokens: usage.input,
    completion_tokens: usage.output,
    total_tokens: usage.input + usage.output,
    prompt_tokens_details: { cached_tokens: usage.cacheRead },
    completion_tokens_details: { reasoning_tokens: usage.reasoning },
  };
  if (usage.cacheRead > 0 || usage.cacheWrite > 0) {
    out.cache_read_input_tokens = usage.cacheRead;
    out.cache_creation_input_tokens = usage.cacheWrite;
  }
  return out;
}

function joinText(parts: AssistantPart[], type: 'text' | 'thinking'): string | undefined {
  const texts = parts.flatMap((p) => (p.type === type ? [p.text] : []));
  return texts.length ? texts.join('') : undefined;
}

/**
 * The whole answer as a `chat.completion` body. `model` is the name the client asked for;
 * `request` its body: when it asked for JSON, a refusal in words (`isWordedRefusal`) is the
 * message's `refusal`, content null, as the stream sends it. The finish stays `content_filter`,
 * which is what fails the `openai` client's `parse` with its ContentFilterFinishReasonError.
 *
 * @example
 * encodeChatCompletion({ id: 'msg_1', model: 'claude-x', parts: [{ type: 'text', text: 'Hi' }], finishReason: 'stop', usage }, 'gpt-4o');
 * // → { id: 'chatcmpl-msg_1', object: 'chat.completion', model: 'gpt-4o', choices: [{ message: { content: 'Hi', … } }], … }
 */
export function encodeChatCompletion(res: ChatResponse, model: string, now: Clock = Date.now, request?: Record<string, unknown>): ChatCompletionBody {
  const calls: OpenAIToolCall[] = res.parts.flatMap((p) =>
    p.type === 'tool_call' ? [{ id: p.id, type: 'function' as const, function: { name: p.name, arguments: p.arguments || '{}' } }] : [],
  );
  const text = joinText(res.parts, 'text');
  const reasoning = joinText(res.parts, 'thinking');
  const message: ChatCompletionBody['choices'][0]['message'] = {
    role: 'assistant',
    // OpenAI sends null content only beside tool calls; an empty answer is "".
    content: text ?? (calls.length ? null : ''),
    refusal: null,
  };
  if (text !== undefined && !calls.length && asksForJson(request) && isWordedRefusal(text, res.finishReason)) {
    message.content = null;
    message.refusal = text;
  }
  if (calls.length) message.tool_calls = calls;
  if (reasoning !== undefined) message.reasoning_content = reasoning;
  return {
    id: completionId(res.id),
    object: 'chat.completion',
    created: Math.floor(now() / 1000),
    model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: res.finishReason }],
    usage: openAIUsage(res.usage),
  };
}

/**
 * The streamed answer as OpenAI chunk SSE: a role chunk, content / reasoning / tool-call deltas,
 * the finish chunk, then (when asked) the `choices: []` usage chunk and `[DONE]`. The usage chunk
 * waits for the end of the events because usage may follow the finish. An `error` event becomes
 * `data: {"error":…}` and the output ends without `[DONE]`, which is what OpenAI's clients raise on.
 * Errors thrown by `events` propagate to the caller, which decides between a gone client and an
 * in-band error. When the client's body (`request`) asked for JSON, text that cannot start it is
 * held until the finish (`withRefusalsHeld`) and sent as `refusal` deltas if the finish was
 * `content_filter`; text that starts like JSON is not held.
 */
export async function* encodeChatStream(
  events: AsyncIterable<StreamEvent>,
  options: { model: string; includeUsage: boolean; providerId?: string | undefined; request?: Record<string, unknown> | undefined },
  now: Clock = Date.now,
): AsyncGenerator<string> {
  let frame: { id: string; object: 'chat.completion.chunk'; created: number; model: string } | undefined;
  let usage: TokenUsage = NO_TOKENS;
  let finished = false;
  // Every chunk is the same frame around its delta: the frame is serialised once, each chunk
  // only its delta (the bytes JSON.stringify of the whole chunk gives, for a fraction of the work).
  let head = '';
  const tail = `,"logprobs":null,"finish_reason":null}]${options.includeUsage ? ',"usage":null' : ''}}\n\n`;
  const chunk = (delta: Record<string, unknown>): string => `${head}${JSON.stringify(delta)}${tail}`;
  const open = (id: string | undefined): string => {
    frame = { id: completionId(id), object: 'chat.completion.chunk', created: Math.floor(now() / 1000), model: options.model };
    head = `data: ${JSON.stringify(frame).slice(0, -1)},"choices":[{"index":0,"delta":`;
    return chunk({ role: 'assistant', content: '' });
  };
  const finish = (reason: FinishReason): string =>
    sseData(JSON.stringify({ ...frame, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: reason }], ...(options.includeUsage ? { usage: null } : {}) }));

  const source: AsyncIterable<HeldStreamEvent> = asksForJson(options.request) ? withRefusalsHeld(events) : events;
  for await (const event of source) {
    if (event.type === 'error') {
      yield sseData(JSON.stringify(openAIErrorBody(event.error)));
      return;
    }
    if (event.type === 'usage') {
      usage = event.usage;
      continue;
    }
    if (finished) continue; // Nothing but usage belongs after the finish.
    if (!frame) yield open(event.type === 'start' ? event.id : undefined);
    switch (event.type) {
      case 'text_delta':
        if (event.text) yield chunk({ content: event.text });
        break;
      case 'refusal_delta':
        yield chunk({ refusal: event.text });
        break;
      case 'thinking_delta':
        if (event.text) yield chunk({ reasoning_content: event.text });
        break;
      case 'tool_call_start':
        yield chunk({ tool_calls: [{ index: event.toolIndex, id: event.id, type: 'function', function: { name: event.name, arguments: '' } }] });
        break;
      case 'tool_call_delta':
        if (event.arguments) yield chunk({ tool_calls: [{ index: event.toolIndex, function: { arguments: event.arguments } }] });
        break;
      case 'finish':
        finished = true;
        yield finish(event.reason);
        break;
      default:
        // start (handled above), tool_call_end, thinking_signature, redacted_thinking: no OpenAI form.
        break;
    }
  }

  if (!finished) {
    // A decoder that ends without finish or error broke its contract; tell the client rather than feign success.
    yield sseData(JSON.stringify(openAIErrorBody(streamEndedError(options.providerId))));
    return;
  }
  if (options.includeUsage) yield sseData(JSON.stringify({ ...frame, choices: [], usage: openAIUsage(usage) }));
  yield sseData('[DONE]');
}
