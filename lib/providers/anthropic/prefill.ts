import type { Message } from '../../canonical/types';

/**
 * A request's messages with the trailing whitespace of its prefill (a final assistant message
 * ending in text, as Aider sends the part of an answer its output limit cut) left off. Claude
 * refuses a prefill that ends in whitespace ("final assistant content cannot end with trailing
 * whitespace"), on Anthropic and on Bedrock alike, and a cut answer often ends at a line end;
 * LiteLLM trims it too. The translators drop blank text and merge consecutive assistant messages,
 * so text parts (and assistant messages) that trimming leaves empty are dropped and the text before
 * them trimmed in turn; a prefill of only whitespace goes altogether, and Claude answers the user.
 * Pure: the given messages are never changed, and come back as they are when there is nothing to
 * trim (one look at the last part on every call).
 *
 * @example
 * withTrimmedPrefill([user('Go on'), { role: 'assistant', parts: [{ type: 'text', text: 'def f():\n' }] }])
 * // [user('Go on'), { role: 'assistant', parts: [{ type: 'text', text: 'def f():' }] }]
 */
export function withTrimmedPrefill(messages: Message[]): Message[] {
  return trimPrefill(messages).messages;
}

/**
 * The whitespace `withTrimmedPrefill` leaves off the request's prefill, in order ('' when none):
 * the client still holds it, and joins Claude's continuation to it (`prefill-continuation.ts`).
 *
 * @example
 * trimmedPrefillWhitespace([user('Go on'), { role: 'assistant', parts: [{ type: 'text', text: 'def f():\n' }] }]) // '\n'
 */
export function trimmedPrefillWhitespace(messages: Message[]): string {
  // Every answer asks this: one that follows the user's turn pays one check and builds nothing.
  return messages.at(-1)?.role === 'assistant' ? trimPrefill(messages).whitespace : '';
}

function trimPrefill(messages: Message[]): { messages: Message[]; whitespace: string } {
  const last = messages.at(-1);
  if (last?.role !== 'assistant') return { messages, whitespace: '' };
  const final = last.parts.at(-1);
  if (final?.type !== 'text' || final.text === final.text.trimEnd()) return { messages, whitespace: '' };
  const out = messages.slice();
  const cut: string[] = [];
  for (let message = out.at(-1); message?.role === 'assistant'; message = out.at(-1)) {
    const parts = message.parts.slice();
    const trimmed = trimTrailingText(parts, cut);
    if (parts.length > 0) out[out.length - 1] = { role: 'assistant', parts };
    else out.pop();
    if (trimmed) break;
  }
  return { messages: out, whitespace: cut.reverse().join('') };
}

/**
 * Trims the text at the end of `parts` in place, dropping parts left empty, and pushes what it
 * left off onto `cut` (last first); true once it reached a part that stays (text or not).
 */
function trimTrailingText(parts: Extract<Message, { role: 'assistant' }>['parts'], cut: string[]): boolean {
  for (let part = parts.at(-1); part; part = parts.at(-1)) {
    if (part.type !== 'text') return true;
    const text = part.text.trimEnd();
    cut.push(part.text.slice(text.length));
    if (text !== '') {
      parts[parts.length - 1] = { ...part, text };
      return true;
    }
    parts.pop();
  }
  return false;
}

/**
 * Whether the request ends in a prefill that does not start with thinking. With thinking on,
 * Claude refuses it ("a final `assistant` message must start with a thinking block … To avoid this
 * requirement, disable `thinking`"); Anthropic's extended thinking docs: "You cannot pre-fill
 * responses when thinking is enabled". The translators go on without thinking, as for a tool loop
 * whose turn lost its thinking (`toolLoopLacksThinking`): the client asked for a continuation,
 * which only a call without thinking can give.
 *
 * @example
 * prefillLacksThinking([{ role: 'user', content: [{ type: 'text' }] }, { role: 'assistant', content: [{ type: 'text' }] }]) // true
 */
export function prefillLacksThinking(messages: readonly { role: unknown; content: readonly { type?: unknown }[] }[]): boolean {
  const last = messages.at(-1);
  if (last?.role !== 'assistant') return false;
  const first = last.content[0]?.type;
  return first !== 'thinking' && first !== 'redacted_thinking';
}
