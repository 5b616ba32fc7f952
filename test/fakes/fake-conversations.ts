import { randomHex } from './http';
import {
  conversationItemsPage,
  conversationObject,
  deletedConversationBody,
  invalidConversationBody,
  itemList,
  storedInputItems,
  unknownConversationId,
  unknownConversationItem,
  unknownReasoningItem,
  type StoredConversation,
} from './openai-responses-wire';
import type { OpenAIErrorBody } from './openai-wire';

/** A conversation route's answer, for a fake to write in its own way: a JSON text on success, an error body (OpenAI's shape) on failure. */
export type ConversationAnswer = { status: 200; text: string } | { status: 400 | 404; error: OpenAIErrorBody };

const ROUTE = /^(GET|DELETE|POST) \/conversations\/([^/]+)(?:\/(items)(?:\/([^/]+))?)?$/;

/**
 * One account's conversations as OpenAI keeps them (`POST /v1/conversations`, and under
 * `/v1/conversations/{id}`: retrieve, update, delete, `items` listed and added, one item retrieved
 * and deleted), each answered as the real API answers, for the fakes that serve them under their
 * own prefix (OpenAI's `/v1`, Azure's `/openai/v1`). Routes are given without that prefix.
 *
 * @example
 * const conversations = new FakeConversations();
 * conversations.answer('POST', '/conversations', {}, '') // { status: 200, text: '{ "id": "conv_…", "object": "conversation", … }' }
 */
export class FakeConversations {
  readonly #state = new Map<string, StoredConversation>();

  /** The ids of the conversations made here and not deleted. */
  get ids(): string[] {
    return [...this.#state.keys()];
  }

  has(id: string): boolean {
    return this.#state.has(id);
  }

  /** A conversation's object and items (a Responses call made in it appends to them). */
  get(id: string): StoredConversation | undefined {
    return this.#state.get(id);
  }

  clear(): void {
    this.#state.clear();
  }

  /** The answer to `method path` (`/conversations…`), or undefined when the path is no conversation route (the fake's own 404 for an unknown URL). */
  answer(method: string, path: string, body: unknown, search: string): ConversationAnswer | undefined {
    if (method === 'POST' && path === '/conversations') return this.#create(body ?? {});
    const route = ROUTE.exec(`${method} ${path}`);
    if (!route) return undefined;
    const itemId = route[4] === undefined ? undefined : decodeURIComponent(route[4]);
    return this.#conversation(method, decodeURIComponent(route[2]!), route[3], itemId, body, search);
  }

  #create(body: unknown): ConversationAnswer {
    const invalid = invalidConversationBody(body, {});
    if (invalid) return { status: 400, error: invalid };
    const unknownItem = unknownReasoningItem({ input: (body as { items?: unknown }).items }, 'items');
    if (unknownItem) return { status: 404, error: unknownItem };
    const { items, metadata } = body as { items?: unknown; metadata?: unknown };
    const id = `conv_${randomHex(48)}`;
    const made: StoredConversation = { createdAt: Math.floor(Date.now() / 1000), metadata: isObject(metadata) ? metadata : {}, items: storedInputItems(items ?? []) };
    this.#state.set(id, made);
    return { status: 200, text: conversationObject(id, made) };
  }

  #conversation(method: string, id: string, sub: string | undefined, itemId: string | undefined, body: unknown, search: string): ConversationAnswer | undefined {
    const operation = `${method} ${sub ?? ''}${itemId === undefined ? '' : '/'}`;
    if (!KNOWN.has(operation)) return undefined;
    const found = this.#state.get(id);
    if (!found) return { status: 404, error: unknownConversationId(id) };
    switch (operation) {
      case 'GET ':
        return { status: 200, text: conversationObject(id, found) };
      case 'POST ': {
        const invalid = invalidConversationBody(body, { metadata: true });
        if (invalid) return { status: 400, error: invalid };
        const metadata = (body as { metadata?: unknown }).metadata;
        found.metadata = isObject(metadata) ? metadata : {};
        return { status: 200, text: conversationObject(id, found) };
      }
      case 'DELETE ':
        this.#state.delete(id);
        return { status: 200, text: deletedConversationBody(id) };
      case 'GET items':
        return { status: 200, text: conversationItemsPage(found.items, new URLSearchParams(search)) };
      case 'POST items': {
        const invalid = invalidConversationBody(body, { items: true });
        if (invalid) return { status: 400, error: invalid };
        const added = storedInputItems((body as { items: unknown[] }).items);
        found.items.push(...added);
        return { status: 200, text: itemList(added) };
      }
    }
    const at = found.items.findIndex((item) => item.id === itemId);
    if (at < 0) return { status: 404, error: unknownConversationItem(itemId!) };
    if (operation === 'GET items/') return { status: 200, text: `${JSON.stringify(found.items[at], null, 2)}\n` };
    found.items.splice(at, 1);
    // An item's delete answers with the conversation it was deleted from.
    return { status: 200, text: conversationObject(id, found) };
  }
}

/** The operations a conversation's routes take: method, sub-resource, and `/` when an item is named. */
const KNOWN = new Set(['GET ', 'POST ', 'DELETE ', 'GET items', 'POST items', 'GET items/', 'DELETE items/']);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
