/**
 * An OpenAI chunk stream (SSE) as canonical stream events. Tolerates what OpenAI-compatible
 * servers and Azure send besides OpenAI's own shape:
 * - chunks without choices (Azure's opening `prompt_filter_results` chunk) or without a delta
 *   (Azure's asynchronous filter annotations, one even after the finish) are skipped;
 * - the usage chunk (`choices: []`) may come after the finish, and some servers put a running
 *   usage on every chunk: each becomes a `usage` event (a running total, as the canonical form says);
 * - reasoning arrives as `reasoning_content` (DeepSeek, vLLM) or `reasoning` (OpenRouter, newer vLLM);
 * - a refusal's `refusal` deltas are text deltas marked `refusal`, and the `stop` after them is `content_filter`
 *   (`finishReasonOf`), as other providers' refusals end;
 * - an entry of `choices` or `tool_calls` that is not an object (`null`), a delta that is not one,
 *   or `tool_calls` that is not a list carries nothing to send: skipped, as the whole-answer
 *   translator skips a call it cannot read (a throw here would be a fault of the gateway's own);
 * - tool calls missing an id get one; a new `index` or a new id starts the next call (some servers
 *   send every parallel call with index 0), and a call ends when the next one, text or the finish starts;
 * - `data: {"error":…}` mid-stream becomes an `error` event, worded as the HTTP path and the
 *   passthrough word it (`errorFromOpenAIEvent`: the organisation id and what was said of the gateway's key are the log's);
 * - `[DONE]` without a finish counts as a finish; the end of the body without either is an error.
 * Transport failures of `body` are thrown, so the caller can tell a gone client from a broken upstream.
 */
import type { ChatRequest, StreamEvent } from '../../canonical/types';
import { GatewayError } from '../../http/errors';
import { streamEndedError } from '../../http/stream-ended';
import { isObject } from '../../http/json-checks';
import { SseReader } from '../../http/sse';
import { errorFromOpenAIEvent } from './errors';
import { finishReasonOf, reasoningText, syntheticCallId } from './translate-response';
import { usageFromOpenAI } from './usage';

interface ChunkToolCall {
  index?: unknown;
  id?: unknown;
  function?: { name?: unknown; arguments?: unknown } | null;
}

interface ChunkDelta {
  content?: unknown;
  refusal?: unknown;
  reasoning_content?: unknown;
  reasoning?: unknown;
  tool_calls?: unknown;
}

interface Chunk {
  id?: unknown;
  model?: unknown;
  // As the wire may have them: any entry, any delta, any tool_calls (`isObject`, `Array.isArray` sort them).
  choices?: ({ index?: unknown; delta?: ChunkDelta | null; finish_reason?: unknown } | null)[] | null;
  usage?: unknown;
  error?: unknown;
}

/**
 * The decoder's state machine, one `data:` payload at a time. Synchronous and pure apart from
 * the ids it makes up for tool calls that came without one.
 */
export class OpenAIChunkDecoder {
  #started = false;
  #finished = false;
  #over = false;
  #open: { upstreamIndex: unknown; id: string; toolIndex: number } | undefined;
  #closed = new Set<unknown>();
  #toolCount = 0;
  #refused = false;

  constructor(
    readonly req: Pick<ChatRequest, 'model'>,
    /** The provider's id from the config, which the gateway's words for a failure in the stream name. */
    readonly providerId = 'openai',
  ) {}

  /** True once nothing more will be read: an error came, or `[DONE]`. */
  get over(): boolean {
    return this.#over;
  }

  /** The events for one SSE `data:` payload. */
  data(data: string): StreamEvent[] {
    if (this.#over) return [];
    const out: StreamEvent[] = [];
    if (data.trim() === '[DONE]') {
      this.#over = true;
      if (!this.#finished) this.#finish(out, 'stop');
      return out;
    }
    let chunk: Chunk;
    try {
      chunk = JSON.parse(data) as Chunk;
    } catch {
      return out; // Not JSON: a keep-alive or a proxy's noise, not content.
    }
    if (typeof chunk !== 'object' || chunk === null) return out;
    if (chunk.error) {
      this.#over = true;
      // The adapter's stream is read without the config's provider id (as Gemini's and Anthropic's are): the type's name stands in.
      return [{ type: 'error', error: errorFromOpenAIEvent(chunk.error, this.providerId) }];
    }
    const choice = Array.isArray(chunk.choices) ? chunk.choices.find((c) => isObject(c) && (c.index ?? 0) === 0) : undefined;
    const usage = usageFromOpenAI(chunk.usage);
    const delta = choice?.delta;
    const readable: ChunkDelta | undefined = isObject(delta) ? delta : undefined;
    if (!this.#started && (readable || choice?.finish_reason || usage)) {
      this.#started = true;
      const id = typeof chunk.id === 'string' && chunk.id ? chunk.id : syntheticCallId().replace(/^call_/, 'chatcmpl-');
      out.push({ type: 'start', id, model: typeof chunk.model === 'string' && chunk.model ? chunk.model : this.req.model });
    }
    if (choice && !this.#finished) {
      if (readable && this.#delta(readable, out) === 'failed') return out;
      if (typeof choice.finish_reason === 'string' && choice.finish_reason) this.#finish(out, choice.finish_reason);
    }
    if (usage) out.push({ type: 'usage', usage });
    return out;
  }

  /** The events when the body has ended. */
  end(): StreamEvent[] {
    if (this.#over || this.#finished) return [];
    this.#over = true;
    return [{ type: 'error', error: streamEndedError(this.providerId) }];
  }

  #delta(delta: ChunkDelta, out: StreamEvent[]): 'failed' | undefined {
    const reasoning = reasoningText(delta);
    if (reasoning) {
      this.#closeTool(out);
      out.push({ type: 'thinking_delta', text: reasoning });
    }
    if (typeof delta.content === 'string' && delta.content) {
      this.#closeTool(out);
      out.push({ type: 'text_delta', text: delta.content });
    }
    if (typeof delta.refusal === 'string' && delta.refusal) {
      this.#closeTool(out);
      out.push({ type: 'text_delta', text: delta.refusal, refusal: true });
    }
    if (typeof delta.refusal === 'string' && delta.refusal) this.#refused = true;
    for (const entry of Array.isArray(delta.tool_calls) ? (delta.tool_calls as unknown[]) : []) {
      if (!isObject(entry)) continue;
      const call: ChunkToolCall = entry;
      const id = typeof call.id === 'string' && call.id ? call.id : undefined;
      const name = call.function?.name;
      const args = call.function?.arguments;
      const open = this.#open;
      const isNew = !open || (call.index !== undefined && call.index !== open.upstreamIndex) || (id !== undefined && id !== open.id);
      if (isNew) {
        if (typeof name !== 'string' || !name || (id === undefined && this.#closed.has(call.index))) {
          // Arguments for a call already ended, or a call without a name: nothing sound can be sent on.
          this.#over = true;
          const error = new GatewayError('upstream_error', 'The upstream provider sent a malformed tool call stream.', { code: 'upstream_invalid_stream' });
          out.push({ type: 'error', error });
          return 'failed';
        }
        this.#closeTool(out);
        const toolIndex = this.#toolCount++;
        this.#open = { upstreamIndex: call.index, id: id ?? syntheticCallId(), toolIndex };
        out.push({ type: 'tool_call_start', toolIndex, id: this.#open.id, name });
      }
      if (typeof args === 'string' && args) out.push({ type: 'tool_call_delta', toolIndex: this.#open!.toolIndex, arguments: args });
    }
    return undefined;
  }

  #closeTool(out: StreamEvent[]): void {
    if (!this.#open) return;
    out.push({ type: 'tool_call_end', toolIndex: this.#open.toolIndex });
    this.#closed.add(this.#open.upstreamIndex);
    this.#open = undefined;
  }

  #finish(out: StreamEvent[], reason: string): void {
    this.#closeTool(out);
    this.#finished = true;
    out.push({ type: 'finish', reason: finishReasonOf(reason, this.#toolCount > 0, this.#refused) });
  }
}

/**
 * Reads an OpenAI SSE body into canonical events; stops reading after an error event.
 *
 * @example
 * for await (const event of openAIStreamEvents(res.body, req)) if (event.type === 'text_delta') process.stdout.write(event.text);
 */
export async function* openAIStreamEvents(body: AsyncIterable<Uint8Array>, req: Pick<ChatRequest, 'model'>, providerId = 'openai'): AsyncGenerator<StreamEvent> {
  const decoder = new OpenAIChunkDecoder(req, providerId);
  let pending: StreamEvent[] = [];
  const reader = new SseReader({
    onEvent: (event) => {
      pending.push(...decoder.data(event.data));
    },
  });
  for await (const bytes of body) {
    reader.feed(bytes);
    const ready = pending;
    pending = [];
    yield* ready;
    if (decoder.over) return;
  }
  reader.end();
  yield* pending;
  yield* decoder.end();
}
