import type { ChatRequest, StreamEvent } from '../../canonical/types';
import { brokenStreamError, errorOfFailureFrame, streamEndedError } from './errors';
import { decodeEventStream, EventStreamFormatError, isConverseEvent } from './eventstream';
import { finishReasonFromConverse, newMessageId, oneCallOnly, stopSequenceFrom, usageFromConverse } from './response';
import type { ConverseUsage } from './wire';

interface ConverseStreamPayload {
  contentBlockIndex?: number;
  start?: { toolUse?: { toolUseId?: string; name?: string } };
  delta?: {
    text?: string;
    toolUse?: { input?: string };
    reasoningContent?: { text?: string; signature?: string; redactedContent?: string };
  };
  stopReason?: string;
  additionalModelResponseFields?: unknown;
  usage?: ConverseUsage;
}

// One for every stream: a payload is a whole frame's, decoded in one call (no state between calls), and a
// TextDecoder opens an ICU converter when made, 15–20 µs on a cold core (`lib/http/utf8-stream.ts`).
const PAYLOAD_DECODER = new TextDecoder();

/**
 * A ConverseStream body (binary event-stream frames) as canonical events: `messageStart` →
 * start; text, reasoning and tool-input deltas; `contentBlockStart`/`Stop` of a tool block →
 * tool_call_start/end; `messageStop` → finish; `metadata` → usage (after finish, which the
 * canonical rules allow). An exception frame, a broken frame or a body that ends before
 * `messageStop` becomes an `error` event that ends the stream.
 *
 * @example
 * for await (const event of parseConverseStream(response.body, req, 'bedrock-main')) encoder.write(event);
 */
export async function* parseConverseStream(body: AsyncIterable<Uint8Array>, req: ChatRequest, providerId = 'bedrock'): AsyncGenerator<StreamEvent> {
  let started = false;
  let finished = false;
  const tools = new Map<number, number>();
  let nextToolIndex = 0;
  const start = function* (): Generator<StreamEvent> {
    if (started) return;
    started = true;
    yield { type: 'start', id: newMessageId(), model: req.model };
  };
  const closeTools = function* (): Generator<StreamEvent> {
    for (const toolIndex of tools.values()) yield { type: 'tool_call_end', toolIndex };
    tools.clear();
  };

  try {
    for await (const message of decodeEventStream(body)) {
      if (message.headers[':message-type'] !== 'event') {
        const failure = errorOfFailureFrame(message, providerId);
        if (!failure) continue;
        yield* start();
        yield { type: 'error', error: failure };
        return;
      }
      const type = message.headers[':event-type'];
      // Events this gateway does not know yet are skipped, as the SDK does.
      if (!isConverseEvent(type)) continue;
      const payload = parsePayload(PAYLOAD_DECODER.decode(message.body));
      const index = payload.contentBlockIndex ?? -1;
      // One case for each of `CONVERSE_EVENTS`, no more: the compiler refuses a case not in the list, and `default` refuses a listed event without one.
      switch (type) {
        case 'messageStart':
          yield* start();
          break;
        case 'contentBlockStart': {
          yield* start();
          const toolUse = payload.start?.toolUse;
          // A later call's deltas and stop find no tool index and are left out with it.
          if (!toolUse || (oneCallOnly(req) && nextToolIndex > 0)) break;
          const toolIndex = nextToolIndex++;
          tools.set(index, toolIndex);
          yield { type: 'tool_call_start', toolIndex, id: String(toolUse.toolUseId ?? ''), name: String(toolUse.name ?? '') };
          break;
        }
        case 'contentBlockDelta': {
          yield* start();
          const delta = payload.delta ?? {};
          const toolIndex = tools.get(index);
          if (typeof delta.text === 'string' && delta.text !== '') yield { type: 'text_delta', text: delta.text };
          else if (delta.toolUse && toolIndex !== undefined && delta.toolUse.input) yield { type: 'tool_call_delta', toolIndex, arguments: delta.toolUse.input };
          else if (delta.reasoningContent) {
            const r = delta.reasoningContent;
            if (typeof r.text === 'string' && r.text !== '') yield { type: 'thinking_delta', text: r.text };
            if (typeof r.signature === 'string' && r.signature !== '') yield { type: 'thinking_signature', signature: r.signature, signedBy: 'claude' };
            if (typeof r.redactedContent === 'string') yield { type: 'redacted_thinking', data: r.redactedContent };
          }
          break;
        }
        case 'contentBlockStop': {
          const toolIndex = tools.get(index);
          if (toolIndex !== undefined) {
            tools.delete(index);
            yield { type: 'tool_call_end', toolIndex };
          }
          break;
        }
        case 'messageStop': {
          yield* start();
          yield* closeTools();
          const stopSequence = stopSequenceFrom(payload.additionalModelResponseFields);
          finished = true;
          yield { type: 'finish', reason: finishReasonFromConverse(payload.stopReason), ...(stopSequence ? { stopSequence } : {}) };
          break;
        }
        case 'metadata':
          if (payload.usage) yield { type: 'usage', usage: usageFromConverse(payload.usage) };
          break;
        default: {
          // None: `type` is one of `CONVERSE_EVENTS`, each with its case above (a listed event without one fails to compile here).
          const unread: never = type;
          void unread;
        }
      }
    }
  } catch (err) {
    if (!(err instanceof EventStreamFormatError)) throw err;
    yield* start();
    yield { type: 'error', error: brokenStreamError(providerId, err) };
    return;
  }
  if (!finished) {
    yield* start();
    yield { type: 'error', error: streamEndedError(providerId) };
  }
}

function parsePayload(text: string): ConverseStreamPayload {
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as ConverseStreamPayload) : {};
  } catch {
    return {};
  }
}
