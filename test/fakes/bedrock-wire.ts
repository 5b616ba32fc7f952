/**
 * Bedrock Runtime's wire format for the fake in `bedrock.ts`: Converse JSON and ConverseStream
 * events, the Anthropic bodies of InvokeModel, event-stream frames (with both CRCs, by
 * `@smithy/eventstream-codec`) and the errors Bedrock answers with.
 */
import { randomUUID } from 'node:crypto';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import type { ReplyUsage, ToolUseSpec } from './anthropic-wire';
import { randomAlnum } from './http';

// The same specs as the Anthropic fake's: Bedrock's Claude models count and call tools the same way.
export type { ReplyUsage, ToolUseSpec } from './anthropic-wire';

/** Everything one answer holds, whichever operation carries it. */
export interface AnswerContent {
  text?: string;
  /** How `text` streams (one delta each). */
  chunks: string[];
  reasoning?: { text: string; signature: string };
  calls: Required<Pick<ToolUseSpec, 'id' | 'name' | 'input' | 'inputChunks'>>[];
  stopReason: string;
  usage: ReplyUsage;
}

/** One ConverseStream event before framing: its `:event-type` and JSON payload. */
export interface WireEvent {
  type: string;
  payload: Record<string, unknown>;
}

/** The default HTTP status of each error type Bedrock documents. */
export const ERROR_STATUS: Record<string, number> = {
  ThrottlingException: 429,
  ValidationException: 400,
  AccessDeniedException: 403,
  UnrecognizedClientException: 403,
  ExpiredTokenException: 403,
  InvalidSignatureException: 403,
  MissingAuthenticationTokenException: 403,
  ResourceNotFoundException: 404,
  ModelTimeoutException: 408,
  ModelErrorException: 424,
  ModelNotReadyException: 429,
  ServiceQuotaExceededException: 400,
  InternalServerException: 500,
  ServiceUnavailableException: 503,
  // The agent runtime's (Rerank).
  BadGatewayException: 502,
  DependencyFailedException: 424,
  ConflictException: 409,
};

const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** Real Bedrock pads every event payload with a `p` field of varying length (against size side channels). */
const padded = (payload: Record<string, unknown>): string => JSON.stringify({ ...payload, p: randomAlnum(1 + Math.floor(Math.random() * 30)) });

/** One `:message-type: event` frame. */
export function eventFrame(type: string, payload: Record<string, unknown>): Uint8Array {
  return codec.encode({
    headers: {
      ':event-type': { type: 'string', value: type },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'event' },
    },
    body: fromUtf8(padded(payload)),
  });
}

/** One `:message-type: exception` frame; `type` in the stream's camelCase (`throttlingException`). */
export function exceptionFrame(type: string, message: string): Uint8Array {
  return codec.encode({
    headers: {
      ':exception-type': { type: 'string', value: type },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'exception' },
    },
    body: fromUtf8(JSON.stringify({ message })),
  });
}

function usageBody(u: ReplyUsage): Record<string, number> {
  return {
    inputTokens: u.input,
    outputTokens: u.output,
    totalTokens: u.input + u.output + (u.cacheRead ?? 0) + (u.cacheWrite ?? 0),
    ...(u.cacheRead !== undefined ? { cacheReadInputTokens: u.cacheRead } : {}),
    ...(u.cacheWrite !== undefined ? { cacheWriteInputTokens: u.cacheWrite } : {}),
  };
}

/** The whole Converse answer. */
export function converseBody(c: AnswerContent): string {
  const content: Record<string, unknown>[] = [];
  if (c.reasoning) content.push({ reasoningContent: { reasoningText: { text: c.reasoning.text, signature: c.reasoning.signature } } });
  if (c.text !== undefined) content.push({ text: c.text });
  for (const call of c.calls) content.push({ toolUse: { toolUseId: call.id, name: call.name, input: call.input } });
  return JSON.stringify({
    output: { message: { role: 'assistant', content } },
    stopReason: c.stopReason,
    usage: usageBody(c.usage),
    metrics: { latencyMs: 321 },
  });
}

/** The ConverseStream events of one answer, in Bedrock's order (metadata after messageStop). */
export function converseStreamEvents(c: AnswerContent): WireEvent[] {
  const events: WireEvent[] = [{ type: 'messageStart', payload: { role: 'assistant' } }];
  let index = 0;
  if (c.reasoning) {
    for (const piece of halves(c.reasoning.text)) events.push({ type: 'contentBlockDelta', payload: { contentBlockIndex: index, delta: { reasoningContent: { text: piece } } } });
    events.push({ type: 'contentBlockDelta', payload: { contentBlockIndex: index, delta: { reasoningContent: { signature: c.reasoning.signature } } } });
    events.push({ type: 'contentBlockStop', payload: { contentBlockIndex: index++ } });
  }
  if (c.text !== undefined) {
    for (const piece of c.chunks) events.push({ type: 'contentBlockDelta', payload: { contentBlockIndex: index, delta: { text: piece } } });
    events.push({ type: 'contentBlockStop', payload: { contentBlockIndex: index++ } });
  }
  for (const call of c.calls) {
    events.push({ type: 'contentBlockStart', payload: { contentBlockIndex: index, start: { toolUse: { toolUseId: call.id, name: call.name } } } });
    for (const piece of call.inputChunks) events.push({ type: 'contentBlockDelta', payload: { contentBlockIndex: index, delta: { toolUse: { input: piece } } } });
    events.push({ type: 'contentBlockStop', payload: { contentBlockIndex: index++ } });
  }
  events.push({ type: 'messageStop', payload: { stopReason: c.stopReason } });
  events.push({ type: 'metadata', payload: { usage: usageBody(c.usage), metrics: { latencyMs: 321 } } });
  return events;
}

const ANTHROPIC_STOP: Record<string, string> = { end_turn: 'end_turn', max_tokens: 'max_tokens', stop_sequence: 'stop_sequence', tool_use: 'tool_use' };

function anthropicUsage(u: ReplyUsage): Record<string, number> {
  return { input_tokens: u.input, cache_creation_input_tokens: u.cacheWrite ?? 0, cache_read_input_tokens: u.cacheRead ?? 0, output_tokens: u.output };
}

/** InvokeModel's answer for a Claude model: the Anthropic message, with Bedrock's id and model. */
export function anthropicMessage(c: AnswerContent, model: string): Record<string, unknown> {
  const content: Record<string, unknown>[] = [];
  if (c.reasoning) content.push({ type: 'thinking', thinking: c.reasoning.text, signature: c.reasoning.signature });
  if (c.text !== undefined) content.push({ type: 'text', text: c.text });
  for (const call of c.calls) content.push({ type: 'tool_use', id: call.id.replace(/^tooluse_/, 'toolu_bdrk_'), name: call.name, input: call.input });
  return {
    id: `msg_bdrk_${randomAlnum(24)}`,
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: ANTHROPIC_STOP[c.stopReason] ?? 'end_turn',
    stop_sequence: null,
    usage: anthropicUsage(c.usage),
  };
}

/** InvokeModelWithResponseStream's Anthropic events (each becomes one `chunk` frame). */
export function anthropicStreamEvents(c: AnswerContent, model: string): Record<string, unknown>[] {
  const message = anthropicMessage(c, model);
  const events: Record<string, unknown>[] = [
    { type: 'message_start', message: { ...message, content: [], stop_reason: null, usage: { ...anthropicUsage(c.usage), output_tokens: 1 } } },
  ];
  let index = 0;
  if (c.reasoning) {
    events.push({ type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '' } });
    for (const piece of halves(c.reasoning.text)) events.push({ type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: piece } });
    events.push({ type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: c.reasoning.signature } });
    events.push({ type: 'content_block_stop', index: index++ });
  }
  if (c.text !== undefined) {
    events.push({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
    for (const piece of c.chunks) events.push({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } });
    events.push({ type: 'content_block_stop', index: index++ });
  }
  for (const call of c.calls) {
    events.push({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: call.id.replace(/^tooluse_/, 'toolu_bdrk_'), name: call.name, input: {} } });
    for (const piece of call.inputChunks) events.push({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: piece } });
    events.push({ type: 'content_block_stop', index: index++ });
  }
  events.push({ type: 'message_delta', delta: { stop_reason: message.stop_reason, stop_sequence: null }, usage: { output_tokens: c.usage.output } });
  events.push({
    type: 'message_stop',
    'amazon-bedrock-invocationMetrics': { inputTokenCount: c.usage.input, outputTokenCount: c.usage.output, invocationLatency: 321, firstByteLatency: 123 },
  });
  return events;
}

/** An Anthropic event as InvokeModelWithResponseStream frames it. */
export function chunkFrame(event: Record<string, unknown>): Uint8Array {
  return eventFrame('chunk', { bytes: Buffer.from(JSON.stringify(event), 'utf8').toString('base64') });
}

/** Bedrock's error answer: the type in `x-amzn-ErrorType`, `{"message"}` in the body. */
export function errorResponse(type: string, message: string, status = ERROR_STATUS[type] ?? 400): { status: number; headers: Record<string, string>; body: string } {
  return {
    status,
    headers: {
      'content-type': 'application/json',
      'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
      'x-amzn-requestid': randomUUID(),
    },
    body: JSON.stringify({ message }),
  };
}

/** Bedrock-shaped tool-use ids. */
export const newToolUseId = (): string => `tooluse_${randomAlnum(22)}`;

function halves(text: string): string[] {
  if (text.length < 2) return [text];
  const middle = Math.floor(text.length / 2);
  return [text.slice(0, middle), text.slice(middle)];
}

/** Byte sizes for the `awkward` chunking: cuts inside preludes, headers, payloads and CRCs. */
const AWKWARD_SIZES = [1, 3, 7, 2, 13, 5, 29, 11, 4, 17];

/** Cuts bytes into pieces of the awkward sizes, cycling. */
export function awkwardPieces(bytes: Uint8Array): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let offset = 0;
  for (let i = 0; offset < bytes.byteLength; i++) {
    const size = AWKWARD_SIZES[i % AWKWARD_SIZES.length] ?? 1;
    pieces.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return pieces;
}
