import type { GatewayError } from '../../http/errors';
import { inClientFields, type FieldTable } from '../error-fields';

/**
 * How a Chat Completions body's messages are named from the canonical messages decoded from it
 * (decode.ts). System and developer messages leave the history for the system prompt, so a
 * canonical index counts only the others: it maps back to the client's index exactly. Tool
 * messages join one user message with the user message after them, so parts of one canonical
 * message come from several client messages: no index maps back, and the field named is the
 * messages. Identical names (a history of user and assistant messages only) need no entry.
 *
 * @example
 * chatMessageFields({ messages: [{ role: 'system', content: 'Be terse.' }, { role: 'user', content: 'Hi' }] })
 * // → [[/^messages\[0\](?=\.|\[|$)/, 'messages[1]']]
 */
export function chatMessageFields(body: Record<string, unknown>): FieldTable {
  const messages = Array.isArray(body.messages) ? (body.messages as unknown[]) : [];
  const roles = messages.map((m) => (typeof m === 'object' && m !== null ? (m as { role?: unknown }).role : undefined));
  if (roles.includes('tool')) return [[/^messages(?:\[\d+\].*)?$/, 'messages']];
  const origins = roles.flatMap((role, i) => (role === 'system' || role === 'developer' ? [] : [i]));
  return origins.flatMap((origin, k): FieldTable => (origin === k ? [] : [[new RegExp(`^messages\\[${k}\\](?=\\.|\\[|$)`), `messages[${origin}]`]]));
}

/** A translator's refusal naming the message the Chat Completions client wrote, in `param` and message. */
export function inChatFields(err: GatewayError, body: Record<string, unknown>): GatewayError {
  return inClientFields(chatMessageFields(body), err);
}
