/**
 * The Messages API's wire format for the fake in `anthropic.ts`: whole message bodies, the SSE
 * event sequence of a streamed message, model info and the error bodies, with the real API's
 * byte habits (see `anthropic.ts`). The usage and tool-use specs are shared with `bedrock-wire.ts`,
 * whose InvokeModel carries the same Claude messages.
 */
import { randomAlnum } from './http';

/** Token counts of a reply, as Claude counts them (in the Messages API and on Bedrock). */
export interface ReplyUsage {
  /** Uncached input tokens (Anthropic's `input_tokens`). */
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
}

export interface ToolUseSpec {
  /** Defaults to a random id of the provider's form: `toolu_01…` (Anthropic), `tooluse_…` (Bedrock). */
  id?: string;
  name: string;
  input: Record<string, unknown>;
  /** How the input JSON is cut into stream deltas; defaults to 7-character pieces after an empty one (Anthropic) or two halves (Bedrock). */
  inputChunks?: string[];
}

export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'pause_turn' | 'refusal';

/** The Messages API's error bodies, as the real API words them. */
export const anthropicErrors = {
  body: (type: string, message: string) => ({ type: 'error', error: { type, message }, request_id: `req_${randomAlnum(24)}` }),
  missingKey: () => anthropicErrors.body('authentication_error', 'x-api-key header is required'),
  invalidKey: () => anthropicErrors.body('authentication_error', 'invalid x-api-key'),
  missingVersion: () => anthropicErrors.body('invalid_request_error', 'anthropic-version: header is required'),
  invalid: (message: string) => anthropicErrors.body('invalid_request_error', message),
  notFound: (what: string) => anthropicErrors.body('not_found_error', what),
  forStatus(status: number, model: string) {
    switch (status) {
      case 400:
        return anthropicErrors.invalid('prompt is too long: 210000 tokens > 200000 maximum');
      case 401:
        return anthropicErrors.invalidKey();
      case 403:
        return anthropicErrors.body('permission_error', 'Your API key does not have permission to use the specified resource.');
      case 404:
        return anthropicErrors.notFound(`model: ${model}`);
      case 413:
        return anthropicErrors.body('request_too_large', 'Request exceeds the maximum allowed number of bytes.');
      case 429:
        return anthropicErrors.body('rate_limit_error', 'This request would exceed the rate limit for your organization of 50 requests per minute.');
      case 529:
      case 503:
        return anthropicErrors.body('overloaded_error', 'Overloaded');
      default:
        return anthropicErrors.body('api_error', 'Internal server error');
    }
  },
};

/** One content block of an answer, with how it streams. */
export type Block = { type: 'text'; text: string; chunks: string[] } | { type: 'thinking'; thinking: string; signature: string } | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown>; chunks: string[] };

function usageObject(u: ReplyUsage): Record<string, unknown> {
  return { input_tokens: u.input, cache_creation_input_tokens: u.cacheWrite ?? 0, cache_read_input_tokens: u.cacheRead ?? 0, output_tokens: u.output, service_tier: 'standard' };
}

function wholeBlock(block: Block): Record<string, unknown> {
  if (block.type === 'text') return { type: 'text', text: block.text };
  if (block.type === 'thinking') return { type: 'thinking', thinking: block.thinking, signature: block.signature };
  return { type: 'tool_use', id: block.id, name: block.name, input: block.input };
}

export function messageBody(model: string, blocks: Block[], stopReason: StopReason, u: ReplyUsage, stopSequence?: string): Record<string, unknown> {
  return { id: `msg_01${randomAlnum(22)}`, type: 'message', role: 'assistant', model, content: blocks.map(wholeBlock), stop_reason: stopReason, stop_sequence: stopSequence ?? null, usage: usageObject(u) };
}

/** One event as the real API frames it, JSON padded with a few spaces. */
export function sse(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}${' '.repeat(Math.floor(Math.random() * 12))}\n\n`;
}

/** The whole event sequence of one streamed message. */
export function streamEvents(model: string, blocks: Block[], stopReason: StopReason, u: ReplyUsage, stopSequence?: string): string[] {
  const start = { id: `msg_01${randomAlnum(22)}`, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usageObject(u), output_tokens: 1 } };
  const out = [sse('message_start', { type: 'message_start', message: start })];
  blocks.forEach((block, index) => {
    const delta = (d: Record<string, unknown>) => sse('content_block_delta', { type: 'content_block_delta', index, delta: d });
    if (block.type === 'text') {
      out.push(sse('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } }));
      if (index === 0) out.push('event: ping\ndata: {"type": "ping"}\n\n');
      for (const text of block.chunks) out.push(delta({ type: 'text_delta', text }));
    } else if (block.type === 'thinking') {
      out.push(sse('content_block_start', { type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } }));
      if (index === 0) out.push('event: ping\ndata: {"type": "ping"}\n\n');
      for (const thinking of words(block.thinking)) out.push(delta({ type: 'thinking_delta', thinking }));
      out.push(delta({ type: 'signature_delta', signature: block.signature }));
    } else {
      out.push(sse('content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } }));
      if (index === 0) out.push('event: ping\ndata: {"type": "ping"}\n\n');
      for (const partial_json of ['', ...block.chunks]) out.push(delta({ type: 'input_json_delta', partial_json }));
    }
    out.push(sse('content_block_stop', { type: 'content_block_stop', index }));
  });
  out.push(sse('message_delta', { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: stopSequence ?? null }, usage: { output_tokens: u.output } }));
  out.push(sse('message_stop', { type: 'message_stop' }));
  return out;
}

export function modelInfo(id: string): { type: 'model'; id: string; display_name: string; created_at: string } {
  return { type: 'model', id, display_name: id.replace(/-\d{8}$/, '').replace(/-/g, ' '), created_at: '2025-09-29T00:00:00Z' };
}

/** Splits text into stream pieces the way the real API does: words with their spaces. */
export function words(text: string): string[] {
  return text.match(/\s*\S+\s*$|\s*\S+/g) ?? (text === '' ? [] : [text]);
}
