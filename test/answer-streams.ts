/**
 * Streamed answers in each dialect the guardrails on answers read, built from pieces of text:
 * for the answer screen's tests and its fuzz test.
 */
import type { AnswerDialect } from '../lib/guardrails/answer-dialects';

/** One SSE event per piece of text, in each dialect's shape, with the events around them a real stream has. */
export const STREAMS: Record<AnswerDialect, { start: string[]; piece: (text: string) => string; end: string[]; text: (events: unknown[]) => string }> = {
  openai: {
    start: [`data: ${JSON.stringify({ id: 'c', choices: [{ index: 0, delta: { role: 'assistant', content: '' } }] })}\n\n`],
    piece: (text) => `data: ${JSON.stringify({ id: 'c', choices: [{ index: 0, delta: { content: text } }] })}\n\n`,
    end: [`data: ${JSON.stringify({ id: 'c', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`, 'data: [DONE]\n\n'],
    text: (events) => events.map((e) => (e as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta?.content ?? '').join(''),
  },
  anthropic: {
    start: [`event: message_start\ndata: ${JSON.stringify({ type: 'message_start', message: { id: 'm', content: [], usage: { input_tokens: 3, output_tokens: 0 } } })}\n\n`, `event: content_block_start\ndata: ${JSON.stringify({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } })}\n\n`],
    piece: (text) => `event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } })}\n\n`,
    end: [`event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n`, `event: message_stop\ndata: {"type":"message_stop"}\n\n`],
    text: (events) => events.map((e) => (e as { delta?: { text?: string } }).delta?.text ?? '').join(''),
  },
  'openai-responses': {
    start: [`event: response.created\ndata: ${JSON.stringify({ type: 'response.created', sequence_number: 0, response: { id: 'r', output: [] } })}\n\n`],
    piece: (text) => `event: response.output_text.delta\ndata: ${JSON.stringify({ type: 'response.output_text.delta', output_index: 0, content_index: 0, delta: text })}\n\n`,
    end: [],
    text: (events) => events.map((e) => ((e as { type?: string }).type === 'response.output_text.delta' ? (e as { delta: string }).delta : '')).join(''),
  },
  gemini: {
    start: [],
    piece: (text) => `data: ${JSON.stringify({ candidates: [{ index: 0, content: { role: 'model', parts: [{ text }] } }] })}\r\n\r\n`,
    end: [`data: ${JSON.stringify({ candidates: [{ index: 0, content: { role: 'model', parts: [{ text: '' }] }, finishReason: 'STOP' }], usageMetadata: { totalTokenCount: 9 } })}\r\n\r\n`],
    text: (events) => events.map((e) => (e as { candidates?: { content?: { parts?: { text?: string }[] } }[] }).candidates?.[0]?.content?.parts?.[0]?.text ?? '').join(''),
  },
};

/** Every `data:` JSON of an SSE text. */
export function sseEvents(sse: string): unknown[] {
  return sse
    .split(/\r?\n\r?\n/)
    .map((e) => e.split(/\r?\n/).find((l) => l.startsWith('data: '))?.slice(6))
    .filter((d): d is string => d !== undefined && d.startsWith('{'))
    .map((d) => JSON.parse(d) as unknown);
}
