import type { AssistantPart, ChatResponse, FinishReason } from '../../canonical/types';
import { NO_TOKENS } from '../../usage/tokens';
import { usageFromAnthropic } from './usage';

/**
 * Anthropic's stop_reason as the canonical finish reason. `pause_turn` (a server tool paused a
 * long turn) is a normal stop for clients that cannot resume it; a context-window stop is a
 * length stop.
 */
export function finishReasonFromAnthropic(stopReason: unknown): FinishReason {
  switch (stopReason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop';
  }
}

interface AnthropicMessageBody {
  id?: unknown;
  model?: unknown;
  content?: unknown;
  stop_reason?: unknown;
  stop_sequence?: unknown;
  usage?: unknown;
}

/** One response content block as a canonical part; blocks the canonical form has no place for (server tool results) are left out. */
function partFromBlock(block: Record<string, unknown>): AssistantPart | undefined {
  switch (block.type) {
    case 'text':
      return { type: 'text', text: String(block.text ?? '') };
    case 'tool_use':
      return { type: 'tool_call', id: String(block.id ?? ''), name: String(block.name ?? ''), arguments: JSON.stringify(block.input ?? {}) };
    case 'thinking':
      return { type: 'thinking', text: String(block.thinking ?? ''), ...(typeof block.signature === 'string' && block.signature ? { signature: block.signature, signedBy: 'claude' as const } : {}) };
    case 'redacted_thinking':
      return { type: 'redacted_thinking', data: String(block.data ?? '') };
    default:
      return undefined;
  }
}

/** A whole Messages API answer as the canonical response. */
export function responseFromAnthropic(body: unknown): ChatResponse {
  const b = (typeof body === 'object' && body !== null ? body : {}) as AnthropicMessageBody;
  const blocks = Array.isArray(b.content) ? (b.content as unknown[]) : [];
  const parts = blocks.flatMap((block) => (typeof block === 'object' && block !== null ? (partFromBlock(block as Record<string, unknown>) ?? []) : []));
  return {
    id: typeof b.id === 'string' ? b.id : '',
    model: typeof b.model === 'string' ? b.model : '',
    parts,
    finishReason: finishReasonFromAnthropic(b.stop_reason),
    ...(typeof b.stop_sequence === 'string' ? { stopSequence: b.stop_sequence } : {}),
    usage: usageFromAnthropic(b.usage) ?? { ...NO_TOKENS },
  };
}
