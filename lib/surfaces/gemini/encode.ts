import { randomUUID } from 'node:crypto';
import type { AssistantPart, ChatResponse, FinishReason, SignatureFamily, StreamEvent, TokenUsage } from '../../canonical/types';
import type { GeminiPart, GeminiResponse, GeminiUsageMetadata } from '../../providers/gemini/types';
import { toolInputObject } from '../anthropic-messages/response';
import { carryThinking, isGatewaySignature, markThoughtSignature } from './carried-thinking';
import { geminiErrorBody, geminiSse } from './errors';

const FINISH: Readonly<Record<FinishReason, string>> = Object.freeze({
  stop: 'STOP',
  // Gemini says STOP after function calls too.
  tool_calls: 'STOP',
  length: 'MAX_TOKENS',
  content_filter: 'SAFETY',
  error: 'OTHER',
});

/** The canonical finish reason as Gemini's finishReason. */
export const geminiFinishReason = (reason: FinishReason | undefined): string => FINISH[reason ?? 'stop'];

/**
 * TokenUsage as Gemini's usageMetadata, the inverse of `usageFromGemini`: promptTokenCount counts
 * every prompt token (cached ones included, as Gemini's does), candidatesTokenCount the answer
 * without the thoughts, which have their own count.
 */
export function geminiUsageMetadata(usage: TokenUsage): GeminiUsageMetadata {
  return {
    promptTokenCount: usage.input,
    candidatesTokenCount: Math.max(0, usage.output - usage.reasoning),
    totalTokenCount: usage.input + usage.output,
    ...(usage.cacheRead > 0 ? { cachedContentTokenCount: usage.cacheRead } : {}),
    ...(usage.reasoning > 0 ? { thoughtsTokenCount: usage.reasoning } : {}),
  };
}

/** A response id in Gemini's style when the upstream's cannot be carried (none, or odd characters). */
const responseIdOf = (id: string): string => (/^[A-Za-z0-9_-]+$/.test(id) ? id : randomUUID().replaceAll('-', ''));

/** A signature as a thoughtSignature: Gemini's (or a blob the gateway carries) as it is, another family's marked (see `markThoughtSignature`). */
const thoughtSignature = (signature: string, signedBy: SignatureFamily | undefined): string =>
  signedBy === undefined || signedBy === 'gemini' || isGatewaySignature(signature) ? signature : markThoughtSignature(signedBy, signature);

/**
 * One canonical part as a Gemini part. Function calls keep their id (Gemini's FunctionCall has
 * one; the SDK and Gemini CLI send it back on the functionResponse, so results map to calls
 * exactly) and their arguments as an object. Redacted thinking has no Gemini form.
 */
function geminiPart(part: AssistantPart): GeminiPart | undefined {
  switch (part.type) {
    case 'text':
      return part.text === '' ? undefined : { text: part.text };
    case 'thinking':
      return { text: part.text, thought: true, ...(part.signature ? { thoughtSignature: thoughtSignature(part.signature, part.signedBy ?? 'claude') } : {}) };
    case 'tool_call':
      return { functionCall: { ...(part.id ? { id: part.id } : {}), name: part.name, args: toolInputObject(part.arguments) }, ...(part.signature ? { thoughtSignature: thoughtSignature(part.signature, part.signedBy) } : {}) };
    case 'redacted_thinking':
      return undefined;
  }
}

/** The answer's signed thinking packed into its first function call's signature (see `carryThinking`), when that call has none of its own. */
function withCarriedThinking(parts: AssistantPart[]): AssistantPart[] {
  const first = parts.findIndex((p) => p.type === 'tool_call');
  const call = parts[first];
  if (call?.type !== 'tool_call' || call.signature) return parts;
  const signature = carryThinking(parts.filter((p) => p.type === 'thinking' || p.type === 'redacted_thinking'));
  return signature ? parts.with(first, { ...call, signature }) : parts;
}

function chunk(parts: GeminiPart[], model: string, responseId: string, extra: { finishReason?: string; usageMetadata?: GeminiUsageMetadata } = {}): GeminiResponse {
  const candidate = { content: { role: 'model' as const, parts }, ...(extra.finishReason ? { finishReason: extra.finishReason } : {}), index: 0 };
  return { candidates: [candidate], ...(extra.usageMetadata ? { usageMetadata: extra.usageMetadata } : {}), modelVersion: model, responseId };
}

/**
 * A whole answer as a GenerateContentResponse. `model` is the name the client asked for.
 *
 * @example
 * encodeGeminiResponse({ id: 'r1', model: 'x', parts: [{ type: 'text', text: 'Hi' }], finishReason: 'stop', usage }, 'gemini-2.5-flash')
 * // → { candidates: [{ content: { role: 'model', parts: [{ text: 'Hi' }] }, finishReason: 'STOP', index: 0 }], usageMetadata: {…}, modelVersion: 'gemini-2.5-flash', responseId: 'r1' }
 */
export function encodeGeminiResponse(res: ChatResponse, model: string): GeminiResponse {
  const parts = withCarriedThinking(res.parts).map(geminiPart).filter((p): p is GeminiPart => p !== undefined);
  return chunk(parts, model, responseIdOf(res.id), { finishReason: geminiFinishReason(res.finishReason), usageMetadata: geminiUsageMetadata(res.usage) });
}

/**
 * Canonical events as Gemini's SSE (`data: {GenerateContentResponse}\r\n\r\n`), a chunk per text
 * or thought delta as it arrives; a function call goes whole, in one chunk, once its arguments
 * are complete (Gemini never splits one). Chunks carry the running usage once it is known, as
 * Gemini's do. The last chunk has the finishReason and the final usage, sent when the events have
 * ended, since usage may follow the finish. An `error` event ends the stream with
 * `data: {"error": {code, message, status}}`, which @google/genai raises as an ApiError.
 */
export async function* encodeGeminiStream(events: AsyncIterable<StreamEvent>, options: { model: string }): AsyncGenerator<string> {
  let responseId = '';
  let usage: TokenUsage | undefined;
  let finish: FinishReason | undefined;
  const calls = new Map<number, { id: string; name: string; args: string; signature?: string; signedBy?: SignatureFamily }>();
  // The signed thinking so far, for the first function call to carry (see `carryThinking`).
  const thoughts: (Extract<AssistantPart, { type: 'thinking' | 'redacted_thinking' }>)[] = [];
  let carried = false;
  const send = (parts: GeminiPart[], extra: Parameters<typeof chunk>[3] = {}) =>
    geminiSse(chunk(parts, options.model, responseId || (responseId = responseIdOf('')), { ...(usage ? { usageMetadata: geminiUsageMetadata(usage) } : {}), ...extra }));
  for await (const event of events) {
    switch (event.type) {
      case 'start':
        responseId = responseIdOf(event.id);
        break;
      case 'text_delta':
        if (event.text) yield send([{ text: event.text }]);
        break;
      case 'thinking_delta': {
        const last = thoughts.at(-1);
        if (last?.type === 'thinking' && !last.signature) last.text += event.text;
        else thoughts.push({ type: 'thinking', text: event.text });
        if (event.text) yield send([{ text: event.text, thought: true }]);
        break;
      }
      case 'thinking_signature': {
        const last = thoughts.at(-1);
        if (last?.type === 'thinking' && !last.signature) Object.assign(last, { signature: event.signature, ...(event.signedBy ? { signedBy: event.signedBy } : {}) });
        yield send([{ text: '', thought: true, thoughtSignature: thoughtSignature(event.signature, event.signedBy ?? 'claude') }]);
        break;
      }
      case 'redacted_thinking':
        thoughts.push({ type: 'redacted_thinking', data: event.data });
        break;
      case 'tool_call_start':
        calls.set(event.toolIndex, { id: event.id, name: event.name, args: '', ...(event.signature ? { signature: event.signature, signedBy: event.signedBy } : {}) });
        break;
      case 'tool_call_delta': {
        const call = calls.get(event.toolIndex);
        if (call) call.args += event.arguments;
        break;
      }
      case 'tool_call_end': {
        const call = calls.get(event.toolIndex);
        calls.delete(event.toolIndex);
        if (!call) break;
        const signature = call.signature ?? (carried ? undefined : carryThinking(thoughts));
        carried = true;
        const signedBy = call.signature && call.signedBy ? { signedBy: call.signedBy } : {};
        yield send([geminiPart({ type: 'tool_call', id: call.id, name: call.name, arguments: call.args, ...(signature ? { signature, ...signedBy } : {}) })!]);
        break;
      }
      case 'usage':
        usage = event.usage;
        break;
      case 'finish':
        finish = event.reason;
        break;
      case 'error':
        yield geminiSse(geminiErrorBody(event.error));
        return;
    }
  }
  // Gemini's last chunk holds an empty text part beside the finishReason; clients read the reason off the candidate.
  yield send([{ text: '' }], { finishReason: geminiFinishReason(finish) });
}
