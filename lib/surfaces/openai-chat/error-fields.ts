import type { GatewayError } from '../../http/errors';
import { inClientFields, type FieldTable } from '../error-fields';
import { assistantParts } from './decode';

/** A client message as far as naming its fields needs it. */
type MessageShape = Record<string, unknown>;

/**
 * How a Chat Completions body's messages are named from the canonical messages decoded from it
 * (decode.ts), where the name is exact. System and developer messages leave the history for the
 * system prompt, so a canonical index counts only the others. Tool messages join one user message
 * with the user message after them: that canonical message's parts are the tool messages' results
 * in order, one each, then the user message's parts, so each part names the client message it
 * came from (the canonical message as a whole, or a part past them, names the messages); every
 * other canonical message is one client message. A tool result's `tool_call_id` and `content` are
 * the tool message's. A user message's content array is its parts one to one; its string is one
 * part, named as the string. An assistant message's parts are its non-empty texts (and refusals)
 * then its tool calls: a call's part index less the texts is its index in `tool_calls`; a text's
 * does not map back, and the field named is the message.
 * Identical names (a history of user messages with content arrays only) need no entry.
 *
 * @example
 * chatMessageFields({ messages: [{ role: 'system', content: 'Be terse.' }, { role: 'user', content: [{ type: 'text', text: 'Hi' }] }] })
 * // → [[/^messages\[0\](?=\.|\[|$)/, 'messages[1]']]
 */
export function chatMessageFields(body: Record<string, unknown>): FieldTable {
  const messages = Array.isArray(body.messages) ? (body.messages as unknown[]) : [];
  const shapes = messages.map((m): MessageShape => (typeof m === 'object' && m !== null ? (m as MessageShape) : {}));
  return canonicalOrigins(shapes).flatMap((origins, k): FieldTable => {
    if (origins.length > 1) return mergedFields(k, origins, shapes);
    const origin = origins[0]!;
    const { role, content } = shapes[origin]!;
    if (role === 'assistant') return [...callFields(k, origin, shapes[origin]!), [messageAt(k), `messages[${origin}]`]];
    // A tool message alone is one part, its result: the message holds whatever else a path names in it.
    if (role === 'tool') return [...resultFields(k, 0, origin), [messageAt(k), `messages[${origin}]`]];
    if (typeof content === 'string') return [[new RegExp(`^messages\\[${k}\\]\\.content(?:[.[].*)?$`), `messages[${origin}].content`], ...renamed(k, origin)];
    return renamed(k, origin);
  });
}

/**
 * The client messages each canonical message is decoded from, in order, as `HistoryBuilder`
 * builds the history: system and developer messages are no message (and do not end a run of tool
 * results); a tool message starts a user message or joins the one a tool message started; a user
 * message joins that one too, and ends it; an assistant message is one of its own. It mirrors
 * the decoder rather than reading a record the decoder keeps: keeping one would cost every request
 * for the few a translator refuses. error-fields.fuzz.test.ts holds the mirror to the decoder.
 *
 * @example
 * canonicalOrigins([{ role: 'user' }, { role: 'assistant' }, { role: 'tool' }, { role: 'system' }, { role: 'user' }]) // → [[0], [1], [2, 4]]
 */
export function canonicalOrigins(messages: readonly MessageShape[]): number[][] {
  const out: number[][] = [];
  let results: number[] | undefined;
  messages.forEach(({ role }, i) => {
    if (role === 'tool') {
      if (results) results.push(i);
      else out.push((results = [i]));
    } else if (role === 'user') {
      if (results) results.push(i);
      else out.push([i]);
      results = undefined;
    } else if (role === 'assistant') {
      out.push([i]);
      results = undefined;
    }
  });
  return out;
}

/**
 * Canonical message `k`'s tool-call parts as the calls of client message `origin`: each call's
 * arguments, then anything else in the call. The parts are the decoder's own, so the texts before
 * the calls are counted as it counts them (empty ones dropped, refusals kept).
 */
function callFields(k: number, origin: number, message: MessageShape): FieldTable {
  const parts = assistantParts(message, `messages[${origin}]`);
  const texts = parts.filter((p) => p.type !== 'tool_call').length;
  return Array.from({ length: parts.length - texts }, (_, n): FieldTable => {
    const part = `^messages\\[${k}\\]\\.content\\[${texts + n}\\]`;
    return [
      [new RegExp(`${part}\\.arguments$`), `messages[${origin}].tool_calls[${n}].function.arguments`],
      [new RegExp(`${part}(?:[.[].*)?$`), `messages[${origin}].tool_calls[${n}]`],
    ];
  }).flat();
}

/**
 * Canonical message `k` as the client messages `origins` it merged (tool messages, then perhaps a
 * user message): part n of it is the result of tool message `origins[n]`, and the parts after
 * the results are the user message's, in its order.
 */
function mergedFields(k: number, origins: readonly number[], shapes: readonly MessageShape[]): FieldTable {
  const results = origins.filter((origin) => shapes[origin]!.role === 'tool');
  const user = origins.find((origin) => shapes[origin]!.role === 'user');
  return [
    ...results.flatMap((origin, n) => resultFields(k, n, origin)),
    ...(user === undefined ? [] : userPartFields(k, results.length, user, shapes[user]!.content)),
    [messageAt(k), 'messages'],
  ];
}

/** Canonical message `k`'s part `j` as the result of tool message `origin`: its call id, its content (an array one to one), else the message. */
function resultFields(k: number, j: number, origin: number): FieldTable {
  const part = `^messages\\[${k}\\]\\.content\\[${j}\\]`;
  return [
    [new RegExp(`${part}\\.tool_call_id$`), `messages[${origin}].tool_call_id`],
    [new RegExp(`${part}\\.content(?=\\.|\\[|$)`), `messages[${origin}].content`],
    [new RegExp(`${part}(?:[.[].*)?$`), `messages[${origin}]`],
  ];
}

/**
 * Canonical message `k`'s parts from `first` on as the parts of user message `origin`, whose
 * `content` the decoder reads as it does an unmerged one's: an array one to one, a string one part.
 */
function userPartFields(k: number, first: number, origin: number, content: unknown): FieldTable {
  const part = (j: number) => `^messages\\[${k}\\]\\.content\\[${j}\\]`;
  if (typeof content === 'string') return [[new RegExp(`${part(first)}(?:[.[].*)?$`), `messages[${origin}].content`]];
  const parts = Array.isArray(content) ? content : [];
  return parts.map((_, n): FieldTable[number] => [new RegExp(`${part(first + n)}(?=\\.|\\[|$)`), `messages[${origin}].content[${n}]`]);
}

/** Canonical message `k` and any path within it. */
function messageAt(k: number): RegExp {
  return new RegExp(`^messages\\[${k}\\](?:[.[].*)?$`);
}

/** Canonical message `k` as client message `origin`, the path within it kept. */
function renamed(k: number, origin: number): FieldTable {
  return origin === k ? [] : [[new RegExp(`^messages\\[${k}\\](?=\\.|\\[|$)`), `messages[${origin}]`]];
}

/** A translator's refusal naming the message the Chat Completions client wrote, in `param` and message. */
export function inChatFields(err: GatewayError, body: Record<string, unknown>): GatewayError {
  return inClientFields(chatMessageFields(body), err);
}
