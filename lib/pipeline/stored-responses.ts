import type { Caller } from '../access/caller';
import { parseJsonObject } from '../http/body';
import { GatewayError } from '../http/errors';
import type { GatewayRequest, GatewayResponse } from '../http/types';
import type { Attempt } from '../routing/attempts';
import { mayUse, type Home, type StoredRef } from '../routing/response-homes';
import { callTimeouts, type UpstreamRequest, type UpstreamResponse } from '../upstream/http';
import type { RequestContext } from './context';
import type { ProxyDeps } from './deps';
import { guardedBody, screeningFor } from './guardrails';
import { apiKeyFor, auditedBody, auditedCaller } from './model-call';
import { passthroughFor, type PassthroughRoute } from './passthrough';
import { takeRequestSlot } from './request-slot';
import { readFailure } from './broke-off';
import { requestSignal } from './signal';
import { relayedStoredStream, screenedStoredAnswer } from './stored-answers';
import { callerOwner, notFoundAnswer } from './stored-objects';

/**
 * What a client asks of a stored object by its id: OpenAI's routes under `/v1/responses/{id}`
 * (`retrieve`, `delete`, `input_items`, `cancel`) and `/v1/conversations/{id}` (`retrieve`,
 * `update`, `delete`, and its items: `items` to list, `add_items`, `item`, `delete_item`).
 */
export type StoredObjectAction = 'retrieve' | 'update' | 'delete' | 'input_items' | 'cancel' | 'items' | 'add_items' | 'item' | 'delete_item';

/** A request for a stored object: which, what of it, and which of its items when the action names one. */
export interface StoredObjectOperation {
  ref: StoredRef;
  action: StoredObjectAction;
  itemId?: string;
}

type Method = 'GET' | 'POST' | 'DELETE';
const METHOD: Record<StoredObjectAction, Method> = { retrieve: 'GET', update: 'POST', delete: 'DELETE', input_items: 'GET', cancel: 'POST', items: 'GET', add_items: 'POST', item: 'GET', delete_item: 'DELETE' };

/** Each API's routes by what follows the object's id (`''`, a sub-resource, or `items/{item}`), as the actions each method takes. */
const ROUTES: Record<StoredRef['kind'], Record<string, readonly StoredObjectAction[]>> = {
  response: { '': ['retrieve', 'delete'], input_items: ['input_items'], cancel: ['cancel'] },
  conversation: { '': ['retrieve', 'update', 'delete'], items: ['items', 'add_items'], item: ['item', 'delete_item'] },
};

const PATH = /^(?:\/v1)?\/(responses|conversations)\/([^/]+)(?:\/(input_items|cancel|items)(?:\/([^/]+))?)?$/;

/**
 * The stored object a path names and what is asked of it, by method: `GET` and `DELETE
 * /v1/responses/{id}`, `GET …/input_items`, `POST …/cancel`; `GET`, `POST` (update) and `DELETE
 * /v1/conversations/{id}`, `GET` and `POST …/items`, `GET` and `DELETE …/items/{item_id}`.
 * Undefined for other paths; the answer for a path this matches but a method it does not take is
 * the route's 405.
 *
 * @example
 * storedObjectOperations('/v1/responses/resp_1/input_items') // { GET: { ref: { kind: 'response', id: 'resp_1' }, action: 'input_items' } }
 * storedObjectOperations('/v1/conversations/conv_1/items/msg_1') // { GET: { …, action: 'item', itemId: 'msg_1' }, DELETE: { …, action: 'delete_item', itemId: 'msg_1' } }
 * storedObjectOperations('/v1/responses') // undefined
 */
export function storedObjectOperations(path: string): Partial<Record<Method, StoredObjectOperation>> | undefined {
  const match = PATH.exec(path);
  if (!match) return undefined;
  const kind = match[1] === 'responses' ? 'response' : 'conversation';
  const id = pathSegment(match[2]!);
  const itemId = match[4] === undefined ? undefined : pathSegment(match[4]);
  if (id === undefined || (match[4] !== undefined && (itemId === undefined || match[3] !== 'items'))) return undefined;
  const actions = ROUTES[kind][itemId === undefined ? (match[3] ?? '') : 'item'];
  if (!actions) return undefined;
  const ref: StoredRef = { kind, id };
  const operations: Partial<Record<Method, StoredObjectOperation>> = {};
  for (const action of actions) operations[METHOD[action]] = itemId === undefined ? { ref, action } : { ref, action, itemId };
  return operations;
}

/** A path segment as the id it names; undefined for a malformed escape, and for `.` or `..` (escaped or not), which a URL resolves: the upstream call would go to the endpoint's parent. */
function pathSegment(segment: string): string | undefined {
  let id: string;
  try {
    id = decodeURIComponent(segment);
  } catch {
    return undefined;
  }
  return id === '.' || id === '..' ? undefined : id;
}

/** OpenAI's 404 for a stored response it does not hold: what a caller that is not its owner is told too. */
export function unknownResponse(id: string, detail?: string): GatewayError {
  return new GatewayError('not_found', `Response with id '${id}' not found.`, detail === undefined ? {} : { detail });
}

/** OpenAI's 404 for a stored object it does not hold, by kind (`unknownResponse`; a conversation's is `notFoundAnswer`'s). */
export const unknownObject = (ref: StoredRef, detail?: string): GatewayError => (ref.kind === 'response' ? unknownResponse(ref.id, detail) : notFoundAnswer(ref, detail));

/**
 * The home of a stored object: the table's item (one consistent read: these routes are rare, and
 * the item carries the model for the usage record), else this instance's memory; none when either
 * holds the id as the other kind (a response's id on a conversation's route).
 */
async function homeOf(ref: StoredRef, deps: ProxyDeps): Promise<Home | undefined> {
  const stored = await deps.storedHomes?.read(ref.id);
  if (stored) return stored.ref.kind === ref.kind ? stored : undefined;
  const remembered = deps.load.homes.homeOf(ref.id);
  return remembered?.kind === undefined || remembered.kind === ref.kind ? remembered : undefined;
}

/**
 * A request for a stored object (`storedObjectOperations`), sent to the account that holds it
 * (its home in the table or this instance's memory: no pool is asked in turn, these calls carry
 * no model to plan by), after the owner check (`mayUse`): a caller that is not the owner, and an
 * id with no known home, get OpenAI's 404 for an unknown id before any upstream call. The key
 * needs no model permission: the owner check is the rule (a key reads what its team made, as it
 * may continue it). A body (a conversation's update, items added) is screened by the guardrails
 * as a model call's is, since it becomes the model's input, and kept by an audited call's record
 * only once it passed the owner check (a refusal's record has its size alone). Then, before the home is read, the
 * call counts in the caller's requests-per-minute limits (`takeRequestSlot`): a refused id costs
 * a read, so it takes its place too, and past the limit nothing is read. An audited key's call
 * leaves its audit record (`auditedCaller`).
 * The upstream's answer goes back with its status and content type, what a model wrote in it
 * screened by the caller's rules on answers (`screenedStoredAnswer`), a stored response streamed
 * again (`stream=true`) relayed event by event (`relayedStoredStream`, which calls `finish` when
 * it ends, as a model call's stream does); a deleted object's home is
 * forgotten, in memory at once and in the table with the usage record. The usage record carries
 * the object's model and no tokens.
 */
export async function storedObjectCall(operation: StoredObjectOperation, req: GatewayRequest, ctx: RequestContext, deps: ProxyDeps, finish: () => void): Promise<GatewayResponse> {
  const caller = await auditedCaller(req, ctx, deps);
  const { ref } = operation;
  // Booked as a model call is, by what the client asked: the account is asked for events (`withoutBody`) too.
  ctx.stream = req.query.get('stream') === 'true';
  const takesBody = METHOD[operation.action] === 'POST' && operation.action !== 'cancel';
  const body = takesBody ? await screenedBody(req, ctx, deps, caller) : undefined;
  // No body to screen: the call is still marked for the rules on answers (what it reads back may be a model's), and a key whose rule set is gone is refused.
  if (!takesBody) screeningFor(caller, ctx, deps);
  // Counted before the table is read, so that a key past its limit cannot make a read per made-up
  // id: an id it does not own, or none holds, takes its place as OpenAI counts its 404. Refusals
  // made before (authentication, the guardrails) read nothing and take none.
  await takeRequestSlot(caller, req, ctx, deps);
  const home = await homeOf(ref, deps);
  if (!home) throw unknownObject(ref, `no account is known to hold this ${ref.kind}`);
  const owner = callerOwner({ caller });
  if (!mayUse(home, owner)) throw unknownObject(ref, `the stored ${ref.kind} belongs to ${home.owner}, not to the caller (${owner})`);
  ctx.model = home.model ?? '';
  const attempt = attemptAt(home, deps);
  const pass = attempt && passthroughFor('openai-responses', attempt, deps.providers);
  if (!attempt || !pass) throw unknownObject(ref, `its account ${home.providerId}/${home.accountId} is no longer one the Responses API is passed through to`);
  ctx.provider = attempt.provider.id;
  ctx.account = attempt.account.id;
  ctx.attempts = 1;
  // Only now: a caller refused above (not the owner, an id none holds) leaves a record of its refusal, and its body's size, not the body.
  if (body) auditedAsSent(body, req, ctx);
  const signal = requestSignal(req, deps.now);
  let res: UpstreamResponse;
  let answer: Buffer;
  try {
    const create = await createRequest(pass, attempt, deps, signal);
    res = await deps.upstream.send(storedObjectRequest(create, operation, req.query.toString(), body));
    // A stored response streamed again goes on event by event as it comes, as a model call's stream does.
    if (res.status < 400 && contentTypeOf(res).startsWith('text/event-stream')) return relayedStoredStream(res, pass, ctx, deps, signal, finish);
    answer = await res.body.bytes();
  } catch (err) {
    // A client that left (or a deadline that passed) is booked as such, as on a model call, not as the account's failure.
    throw readFailure(err, signal, 'its answer');
  }
  if (res.status >= 400) throw pass.parseError(res.status, res.headers, answer.toString('utf8'), attempt.provider.id);
  if (operation.action === 'delete') {
    deps.load.homes.forget(ref.id);
    // Removed from the table with the call's usage record, in its batch.
    ctx.storedHomesGone = [ref.id];
  }
  const type = contentTypeOf(res);
  return { status: res.status, headers: { 'content-type': type }, body: screenedStoredAnswer(operation, answer, ctx, deps) };
}

/** An account's answer's content type, JSON when it names none. */
const contentTypeOf = (res: Pick<UpstreamResponse, 'headers'>): string => {
  const type = res.headers['content-type'];
  return typeof type === 'string' ? type : 'application/json';
};

/** An account's answer to a stored object's route, for the client: its status, its bytes, and its content type alone (the account's other headers, its rate limits among them, are not the key's). */
export function answerAsItCame(res: Pick<UpstreamResponse, 'status' | 'headers'>, body: Buffer): GatewayResponse {
  return { status: res.status, headers: { 'content-type': contentTypeOf(res) }, body };
}

/**
 * A JSON body a conversation route sends upstream, read within the gateway's bound and screened
 * by the caller's guardrails (its items are the model's input on the next call): 400 for one that
 * is not a JSON object, as a model call's; an empty one is `empty` when given. The call's audit
 * capture is given its size alone (`AuditCapture.unread`'s record: no text); the caller hands it
 * the body itself (`auditedAsSent`) once the body is to go upstream.
 */
export async function screenedBody(req: GatewayRequest, ctx: RequestContext, deps: ProxyDeps, caller: Caller, empty?: Uint8Array): Promise<Uint8Array> {
  const read = await auditedBody(req, ctx, deps);
  const raw = guardedBody(read.byteLength === 0 && empty ? empty : read, caller, req, ctx, deps);
  ctx.audit?.unread(req.headers['content-type'], raw.byteLength);
  parseJsonObject(raw);
  return raw;
}

/** A screened body (`screenedBody`) kept by the call's audit capture whole, as text (it was read as JSON), now that it goes upstream. */
export function auditedAsSent(body: Uint8Array, req: GatewayRequest, ctx: RequestContext): void {
  ctx.audit?.request(body, req.headers['content-type'], true);
}

/**
 * The account's Responses create request as a create call would have it (OpenAI's endpoint,
 * Azure's v1 path, an Entra token): a stored object's routes are under it or beside it.
 */
export async function createRequest(pass: PassthroughRoute, attempt: Attempt, deps: ProxyDeps, signal: AbortSignal | undefined): Promise<UpstreamRequest> {
  const timeouts = callTimeouts(deps.config.timeouts, attempt.provider.timeouts, false);
  const apiKey = pass.needsApiKey ? await apiKeyFor(attempt, deps, signal) : undefined;
  return pass.request({ attempt, body: {}, raw: new Uint8Array(), headers: {}, stream: false, apiKey, timeouts, ...(signal ? { signal } : {}) });
}

/** The configured account a home names, as an attempt (its provider's first model does not matter: the id's routes name none). */
function attemptAt(home: Home, deps: ProxyDeps): Attempt | undefined {
  const provider = deps.config.providers.find((p) => p.id === home.providerId);
  const account = provider?.accounts.find((a) => a.id === home.accountId);
  return provider && account ? { provider, account, model: '' } : undefined;
}

/** Where an operation goes under its collection's endpoint: the object's id, then its sub-resource. */
function pathOf(operation: StoredObjectOperation): string {
  const id = `/${encodeURIComponent(operation.ref.id)}`;
  switch (operation.action) {
    case 'input_items':
    case 'cancel':
      return `${id}/${operation.action}`;
    case 'items':
    case 'add_items':
      return `${id}/items`;
    case 'item':
    case 'delete_item':
      return `${id}/items/${encodeURIComponent(operation.itemId ?? '')}`;
    default:
      return id;
  }
}

/**
 * The URL of an account's collection (`responses` or `conversations`), from its Responses endpoint
 * (conversations are its sibling: `…/v1/conversations`, Azure's `/openai/v1/conversations`), with
 * the account's own query (Azure's api-version).
 *
 * @example
 * collectionUrl('https://api.openai.com/v1/responses', 'conversation').toString() // 'https://api.openai.com/v1/conversations'
 */
export function collectionUrl(responsesUrl: string, kind: StoredRef['kind']): URL {
  const url = new URL(responsesUrl);
  const path = url.pathname.replace(/\/+$/, '');
  if (kind === 'conversation') url.pathname = `${path.replace(/\/responses$/, '')}/conversations`;
  else url.pathname = path;
  return url;
}

/**
 * The upstream request for a stored object, from the account's create request: its URL with the
 * object's route (and the client's query after the account's: `include[]`, `stream`, `order`,
 * `after`, …), its headers, and the body given (a JSON one) or none.
 *
 * @example
 * storedObjectRequest(create, { ref: { kind: 'response', id: 'resp_1' }, action: 'input_items' }, 'order=asc').url // 'https://api.openai.com/v1/responses/resp_1/input_items?order=asc'
 */
export function storedObjectRequest(create: UpstreamRequest, operation: StoredObjectOperation, query: string, body?: Uint8Array): UpstreamRequest {
  const url = collectionUrl(create.url, operation.ref.kind);
  url.pathname += pathOf(operation);
  const request = withoutBody(create, url, query);
  return { ...request, method: METHOD[operation.action], ...(body ? { body, headers: { ...request.headers, 'content-type': 'application/json' } } : {}) };
}

/** The create request re-aimed at `url` (the client's query appended), its body and body headers dropped, `accept` as a `stream` query asks. */
export function withoutBody(create: UpstreamRequest, url: URL, query: string): UpstreamRequest {
  const target = new URL(url);
  const client = new URLSearchParams(query);
  for (const [name, value] of client) target.searchParams.append(name, value);
  const { 'content-type': _body, accept: _accept, ...headers } = create.headers;
  const { body: _create, ...rest } = create;
  return { ...rest, url: target.toString(), headers: { ...headers, accept: client.get('stream') === 'true' ? 'text/event-stream' : 'application/json' } };
}
