import { randomUUID } from 'node:crypto';
import type { AssistantPart, ChatRequest, ChatResponse, FinishReason } from '../../canonical/types';
import { GatewayError } from '../../http/errors';
import type { TokenUsage } from '../../usage/tokens';
import type { ConverseUsage } from './wire';

const FINISH: Record<string, FinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  guardrail_intervened: 'content_filter',
  content_filtered: 'content_filter',
  malformed_model_output: 'error',
  malformed_tool_use: 'error',
};

/** A Converse `stopReason` as the canonical finish reason (unknown ones count as a normal stop). */
export function finishReasonFromConverse(stopReason: unknown): FinishReason {
  return (typeof stopReason === 'string' ? FINISH[stopReason] : undefined) ?? 'stop';
}

const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);

/**
 * Converse usage as TokenUsage. Bedrock's `inputTokens` excludes the cache reads and writes
 * (as Anthropic's `input_tokens` does), so the prompt total is the three added up.
 */
export function usageFromConverse(usage: ConverseUsage | undefined): TokenUsage {
  const cacheRead = count(usage?.cacheReadInputTokens);
  const cacheWrite = count(usage?.cacheWriteInputTokens);
  return { input: count(usage?.inputTokens) + cacheRead + cacheWrite, output: count(usage?.outputTokens), cacheRead, cacheWrite, reasoning: 0 };
}

/** Converse has no message id; the gateway makes one in Anthropic's shape. */
export const newMessageId = (): string => `msg_bdrk_${randomUUID().replace(/-/g, '')}`;

/** Claude's `stop_sequence` when the request asked for it (`additionalModelResponseFieldPaths`). */
export function stopSequenceFrom(fields: unknown): string | undefined {
  const value = (fields as { stop_sequence?: unknown } | null | undefined)?.stop_sequence;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

interface ConverseResponseBody {
  output?: { message?: { role?: string; content?: Record<string, unknown>[] } };
  stopReason?: string;
  usage?: ConverseUsage;
  additionalModelResponseFields?: unknown;
}

/**
 * Whether the answer may hold one tool call only: the client sent `parallel_tool_calls: false`.
 * Claude is told so (request.ts); other Converse models have no such switch, so the gateway keeps
 * the first call and leaves out the rest, which the model asks for again once it has the first
 * result (as for Gemini).
 *
 * @example
 * oneCallOnly({ model: 'amazon.nova-pro-v1:0', system: [], messages: [], stream: false, parallelToolCalls: false }) // true
 */
export function oneCallOnly(req: ChatRequest): boolean {
  return req.parallelToolCalls === false;
}

/** A Converse answer (`output.message.content`, `stopReason`, `usage`) as the canonical response. */
export function parseConverseResponse(body: unknown, req: ChatRequest): ChatResponse {
  if (typeof body !== 'object' || body === null) throw new GatewayError('upstream_error', 'Bedrock answered with a body that is not a Converse response.', { code: 'bad_upstream_response' });
  const res = body as ConverseResponseBody;
  const parts: AssistantPart[] = [];
  for (const block of res.output?.message?.content ?? []) {
    const part = assistantPart(block);
    if (!part || (part.type === 'tool_call' && oneCallOnly(req) && parts.some((p) => p.type === 'tool_call'))) continue;
    parts.push(part);
  }
  const stopSequence = stopSequenceFrom(res.additionalModelResponseFields);
  return {
    id: newMessageId(),
    model: req.model,
    parts,
    finishReason: finishReasonFromConverse(res.stopReason),
    ...(stopSequence ? { stopSequence } : {}),
    usage: usageFromConverse(res.usage),
  };
}

/** One output content block; citations, images and other blocks the canonical form lacks are skipped. */
function assistantPart(block: Record<string, unknown>): AssistantPart | undefined {
  if (typeof block.text === 'string') return { type: 'text', text: block.text };
  const toolUse = block.toolUse as { toolUseId?: unknown; name?: unknown; input?: unknown } | undefined;
  if (toolUse && typeof toolUse === 'object') {
    return { type: 'tool_call', id: String(toolUse.toolUseId ?? ''), name: String(toolUse.name ?? ''), arguments: JSON.stringify(toolUse.input ?? {}) };
  }
  const reasoning = block.reasoningContent as { reasoningText?: { text?: unknown; signature?: unknown }; redactedContent?: unknown } | undefined;
  if (reasoning && typeof reasoning === 'object') {
    if (typeof reasoning.redactedContent === 'string') return { type: 'redacted_thinking', data: reasoning.redactedContent };
    const text = reasoning.reasoningText;
    if (text && typeof text === 'object') {
      return { type: 'thinking', text: typeof text.text === 'string' ? text.text : '', ...(typeof text.signature === 'string' ? { signature: text.signature, signedBy: 'claude' as const } : {}) };
    }
  }
  return undefined;
}
