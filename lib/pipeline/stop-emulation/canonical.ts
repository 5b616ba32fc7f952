/**
 * Stop sequences honoured on a translated answer (an Anthropic or Gemini client whose call went to
 * a model that refuses `stop`): the canonical answer is cut where the first sequence is complete,
 * before the client's surface encodes it, so every surface gets its own way of saying so
 * (Anthropic's `stop_reason: "stop_sequence"` with `stop_sequence`, Chat's `finish_reason: "stop"`).
 *
 * A match ends the answer as a model that takes `stop` would end it there: what came before it
 * (thinking, text, tool calls already made) stays, and nothing after it is the client's, tool
 * calls included (OpenAI's models write a turn's text before its tool calls, so a model stopped
 * in the text would not have made them). Tool arguments and thinking are never searched: the APIs
 * apply `stop` to the answer's text only.
 */
import type { ChatResponse, StreamEvent } from '../../canonical/types';
import { cutAtStop, StopMatcher } from './matcher';

/**
 * A whole canonical answer cut at its first stop sequence (`finishReason: 'stop'`, `stopSequence`
 * the one found); the very answer when its text holds none. Each text part is searched on its own,
 * as the stream's text runs are.
 *
 * @example
 * stoppedAnswer({ ...answer, parts: [{ type: 'text', text: 'Thought\nObservation: x' }] }, ['\nObservation:'])
 * // { ...answer, parts: [{ type: 'text', text: 'Thought' }], finishReason: 'stop', stopSequence: '\nObservation:' }
 */
export function stoppedAnswer(answer: ChatResponse, sequences: readonly string[]): ChatResponse {
  const { parts } = answer;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part.type !== 'text') continue;
    const cut = cutAtStop(part.text, sequences);
    if (cut.stop === undefined) continue;
    const kept = parts.slice(0, i);
    if (cut.text) kept.push({ ...part, text: cut.text });
    return { ...answer, parts: kept, finishReason: 'stop', stopSequence: cut.stop };
  }
  return answer;
}

/**
 * A canonical stream with its text cut at the first stop sequence: text goes on as it comes, less
 * a tail that may be a sequence beginning (`StopMatcher`); on a match, the text before it and a
 * `finish` with the sequence. The upstream is read to its end all the same (its later content and
 * finish are not passed on, its `usage` is), so the usage the books keep is the upstream's own,
 * exact, not an estimate. An `error` after the sequence is not passed on either: the client has the
 * whole answer a model that takes `stop` would have given, and the books have the failure (`metered`
 * reads it before the cut). A held tail goes on when its text run ends (any other part, the finish,
 * an error, the end). `onStop` is told at the match, before its finish goes (the caller's
 * keep-alives while the upstream is drained).
 *
 * @example
 * for await (const event of stoppedEvents(events, ['\nObservation:'])) encode(event);
 */
export async function* stoppedEvents(events: AsyncIterable<StreamEvent>, sequences: readonly string[], onStop?: () => void): AsyncGenerator<StreamEvent> {
  const matcher = new StopMatcher(sequences);
  let stopped = false;
  for await (const event of events) {
    if (stopped) {
      if (event.type === 'usage') yield event;
      continue;
    }
    if (event.type === 'text_delta') {
      const passed = matcher.push(event.text);
      if (passed.text) yield { type: 'text_delta', text: passed.text };
      if (passed.stop !== undefined) {
        stopped = true;
        onStop?.();
        yield { type: 'finish', reason: 'stop', stopSequence: passed.stop };
      }
      continue;
    }
    if (event.type !== 'start' && event.type !== 'usage') {
      // The text run ended: what it held back was no sequence.
      const held = matcher.flush();
      if (held) yield { type: 'text_delta', text: held };
    }
    yield event;
  }
  const held = matcher.flush();
  if (held) yield { type: 'text_delta', text: held };
}
