/**
 * OpenAI's Responses API wire format, as pure builders: the `response` object, its stream of
 * named events, and its error bodies, shaped and ordered like api.openai.com's (read from the
 * official client's types, `openai/resources/responses/responses.d.ts`, and OpenAI's API
 * reference).
 *
 * Byte-level habits of the real API kept on purpose:
 * - a non-stream body is JSON indented by 2 spaces with a trailing newline (errors: 4 spaces);
 * - a stream event is `event: <type>\ndata: <compact JSON>\n\n`, its `type` repeated in the data,
 *   each with a `sequence_number` counting from 0; text deltas carry a random `obfuscation`;
 * - a failure after the stream started is `response.failed` (the response with its `error`).
 */
import { randomAlnum, randomHex } from './http';
import { responsesRefusedByModel, splitJsonTokens, splitWords, type OpenAIErrorBody, type ReplyUsage, type ToolCallSpec } from './openai-wire';
import { isOpenAIEncrypted, openAIEncryptedContent } from './signatures';

/** What one response says, whichever way it is sent. */
export interface ResponseContent {
  text?: string;
  /** How to split `text` in a stream; defaults to one piece per word. */
  chunks?: string[];
  calls?: ToolCallSpec[];
  /** A reasoning item first: its summary, and whether it carries encrypted content (the request's `include` asked). */
  reasoning?: { summary: string; encrypted: boolean };
  /** `length` ends the response incomplete (max_output_tokens). */
  finishReason: 'stop' | 'length' | 'tool_calls';
  usage: ReplyUsage;
}

/** What every event and body of one response shares. */
export interface ResponseFrame {
  id: string;
  createdAt: number;
  model: string;
  /** The request, whose settings the response echoes. */
  request: Record<string, unknown>;
}

export function newResponseFrame(model: string, request: Record<string, unknown>): ResponseFrame {
  return { id: `resp_${randomHex(48)}`, createdAt: Math.floor(Date.now() / 1000), model, request };
}

const itemId = (prefix: string) => `${prefix}_${randomHex(48)}`;

export function responsesUsageObject(usage: ReplyUsage): Record<string, unknown> {
  return {
    input_tokens: usage.prompt,
    input_tokens_details: { cached_tokens: usage.cached ?? 0 },
    output_tokens: usage.completion,
    output_tokens_details: { reasoning_tokens: usage.reasoning ?? 0 },
    total_tokens: usage.prompt + usage.completion,
  };
}

/** The response object in the real API's key order; `output` and `usage` as the state has them. */
export function responseObject(frame: ResponseFrame, state: { status: string; output: unknown[]; usage: ReplyUsage | null; error?: unknown; incomplete?: string }): Record<string, unknown> {
  const req = frame.request;
  const reasoning = (req.reasoning ?? {}) as Record<string, unknown>;
  const text = (req.text ?? {}) as Record<string, unknown>;
  return {
    id: frame.id,
    object: 'response',
    created_at: frame.createdAt,
    status: state.status,
    background: false,
    error: state.error ?? null,
    incomplete_details: state.incomplete ? { reason: state.incomplete } : null,
    instructions: req.instructions ?? null,
    max_output_tokens: req.max_output_tokens ?? null,
    max_tool_calls: null,
    model: frame.model,
    output: state.output,
    parallel_tool_calls: req.parallel_tool_calls ?? true,
    previous_response_id: req.previous_response_id ?? null,
    prompt_cache_key: req.prompt_cache_key ?? null,
    reasoning: { effort: reasoning.effort ?? null, summary: reasoning.summary ?? null },
    safety_identifier: req.safety_identifier ?? null,
    service_tier: 'default',
    store: req.store ?? true,
    temperature: req.temperature ?? 1,
    text: { format: text.format ?? { type: 'text' }, verbosity: text.verbosity ?? 'medium' },
    tool_choice: req.tool_choice ?? 'auto',
    tools: req.tools ?? [],
    top_logprobs: 0,
    top_p: req.top_p ?? 1,
    truncation: 'disabled',
    usage: state.usage ? responsesUsageObject(state.usage) : null,
    user: req.user ?? null,
    metadata: req.metadata ?? {},
  };
}

interface Items {
  reasoning?: Record<string, unknown>;
  message?: { id: string; text: string; pieces: string[] };
  calls: { id: string; callId: string; name: string; arguments: string; pieces: string[] }[];
}

function itemsOf(content: ResponseContent): Items {
  const items: Items = { calls: [] };
  if (content.reasoning) {
    const { summary, encrypted } = content.reasoning;
    items.reasoning = { id: itemId('rs'), type: 'reasoning', summary: [{ type: 'summary_text', text: summary }], ...(encrypted ? { encrypted_content: openAIEncryptedContent() } : {}) };
  }
  if (content.text !== undefined && (content.text !== '' || !content.calls?.length)) {
    items.message = { id: itemId('msg'), text: content.text, pieces: content.chunks ?? splitWords(content.text) };
  }
  for (const call of content.calls ?? []) {
    items.calls.push({ id: itemId('fc'), callId: call.id ?? `call_${randomAlnum(24)}`, name: call.name, arguments: call.arguments, pieces: call.argumentChunks ?? splitJsonTokens(call.arguments) });
  }
  return items;
}

const messageItem = (m: NonNullable<Items['message']>, status: string, text?: string) => ({
  id: m.id,
  type: 'message',
  status,
  content: text === undefined ? [] : [{ type: 'output_text', annotations: [], logprobs: [], text }],
  role: 'assistant',
});
const callItem = (c: Items['calls'][number], status: string, args: string) => ({ id: c.id, type: 'function_call', status, arguments: args, call_id: c.callId, name: c.name });

const finalStatus = (content: ResponseContent) => (content.finishReason === 'length' ? { status: 'incomplete', incomplete: 'max_output_tokens' } : { status: 'completed' });

/** The body of a non-stream response, as the bytes the real API sends. */
export function responseBody(frame: ResponseFrame, content: ResponseContent): string {
  const items = itemsOf(content);
  const { status, incomplete } = finalStatus(content);
  const itemStatus = status === 'incomplete' ? 'incomplete' : 'completed';
  const output = [...(items.reasoning ? [items.reasoning] : []), ...(items.message ? [messageItem(items.message, itemStatus, items.message.text)] : []), ...items.calls.map((c) => callItem(c, 'completed', c.arguments))];
  return `${JSON.stringify(responseObject(frame, { status, output, usage: content.usage, ...(incomplete ? { incomplete } : {}) }), null, 2)}\n`;
}

/** Writes events with their sequence numbers. */
function sequencer() {
  let n = 0;
  return (type: string, fields: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...fields, sequence_number: n++ })}\n\n`;
}

/**
 * Every SSE event of one streamed response, in order: created, in_progress, per item its
 * added / deltas / done events, then completed (or incomplete). With `failAfter`, the stream
 * stops after that many output events and ends with `response.failed` instead (with `error` on
 * the response, OpenAI's generic server error by default), as the real API does when generation fails.
 */
export function responseStreamEvents(frame: ResponseFrame, content: ResponseContent, options: { failAfter?: number; error?: { code: string | null; message: string } } = {}): string[] {
  const event = sequencer();
  const items = itemsOf(content);
  const start = responseObject(frame, { status: 'in_progress', output: [], usage: null });
  const head = [event('response.created', { response: start }), event('response.in_progress', { response: start })];
  const body: string[] = [];
  const output: unknown[] = [];
  const { status, incomplete } = finalStatus(content);
  const itemStatus = status === 'incomplete' ? 'incomplete' : 'completed';
  if (items.reasoning) {
    body.push(event('response.output_item.added', { output_index: 0, item: { ...items.reasoning, summary: [] } }));
    body.push(event('response.output_item.done', { output_index: 0, item: items.reasoning }));
    output.push(items.reasoning);
  }
  if (items.message) {
    const m = items.message;
    const index = output.length;
    const at = { item_id: m.id, output_index: index, content_index: 0 };
    body.push(event('response.output_item.added', { output_index: index, item: messageItem(m, 'in_progress') }));
    body.push(event('response.content_part.added', { ...at, part: { type: 'output_text', annotations: [], logprobs: [], text: '' } }));
    for (const delta of m.pieces) body.push(event('response.output_text.delta', { ...at, delta, logprobs: [], obfuscation: randomAlnum(1 + Math.floor(Math.random() * 12)) }));
    body.push(event('response.output_text.done', { ...at, text: m.text, logprobs: [] }));
    body.push(event('response.content_part.done', { ...at, part: { type: 'output_text', annotations: [], logprobs: [], text: m.text } }));
    const done = messageItem(m, itemStatus, m.text);
    body.push(event('response.output_item.done', { output_index: index, item: done }));
    output.push(done);
  }
  for (const c of items.calls) {
    const index = output.length;
    body.push(event('response.output_item.added', { output_index: index, item: callItem(c, 'in_progress', '') }));
    for (const delta of c.pieces) body.push(event('response.function_call_arguments.delta', { item_id: c.id, output_index: index, delta, obfuscation: randomAlnum(8) }));
    body.push(event('response.function_call_arguments.done', { item_id: c.id, output_index: index, arguments: c.arguments }));
    const done = callItem(c, 'completed', c.arguments);
    body.push(event('response.output_item.done', { output_index: index, item: done }));
    output.push(done);
  }
  if (options.failAfter !== undefined) {
    const error = options.error ?? { code: 'server_error', message: 'An error occurred while processing your request. You can retry your request, or contact us through our help center at help.openai.com if the error persists.' };
    return [...head, ...body.slice(0, options.failAfter), event('response.failed', { response: responseObject(frame, { status: 'failed', output: [], usage: null, error }) })];
  }
  const final = responseObject(frame, { status, output, usage: content.usage, ...(incomplete ? { incomplete } : {}) });
  return [...head, ...body, event(status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response: final })];
}

/**
 * A stored response streamed again (`GET /v1/responses/{id}?stream=true`), as the real API
 * replays it: the events a stream of it would have sent, from `response.created` to its final
 * event, each text and arguments as its deltas; after `startingAfter` (a sequence number) only the
 * events that followed it.
 */
export function storedResponseEvents(stored: string, startingAfter?: number): string[] {
  const event = sequencer();
  const response = JSON.parse(stored) as Record<string, unknown> & { status: string; output: Record<string, unknown>[] };
  const start = { ...response, status: 'in_progress', output: [], usage: null };
  const events = [event('response.created', { response: start }), event('response.in_progress', { response: start })];
  for (const [index, item] of response.output.entries()) {
    if (item.type === 'message') {
      events.push(event('response.output_item.added', { output_index: index, item: { ...item, status: 'in_progress', content: [] } }));
      for (const [contentIndex, part] of (item.content as { text?: string }[]).entries()) {
        const at = { item_id: item.id, output_index: index, content_index: contentIndex };
        events.push(event('response.content_part.added', { ...at, part: { ...part, text: '' } }));
        for (const delta of splitWords(part.text ?? '')) events.push(event('response.output_text.delta', { ...at, delta, logprobs: [], obfuscation: randomAlnum(8) }));
        events.push(event('response.output_text.done', { ...at, text: part.text, logprobs: [] }));
        events.push(event('response.content_part.done', { ...at, part }));
      }
    } else if (item.type === 'function_call') {
      events.push(event('response.output_item.added', { output_index: index, item: { ...item, status: 'in_progress', arguments: '' } }));
      for (const delta of splitJsonTokens(String(item.arguments))) events.push(event('response.function_call_arguments.delta', { item_id: item.id, output_index: index, delta, obfuscation: randomAlnum(8) }));
      events.push(event('response.function_call_arguments.done', { item_id: item.id, output_index: index, arguments: item.arguments }));
    } else {
      events.push(event('response.output_item.added', { output_index: index, item }));
    }
    events.push(event('response.output_item.done', { output_index: index, item }));
  }
  events.push(event(`response.${response.status}`, { response }));
  // Each event's sequence number is its place in the list.
  return startingAfter === undefined ? events : events.slice(startingAfter + 1);
}

function errorBody(message: string, type: string, param: string | null, code: string | null): OpenAIErrorBody {
  return { error: { message, type, param, code } };
}

/** The real API's 400s for a Responses request it cannot take, or undefined when it can. */
export function invalidResponsesRequest(body: unknown): OpenAIErrorBody | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return errorBody('Invalid body: failed to parse JSON value.', 'invalid_request_error', null, null);
  const b = body as Record<string, unknown>;
  if (typeof b.model !== 'string' || b.model === '') return errorBody("Missing required parameter: 'model'.", 'invalid_request_error', 'model', 'missing_required_parameter');
  if (b.input !== undefined && typeof b.input !== 'string' && !Array.isArray(b.input)) return errorBody("Invalid type for 'input': expected one of a string or array of input items, but got an object instead.", 'invalid_request_error', 'input', 'invalid_type');
  // OpenAI decrypts every reasoning item's encrypted content it gets back; what it did not encrypt it refuses.
  const foreign = Array.isArray(b.input)
    ? (b.input as Record<string, unknown>[]).find((item) => item?.type === 'reasoning' && typeof item.encrypted_content === 'string' && !isOpenAIEncrypted(item.encrypted_content))
    : undefined;
  if (foreign) return errorBody('The encrypted content for an item could not be verified. Reason: Encrypted content could not be decrypted or parsed.', 'invalid_request_error', null, 'invalid_encrypted_content');
  return responsesRefusedByModel(b.model, b);
}

/**
 * The real API's 400 for a `previous_response_id` the account does not hold (each organisation and
 * project keeps its own responses: another account's, one made with `store: false`, or none at all),
 * or undefined when it holds it or none is named.
 */
export function unknownPreviousResponse(body: unknown, holds: (id: string) => boolean): OpenAIErrorBody | undefined {
  const id = (body as { previous_response_id?: unknown } | null)?.previous_response_id;
  if (typeof id !== 'string' || holds(id)) return undefined;
  return errorBody(`Previous response with id '${id}' not found.`, 'invalid_request_error', 'previous_response_id', 'previous_response_not_found');
}

/**
 * The real API's 404 for a reasoning item given by id without its encrypted content: it looks the
 * id up among stored items, and this fake stores none. `param` names the body's field: `input` on
 * a Responses call, `items` on a conversation's create (the same lookup of the items it is given).
 */
export function unknownReasoningItem(body: unknown, param: 'input' | 'items' = 'input'): OpenAIErrorBody | undefined {
  const input = (body as { input?: unknown } | null)?.input;
  const item = Array.isArray(input) ? (input as Record<string, unknown>[]).find((i) => i?.type === 'reasoning' && typeof i.id === 'string' && i.encrypted_content == null) : undefined;
  if (!item) return undefined;
  return errorBody(`Item with id '${String(item.id)}' not found. Items are not persisted when \`store\` is set to false. Try again with \`store\` set to true, or remove this item from your input.`, 'invalid_request_error', param, null);
}

/** A stored response as the fake keeps it: its chain's length, the object a retrieve answers, and its input items. */
export interface StoredResponse {
  turn: number;
  /** The `response` object as a whole answer carries it. */
  response: string;
  /** The input items a `GET /v1/responses/{id}/input_items` lists, with their ids. */
  inputItems: Record<string, unknown>[];
}

/** The real API's 404 for a stored response it does not hold (retrieve, delete, input items, cancel). */
export function unknownStoredResponse(id: string): OpenAIErrorBody {
  return errorBody(`Response with id '${id}' not found.`, 'invalid_request_error', null, null);
}

/** The real API's 400 for cancelling a response not made in the background. */
export function cannotCancelSynchronous(): OpenAIErrorBody {
  return errorBody('Cannot cancel a synchronous response.', 'invalid_request_error', null, null);
}

/** What `DELETE /v1/responses/{id}` answers. */
export function deletedResponseBody(id: string): Record<string, unknown> {
  return { id, object: 'response.deleted', deleted: true };
}

/** A request's `input` (or a conversation's `items`) as the stored items the API lists (a string is one user message), each with an id. */
export function storedInputItems(input: unknown): Record<string, unknown>[] {
  const items = typeof input === 'string' ? [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: input }] }] : Array.isArray(input) ? (input as Record<string, unknown>[]) : [];
  return items.map((item) => {
    const message = item.type === 'message' || item.type === undefined;
    // The API keeps a message's string content as one text part, as it lists it back.
    const content = message && typeof item.content === 'string' ? { content: [{ type: item.role === 'assistant' ? 'output_text' : 'input_text', text: item.content }] } : {};
    return { id: itemId(message ? 'msg' : 'item'), status: 'completed', ...item, ...content, type: item.type ?? 'message' };
  });
}

/** `GET /v1/responses/{id}/input_items`: a list page, newest first unless `order=asc`. */
export function inputItemsBody(items: readonly Record<string, unknown>[], order: string | null): Record<string, unknown> {
  const data = order === 'asc' ? [...items] : [...items].reverse();
  return { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: false };
}

/** The real API's 404 for a conversation it does not hold (a Responses call's `conversation`). */
export function unknownConversation(body: unknown, holds: (id: string) => boolean): OpenAIErrorBody | undefined {
  const conversation = (body as { conversation?: unknown } | null)?.conversation;
  const id = typeof conversation === 'string' ? conversation : typeof conversation === 'object' && conversation !== null ? (conversation as { id?: unknown }).id : undefined;
  if (typeof id !== 'string' || holds(id)) return undefined;
  return errorBody(`Conversation with id '${id}' not found.`, 'invalid_request_error', null, null);
}

/** A conversation as the fake keeps it: its object's fields and its items, oldest first. */
export interface StoredConversation {
  createdAt: number;
  metadata: Record<string, unknown>;
  items: Record<string, unknown>[];
}

/** The `conversation` object the real API answers create, retrieve and update (and an item's delete) with. */
export function conversationObject(id: string, conversation: StoredConversation): string {
  return `${JSON.stringify({ id, object: 'conversation', created_at: conversation.createdAt, metadata: conversation.metadata }, null, 2)}\n`;
}

/** What `DELETE /v1/conversations/{id}` answers. */
export function deletedConversationBody(id: string): string {
  return `${JSON.stringify({ id, object: 'conversation.deleted', deleted: true }, null, 2)}\n`;
}

/** The real API's 404 for an item a conversation does not hold. */
export function unknownConversationItem(id: string): OpenAIErrorBody {
  return errorBody(`Item with id '${id}' not found.`, 'invalid_request_error', null, null);
}

/** The real API's 404 for a conversation it does not hold, on the conversation's own routes. */
export function unknownConversationId(id: string): OpenAIErrorBody {
  return errorBody(`Conversation with id '${id}' not found.`, 'invalid_request_error', null, null);
}

/** The most items one create may carry, as the real API allows. */
export const MAX_ITEMS_PER_CREATE = 20;

/**
 * The real API's 400 for a conversation body it cannot take: `items` that is not a list (or
 * holds more than 20), a create of items without any, an update without `metadata`.
 */
export function invalidConversationBody(body: unknown, need: { items?: boolean; metadata?: boolean }): OpenAIErrorBody | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return errorBody('Invalid body: failed to parse JSON value.', 'invalid_request_error', null, null);
  const b = body as Record<string, unknown>;
  if (need.metadata && !('metadata' in b)) return errorBody("Missing required parameter: 'metadata'.", 'invalid_request_error', 'metadata', 'missing_required_parameter');
  if (need.items && b.items === undefined) return errorBody("Missing required parameter: 'items'.", 'invalid_request_error', 'items', 'missing_required_parameter');
  if (b.items != null && !Array.isArray(b.items)) return errorBody("Invalid type for 'items': expected an array of input items, but got an object instead.", 'invalid_request_error', 'items', 'invalid_type');
  if (Array.isArray(b.items) && b.items.length > MAX_ITEMS_PER_CREATE) return errorBody(`Invalid 'items': array too long. Expected an array with maximum length ${MAX_ITEMS_PER_CREATE}, but got an array with length ${b.items.length} instead.`, 'invalid_request_error', 'items', 'array_above_max_length');
  return undefined;
}

/**
 * `GET /v1/conversations/{id}/items`: a cursor page, newest first unless `order=asc`, starting
 * after the item `after` names, `limit` items (20 by default).
 */
export function conversationItemsPage(items: readonly Record<string, unknown>[], query: URLSearchParams): string {
  const ordered = query.get('order') === 'asc' ? [...items] : [...items].reverse();
  const after = query.get('after');
  const start = after === null ? 0 : ordered.findIndex((item) => item.id === after) + 1;
  const limit = Number(query.get('limit') ?? 20);
  const data = ordered.slice(start, start + limit);
  return itemList(data, start + limit < ordered.length);
}

/** A list of conversation items, as a page and as items just added are answered. */
export function itemList(data: readonly Record<string, unknown>[], hasMore = false): string {
  return `${JSON.stringify({ object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: hasMore }, null, 2)}\n`;
}
