import { randomUUID } from 'node:crypto';
import type { AssistantPart, ChatResponse, FinishReason, TokenUsage } from '../../canonical/types';
import { thinkingSignature } from './signatures';

/** The canonical finish reason as Anthropic's stop_reason. */
export function anthropicStopReason(reason: FinishReason | undefined, stopSequence?: string): string {
  switch (reason) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return stopSequence ? 'stop_sequence' : 'end_turn';
  }
}

/**
 * TokenUsage in Anthropic's shape: its `input_tokens` excludes cache reads and writes, which have
 * their own fields (always present, as the real API sends them).
 */
export function anthropicUsage(usage: TokenUsage | undefined): { input_tokens: number; cache_creation_input_tokens: number; cache_read_input_tokens: number; output_tokens: number } {
  const u = usage ?? { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 };
  return {
    input_tokens: Math.max(0, u.input - u.cacheRead - u.cacheWrite),
    cache_creation_input_tokens: u.cacheWrite,
    cache_read_input_tokens: u.cacheRead,
    output_tokens: u.output,
  };
}

/** Message ids look like `msg_…`; another provider's id is carried over behind the prefix, a missing one is made up. */
export function anthropicMessageId(id: string): string {
  if (id.startsWith('msg_')) return id;
  const cleaned = id.replace(/[^A-Za-z0-9_-]/g, '');
  return `msg_${cleaned || randomUUID().replaceAll('-', '')}`;
}

/** A tool call keeps its upstream id (clients send it back verbatim); only a missing one is made up. */
export function anthropicToolUseId(id: string): string {
  return id || `toolu_${randomUUID().replaceAll('-', '')}`;
}

/** Tool arguments (JSON text) as the `input` object Anthropic clients expect; `""` means `{}`. */
export function toolInputObject(args: string): Record<string, unknown> {
  try {
    const value = JSON.parse(args || '{}') as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // A model wrote broken JSON; Anthropic's shape has no place for raw text.
  }
  return {};
}

function block(part: AssistantPart): Record<string, unknown> {
  switch (part.type) {
    case 'text':
      return { type: 'text', text: part.text };
    case 'tool_call':
      return { type: 'tool_use', id: anthropicToolUseId(part.id), name: part.name, input: toolInputObject(part.arguments) };
    case 'thinking':
      return { type: 'thinking', thinking: part.text, signature: part.signature ? thinkingSignature(part.signature, part.signedBy) : '' };
    case 'redacted_thinking':
      return { type: 'redacted_thinking', data: part.data };
  }
}

/**
 * A whole answer as an Anthropic `message` body. `model` is the name the client asked for.
 *
 * @example
 * encodeAnthropicResponse({ id: 'msg_1', model: 'x', parts: [{ type: 'text', text: 'Hi' }], finishReason: 'stop', usage }, 'claude-sonnet-4-5')
 */
export function encodeAnthropicResponse(res: ChatResponse, model: string): Record<string, unknown> {
  return {
    id: anthropicMessageId(res.id),
    type: 'message',
    role: 'assistant',
    model,
    content: res.parts.filter((p) => !(p.type === 'text' && p.text === '')).map(block),
    stop_reason: anthropicStopReason(res.finishReason, res.stopSequence),
    stop_sequence: res.stopSequence ?? null,
    usage: anthropicUsage(res.usage),
  };
}
