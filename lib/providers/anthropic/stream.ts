import type { StreamEvent, TokenUsage } from '../../canonical/types';
import { streamEndedError } from '../../http/stream-ended';
import { errorFromAnthropicEvent } from './errors';
import { finishReasonFromAnthropic } from './response';
import { eventName, parseEventData, sseEvents } from './sse';
import { mergeAnthropicUsage } from './usage';

type Block = { kind: 'text' } | { kind: 'thinking' } | { kind: 'tool'; toolIndex: number } | { kind: 'other' };

/**
 * Turns one Anthropic SSE event into canonical events, keeping the state a stream needs: which
 * kind each block index is, how many tool calls came so far (canonical `toolIndex` counts tool
 * calls only, not Anthropic's block indexes), and the running usage.
 */
export class AnthropicStreamDecoder {
  readonly #blocks = new Map<number, Block>();
  #tools = 0;
  #usage: TokenUsage | undefined;
  /** True once `message_stop` or an `error` event was read: nothing more is expected. */
  done = false;

  constructor(readonly providerId = 'anthropic') {}

  decode(name: string | undefined, data: Record<string, unknown> | undefined, raw: string): StreamEvent[] {
    if (this.done) return [];
    if (name === 'error') {
      this.done = true;
      return [{ type: 'error', error: errorFromAnthropicEvent(raw, this.providerId) }];
    }
    if (!data) return [];
    switch (name) {
      case 'message_start':
        return this.#start(data.message as Record<string, unknown> | undefined);
      case 'content_block_start':
        return this.#blockStart(Number(data.index), data.content_block as Record<string, unknown> | undefined);
      case 'content_block_delta':
        return this.#blockDelta(Number(data.index), data.delta as Record<string, unknown> | undefined);
      case 'content_block_stop': {
        const block = this.#blocks.get(Number(data.index));
        return block?.kind === 'tool' ? [{ type: 'tool_call_end', toolIndex: block.toolIndex }] : [];
      }
      case 'message_delta': {
        const delta = (data.delta ?? {}) as Record<string, unknown>;
        const out: StreamEvent[] = [];
        this.#usage = mergeAnthropicUsage(this.#usage, data.usage);
        if (this.#usage && data.usage) out.push({ type: 'usage', usage: { ...this.#usage } });
        if (delta.stop_reason != null) {
          out.push({ type: 'finish', reason: finishReasonFromAnthropic(delta.stop_reason), ...(typeof delta.stop_sequence === 'string' ? { stopSequence: delta.stop_sequence } : {}) });
        }
        return out;
      }
      case 'message_stop':
        this.done = true;
        return [];
      default:
        // ping, and event types newer than this code: Anthropic says to ignore them.
        return [];
    }
  }

  #start(message: Record<string, unknown> | undefined): StreamEvent[] {
    const out: StreamEvent[] = [{ type: 'start', id: String(message?.id ?? ''), model: String(message?.model ?? '') }];
    this.#usage = mergeAnthropicUsage(undefined, message?.usage);
    if (this.#usage) out.push({ type: 'usage', usage: { ...this.#usage } });
    return out;
  }

  #blockStart(index: number, block: Record<string, unknown> | undefined): StreamEvent[] {
    switch (block?.type) {
      case 'text':
        this.#blocks.set(index, { kind: 'text' });
        return typeof block.text === 'string' && block.text ? [{ type: 'text_delta', text: block.text }] : [];
      case 'thinking':
        this.#blocks.set(index, { kind: 'thinking' });
        return typeof block.thinking === 'string' && block.thinking ? [{ type: 'thinking_delta', text: block.thinking }] : [];
      case 'redacted_thinking':
        this.#blocks.set(index, { kind: 'other' });
        return [{ type: 'redacted_thinking', data: String(block.data ?? '') }];
      case 'tool_use': {
        const toolIndex = this.#tools++;
        this.#blocks.set(index, { kind: 'tool', toolIndex });
        const out: StreamEvent[] = [{ type: 'tool_call_start', toolIndex, id: String(block.id ?? ''), name: String(block.name ?? '') }];
        // The real API opens with `input: {}` and streams the JSON; some relays send it whole here.
        const input = block.input;
        if (typeof input === 'object' && input !== null && Object.keys(input).length > 0) out.push({ type: 'tool_call_delta', toolIndex, arguments: JSON.stringify(input) });
        return out;
      }
      default:
        // Server tool blocks (server_tool_use, web_search_tool_result…) have no canonical form.
        this.#blocks.set(index, { kind: 'other' });
        return [];
    }
  }

  #blockDelta(index: number, delta: Record<string, unknown> | undefined): StreamEvent[] {
    const block = this.#blocks.get(index);
    if (!block || !delta) return [];
    switch (delta.type) {
      case 'text_delta':
        return block.kind === 'text' && typeof delta.text === 'string' && delta.text ? [{ type: 'text_delta', text: delta.text }] : [];
      case 'thinking_delta':
        return block.kind === 'thinking' && typeof delta.thinking === 'string' && delta.thinking ? [{ type: 'thinking_delta', text: delta.thinking }] : [];
      case 'signature_delta':
        return block.kind === 'thinking' && typeof delta.signature === 'string' ? [{ type: 'thinking_signature', signature: delta.signature, signedBy: 'claude' }] : [];
      case 'input_json_delta':
        // Fragments are passed on as they are, never parsed; the opening "" carries nothing.
        return block.kind === 'tool' && typeof delta.partial_json === 'string' && delta.partial_json
          ? [{ type: 'tool_call_delta', toolIndex: block.toolIndex, arguments: delta.partial_json }]
          : [];
      default:
        return [];
    }
  }
}

/**
 * An Anthropic SSE body as canonical events. A body that ends before `message_stop` (and
 * without an `error` event) ends with an `error` event, so a cut stream is never taken for a
 * whole answer. Transport failures while reading are thrown as they are: the caller knows
 * whether the client or the upstream went away.
 */
export async function* anthropicStreamEvents(body: AsyncIterable<Uint8Array>, providerId = 'anthropic'): AsyncGenerator<StreamEvent> {
  const decoder = new AnthropicStreamDecoder(providerId);
  for await (const event of sseEvents(body)) {
    const data = parseEventData(event.data);
    for (const out of decoder.decode(eventName(event, data), data, event.data)) {
      yield out;
      if (out.type === 'error') return;
    }
  }
  if (!decoder.done) {
    yield { type: 'error', error: streamEndedError(providerId) };
  }
}
