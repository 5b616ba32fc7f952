import type { GatewayError } from '../../http/errors';
import { inClientFields, type FieldTable } from '../error-fields';

/**
 * How a Chat Completions body's messages are named from the canonical messages decoded from it
 * (decode.ts). System and developer messages leave the history for the system prompt, so a
 * canonical index counts only the others: it maps back to the client's index exactly. Within a
 * message, a user message's content array is its parts one to one; its string is one part, named
 * as the string; an assistant message's parts are its non-empty texts then its tool calls, so a
 * part index does not map back and the field named is the message. Tool messages join one user
 * message with the user message after them, so parts of one canonical message come from several
 * client messages: no index maps back, and the field named is the messages. Identical names (a
 * history of user messages with content arrays only) need no entry.
 *
 * @example
 * chatMessageFields({ messages: [{ role: 'system', content: 'Be terse.' }, { role: 'user', content: [{ type: 'text', text: 'Hi' }] }] })
 * // → [[/^messages\[0\](?=\.|\[|$)/, 'messages[1]']]
 */
export function chatMessageFields(body: Record<string, unknown>): FieldTable {
  const messages = Array.isArray(body.messages) ? (body.messages as unknown[]) : [];
  const shapes = messages.map((m) => (typeof m === 'object' && m !== null ? (m as { role?: unknown; content?: unknown }) : {}));
  if (shapes.some((m) => m.role === 'tool')) return [[/^messages(?:\[\d+\].*)?$/, 'messages']];
  const origins = shapes.flatMap((m, i) => (m.role === 'system' || m.role === 'developer' ? [] : [i]));
  return origins.flatMap((origin, k): FieldTable => {
    const { role, content } = shapes[origin]!;
    if (role === 'assistant') return [[new RegExp(`^messages\\[${k}\\](?:[.[].*)?$`), `messages[${origin}]`]];
    if (typeof content === 'string') return [[new RegExp(`^messages\\[${k}\\]\\.content(?:[.[].*)?$`), `messages[${origin}].content`], ...renamed(k, origin)];
    return renamed(k, origin);
  });
}

/** Canonical message `k` as client message `origin`, the path within it kept. */
function renamed(k: number, origin: number): FieldTable {
  return origin === k ? [] : [[new RegExp(`^messages\\[${k}\\](?=\\.|\\[|$)`), `messages[${origin}]`]];
}

/** A translator's refusal naming the message the Chat Completions client wrote, in `param` and message. */
export function inChatFields(err: GatewayError, body: Record<string, unknown>): GatewayError {
  return inClientFields(chatMessageFields(body), err);
}
