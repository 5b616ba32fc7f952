import type { FinishReason, StreamEvent, TokenUsage } from '../../canonical/types';
import { anthropicErrorBody } from '../../http/anthropic-error';
import { anthropicMessageId, anthropicStopReason, anthropicToolUseId, anthropicUsage } from './response';
import { sseEvent } from '../../http/sse';
import { thinkingSignature } from './signatures';

/** One SSE event the way Anthropic frames it: always with an `event:` line (its SDK skips events without one). */
export const anthropicSse: (name: string, data: unknown) => string = sseEvent;

type Open = { kind: 'text' } | { kind: 'thinking' } | { kind: 'tool'; toolIndex: number };

/**
 * Writes canonical events as Anthropic's SSE, keeping the order its clients rely on: one
 * `message_start` first; blocks opened lazily with the right type and numbered in order; the
 * old block closed before a new one opens; no delta outside its block; `ping` after the first
 * block start (as the real API does); `message_delta` only once the events have ENDED, because
 * usage may arrive after the finish (OpenAI's usage chunk, Bedrock's metadata); then `message_stop`.
 */
class AnthropicStreamWriter {
  #started = false;
  #index = -1;
  #open: Open | undefined;
  #pinged = false;
  #usage: TokenUsage | undefined;
  #finish: { reason: FinishReason; stopSequence?: string } | undefined;

  constructor(
    readonly model: string,
    readonly inputTokensEstimate = 0,
  ) {}

  write(event: StreamEvent): string {
    let out = event.type === 'start' || event.type === 'error' ? '' : this.#ensureStarted('');
    switch (event.type) {
      case 'start':
        return this.#ensureStarted(event.id);
      case 'text_delta':
        if (!event.text) return out;
        out += this.#ensureBlock({ kind: 'text' }, { type: 'text', text: '' });
        return out + this.#delta({ type: 'text_delta', text: event.text });
      case 'thinking_delta':
        if (!event.text) return out;
        out += this.#ensureBlock({ kind: 'thinking' }, { type: 'thinking', thinking: '', signature: '' });
        return out + this.#delta({ type: 'thinking_delta', thinking: event.text });
      case 'thinking_signature':
        out += this.#ensureBlock({ kind: 'thinking' }, { type: 'thinking', thinking: '', signature: '' });
        return out + this.#delta({ type: 'signature_delta', signature: thinkingSignature(event.signature, event.signedBy) });
      case 'redacted_thinking':
        out += this.#close();
        out += this.#openBlock(undefined, { type: 'redacted_thinking', data: event.data });
        return out + this.#close();
      case 'tool_call_start':
        out += this.#close();
        out += this.#openBlock({ kind: 'tool', toolIndex: event.toolIndex }, { type: 'tool_use', id: anthropicToolUseId(event.id), name: event.name, input: {} });
        // The real API opens every tool input with an empty fragment; clients are written against it.
        return out + this.#delta({ type: 'input_json_delta', partial_json: '' });
      case 'tool_call_delta':
        // Canonical streams never interleave tool calls, so a delta for another call has no open block to go to.
        if (this.#open?.kind !== 'tool' || this.#open.toolIndex !== event.toolIndex || !event.arguments) return out;
        return out + this.#delta({ type: 'input_json_delta', partial_json: event.arguments });
      case 'tool_call_end':
        return this.#open?.kind === 'tool' && this.#open.toolIndex === event.toolIndex ? out + this.#close() : out;
      case 'usage':
        this.#usage = event.usage;
        return out;
      case 'finish':
        this.#finish = { reason: event.reason, ...(event.stopSequence ? { stopSequence: event.stopSequence } : {}) };
        return out + this.#close();
      case 'error':
        // Anthropic's own mid-stream failures are a bare `event: error`; its SDK raises on it.
        return out + anthropicSse('error', anthropicErrorBody(event.error));
    }
  }

  /** What follows the last event: the held `message_delta` with the final usage, then `message_stop`. */
  end(): string {
    let out = this.#ensureStarted('') + this.#close();
    const stopSequence = this.#finish?.stopSequence ?? null;
    out += anthropicSse('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: anthropicStopReason(this.#finish?.reason, this.#finish?.stopSequence), stop_sequence: stopSequence },
      usage: anthropicUsage(this.#usage),
    });
    return out + anthropicSse('message_stop', { type: 'message_stop' });
  }

  #ensureStarted(id: string): string {
    if (this.#started) return '';
    this.#started = true;
    // Anthropic's message_start carries the prompt's count, and some clients read input_tokens only
    // there (LangChain's ChatAnthropic sums message_start's input with message_delta's output). An
    // upstream that counts at the end (OpenAI's usage chunk, Bedrock's metadata) has said nothing
    // yet: the estimate stands in, and message_delta carries the upstream's own count.
    const usage = { ...anthropicUsage(this.#usage), output_tokens: 1 };
    if (!this.#usage) usage.input_tokens = this.inputTokensEstimate;
    const message = { id: anthropicMessageId(id), type: 'message', role: 'assistant', model: this.model, content: [], stop_reason: null, stop_sequence: null, usage };
    return anthropicSse('message_start', { type: 'message_start', message });
  }

  #ensureBlock(open: Open, block: Record<string, unknown>): string {
    if (this.#open && this.#open.kind === open.kind && open.kind !== 'tool') return '';
    return this.#close() + this.#openBlock(open, block);
  }

  #openBlock(open: Open | undefined, block: Record<string, unknown>): string {
    this.#index++;
    this.#open = open;
    let out = anthropicSse('content_block_start', { type: 'content_block_start', index: this.#index, content_block: block });
    if (!this.#pinged) {
      this.#pinged = true;
      out += anthropicSse('ping', { type: 'ping' });
    }
    return out;
  }

  #delta(delta: Record<string, unknown>): string {
    return anthropicSse('content_block_delta', { type: 'content_block_delta', index: this.#index, delta });
  }

  /** Closes the open block, if any (redacted_thinking opens with `open` undefined but still needs its stop). */
  #close(): string {
    if (this.#index < 0 || this.#closed === this.#index) return '';
    this.#closed = this.#index;
    this.#open = undefined;
    return anthropicSse('content_block_stop', { type: 'content_block_stop', index: this.#index });
  }

  #closed = -1;
}

/**
 * Canonical stream events as Anthropic Messages SSE text, one string per event as it arrives.
 * An `error` event is written as `event: error` and ends the output (no message_delta/stop).
 * `inputTokensEstimate` goes in message_start when the upstream has not counted the prompt yet.
 *
 * @example
 * for await (const sse of encodeAnthropicStream(events, { model: 'claude-sonnet-4-6', inputTokensEstimate: 120 })) res.write(sse);
 */
export async function* encodeAnthropicStream(events: AsyncIterable<StreamEvent>, options: { model: string; inputTokensEstimate?: number }): AsyncGenerator<string> {
  const writer = new AnthropicStreamWriter(options.model, options.inputTokensEstimate);
  for await (const event of events) {
    const out = writer.write(event);
    if (out) yield out;
    if (event.type === 'error') return;
  }
  yield writer.end();
}
