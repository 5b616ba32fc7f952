/**
 * Claude's answer as a continuation of the client's own prefill. The request translators leave the
 * prefill's trailing whitespace off (`withTrimmedPrefill`: Claude refuses it), so Claude continues
 * the trimmed text, and its answer often starts with that whitespace again (prefill `"def f():\n"`
 * sent as `"def f():"`, answer `"\n    return 1"`). A client such as Aider joins the answer to the
 * prefill it sent, untrimmed, and would show the whitespace twice; so the part of the trimmed
 * whitespace the answer's text starts with is left off it. Nothing else changes (usage included).
 */
import type { AssistantPart, ChatResponse, StreamEvent } from '../../canonical/types';

/**
 * One piece of the answer's text against the trimmed whitespace still to match (`pending`): the
 * piece without the part of `pending` it repeats, and what is left to match, `''` once the text
 * has gone past the whitespace (a piece that is all repeat leaves the rest of `pending` for the next).
 *
 * @example
 * pastRepeat('\n', '\n    return 1') // { text: '    return 1', pending: '' }
 * pastRepeat('\n    ', '\n')         // { text: '', pending: '    ' }
 */
export function pastRepeat(pending: string, text: string): { text: string; pending: string } {
  let k = 0;
  while (k < text.length && k < pending.length && text[k] === pending[k]) k++;
  return k === text.length ? { text: '', pending: pending.slice(k) } : { text: text.slice(k), pending: '' };
}

/**
 * A whole answer continuing the client's prefill, whose trimmed `whitespace` (see
 * `trimmedPrefillWhitespace`) it may repeat: its leading text parts without the repeat, those left
 * empty dropped. Matching ends at a tool call. The very answer when `whitespace` is `''`.
 *
 * @example
 * continuingPrefill({ ...answer, parts: [{ type: 'text', text: '\n    return 1' }] }, '\n').parts // [{ type: 'text', text: '    return 1' }]
 */
export function continuingPrefill(answer: ChatResponse, whitespace: string): ChatResponse {
  if (whitespace === '') return answer;
  let pending = whitespace;
  const parts: AssistantPart[] = [];
  for (const part of answer.parts) {
    if (pending !== '' && part.type === 'tool_call') pending = '';
    if (pending === '' || part.type !== 'text') {
      parts.push(part);
      continue;
    }
    const past = pastRepeat(pending, part.text);
    pending = past.pending;
    if (past.text !== '') parts.push({ ...part, text: past.text });
  }
  return { ...answer, parts };
}

/**
 * A streamed answer continuing the client's prefill: `continuingPrefill` for events. A text delta
 * that is all repeat is left out; the repeat may span deltas. The very stream when `whitespace` is `''`.
 */
export function continuingPrefillStream(events: AsyncIterable<StreamEvent>, whitespace: string): AsyncIterable<StreamEvent> {
  return whitespace === '' ? events : continuing(events, whitespace);
}

async function* continuing(events: AsyncIterable<StreamEvent>, whitespace: string): AsyncGenerator<StreamEvent> {
  let pending = whitespace;
  for await (const event of events) {
    if (pending !== '' && event.type === 'tool_call_start') pending = '';
    if (pending === '' || event.type !== 'text_delta') {
      yield event;
      continue;
    }
    const past = pastRepeat(pending, event.text);
    pending = past.pending;
    if (past.text !== '') yield { ...event, text: past.text };
  }
}
