/**
 * OpenAI's (legacy) Completions API wire format (`POST /v1/completions`, `object:
 * "text_completion"`), as pure builders shaped like the real API's: the whole body is JSON
 * indented by 2 spaces with a trailing newline; a stream is compact chunks in `data: …\n\n`,
 * each choice carrying `text` (no `delta`), the last with `finish_reason` and empty text, then the
 * usage chunk (`choices: []`) when `stream_options.include_usage` asks for it, then `[DONE]`.
 */
import { randomAlnum, randomHex } from './http';
import type { FinishReason, ReplyUsage } from './openai-wire';

export interface TextCompletionFrame {
  id: string;
  created: number;
  model: string;
  systemFingerprint: string;
}

export function newTextCompletionFrame(model: string): TextCompletionFrame {
  return { id: `cmpl-${randomAlnum(29)}`, created: Math.floor(Date.now() / 1000), model, systemFingerprint: `fp_${randomHex(10)}` };
}

/** Completions' usage has no token details. */
const usageOf = (usage: ReplyUsage) => ({ prompt_tokens: usage.prompt, completion_tokens: usage.completion, total_tokens: usage.prompt + usage.completion });

const choice = (text: string, finish: FinishReason | null) => ({ text, index: 0, logprobs: null, finish_reason: finish });

export function textCompletionBody(frame: TextCompletionFrame, text: string, finish: FinishReason, usage: ReplyUsage): string {
  const body = {
    id: frame.id,
    object: 'text_completion',
    created: frame.created,
    model: frame.model,
    system_fingerprint: frame.systemFingerprint,
    choices: [choice(text, finish)],
    usage: usageOf(usage),
  };
  return `${JSON.stringify(body, null, 2)}\n`;
}

/** Every SSE event of one streamed text completion, in order, ending with `data: [DONE]`. */
export function textCompletionEvents(frame: TextCompletionFrame, pieces: readonly string[], finish: FinishReason, usage: ReplyUsage, includeUsage: boolean): string[] {
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({ id: frame.id, object: 'text_completion', created: frame.created, choices, model: frame.model, system_fingerprint: frame.systemFingerprint, ...extra })}\n\n`;
  const events = pieces.map((piece) => chunk([choice(piece, null)]));
  events.push(chunk([choice('', finish)]));
  if (includeUsage) events.push(chunk([], { usage: usageOf(usage) }));
  events.push('data: [DONE]\n\n');
  return events;
}

/** The prompt a fake answers to: the text of a string prompt, or of the first of several. */
export function promptText(body: unknown): string | undefined {
  const prompt = (body as { prompt?: unknown } | undefined)?.prompt;
  if (typeof prompt === 'string') return prompt;
  return Array.isArray(prompt) && typeof prompt[0] === 'string' ? prompt[0] : undefined;
}
