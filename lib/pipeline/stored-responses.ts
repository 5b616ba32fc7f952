import { GatewayError } from '../http/errors';
import type { GatewayRequest, GatewayResponse } from '../http/types';
import type { Attempt } from '../routing/attempts';
import { mayUse, type Home } from '../routing/response-homes';
import type { UpstreamRequest } from '../upstream/http';
import type { RequestContext } from './context';
import type { ProxyDeps } from './deps';
import { apiKeyFor } from './model-call';
import { passthroughFor } from './passthrough';
import { callerOwner } from './stored-objects';

/** What a client asks of a stored response by its id: OpenAI's routes under `/v1/responses/{id}`. */
export type StoredResponseAction = 'retrieve' | 'delete' | 'input_items' | 'cancel';

/** A request for a stored response: which, and what of it. */
export interface StoredResponseOperation {
  id: string;
  action: StoredResponseAction;
}

const PATH = /^(?:\/v1)?\/responses\/([^/]+)(?:\/(input_items|cancel))?$/;

/**
 * The stored response a path names and what is asked of it, by the path and the method: `GET` and
 * `DELETE /v1/responses/{id}`, `GET …/input_items`, `POST …/cancel`. Undefined for other paths;
 * the method's answer for a path this matches but a method it does not take is the route's 405.
 *
 * @example
 * storedResponseOperations('/v1/responses/resp_1/input_items') // { GET: { id: 'resp_1', action: 'input_items' } }
 * storedResponseOperations('/v1/responses') // undefined
 */
export function storedResponseOperations(path: string): Partial<Record<'GET' | 'DELETE' | 'POST', StoredResponseOperation>> | undefined {
  const match = PATH.exec(path);
  if (!match) return undefined;
  let id: string;
  try {
    id = decodeURIComponent(match[1]!);
  } catch {
    return undefined;
  }
  // A URL resolves a dot segment, escaped or not: the upstream call would go to the Responses endpoint's parent.
  if (id === '.' || id === '..') return undefined;
  if (match[2] === 'input_items') return { GET: { id, action: 'input_items' } };
  if (match[2] === 'cancel') return { POST: { id, action: 'cancel' } };
  return { GET: { id, action: 'retrieve' }, DELETE: { id, action: 'delete' } };
}

/** OpenAI's 404 for a stored response it does not hold: what a caller that is not its owner is told too. */
export function unknownResponse(id: string, detail?: string): GatewayError {
  return new GatewayError('not_found', `Response with id '${id}' not found.`, detail === undefined ? {} : { detail });
}

/** A stored response's home as these routes need it: the account, its owner and model when known. */
type FoundHome = Home & { model?: string };

/**
 * The home of a stored response: the table's item (one consistent read: these routes are rare, and
 * the item carries the model for the usage record), else this instance's memory.
 */
async function homeOf(id: string, deps: ProxyDeps): Promise<FoundHome | undefined> {
  const stored = await deps.storedHomes?.read(id);
  if (stored?.ref.kind === 'response') return stored;
  return deps.load.homes.homeOf(id);
}

/**
 * A request for a stored response (`storedResponseOperations`), sent to the account that holds it
 * (its home in the table or this instance's memory: no pool is asked in turn, these calls carry
 * no model to plan by), after the owner check (`mayUse`): a caller that is not the owner, and an
 * id with no known home, get OpenAI's 404 for an unknown id before any upstream call. The key
 * needs no model permission: the owner check is the rule (a key reads what its team made, as it
 * may continue it). The upstream's answer goes back as it came (a deleted response's home is
 * forgotten, in memory at once and in the table with the usage record); the usage record carries
 * the response's model and no tokens.
 */
export async function storedResponseCall(operation: StoredResponseOperation, req: GatewayRequest, ctx: RequestContext, deps: ProxyDeps): Promise<GatewayResponse> {
  const caller = await deps.auth.authenticate(req, ctx);
  const { id } = operation;
  const home = await homeOf(id, deps);
  if (!home) throw unknownResponse(id, 'no account is known to hold this response');
  const owner = callerOwner({ caller });
  if (!mayUse(home, owner)) throw unknownResponse(id, `the stored response belongs to ${home.owner}, not to the caller (${owner})`);
  ctx.model = home.model ?? '';
  const attempt = attemptAt(home, deps);
  const pass = attempt && passthroughFor('openai-responses', attempt, deps.providers);
  if (!attempt || !pass) throw unknownResponse(id, `its account ${home.providerId}/${home.accountId} is no longer one the Responses API is passed through to`);
  ctx.provider = attempt.provider.id;
  ctx.account = attempt.account.id;
  ctx.attempts = 1;
  const timeouts = { ...deps.config.timeouts, ...attempt.provider.timeouts };
  const apiKey = pass.needsApiKey ? await apiKeyFor(attempt, deps, req.signal) : undefined;
  // The account's Responses endpoint and auth as a create call would have them (OpenAI's, Azure's v1 path, an Entra token): the id's route is under it.
  const create = await pass.request({ attempt, body: {}, raw: new Uint8Array(), headers: {}, stream: false, apiKey, timeouts, ...(req.signal ? { signal: req.signal } : {}) });
  const res = await deps.upstream.send(storedResponseRequest(create, operation, req.query.toString()));
  const body = await res.body.bytes();
  if (res.status >= 400) throw pass.parseError(res.status, res.headers, body.toString('utf8'), attempt.provider.id);
  if (operation.action === 'delete') {
    deps.load.homes.forget(id);
    // Removed from the table with the call's usage record, in its batch.
    ctx.storedHomesGone = [id];
  }
  const type = res.headers['content-type'];
  return { status: res.status, headers: { 'content-type': typeof type === 'string' ? type : 'application/json' }, body };
}

/** The configured account a home names, as an attempt (its provider's first model does not matter: the id's routes name none). */
function attemptAt(home: Home, deps: ProxyDeps): Attempt | undefined {
  const provider = deps.config.providers.find((p) => p.id === home.providerId);
  const account = provider?.accounts.find((a) => a.id === home.accountId);
  return provider && account ? { provider, account, model: '' } : undefined;
}

const METHOD: Record<StoredResponseAction, UpstreamRequest['method']> = { retrieve: 'GET', delete: 'DELETE', input_items: 'GET', cancel: 'POST' };

/**
 * The upstream request for a stored response, from the account's create request: its URL with the
 * id's route (and the client's query: `include[]`, `stream`, `order`, …), its headers without a body's.
 *
 * @example
 * storedResponseRequest(create, { id: 'resp_1', action: 'input_items' }, 'order=asc').url // 'https://api.openai.com/v1/responses/resp_1/input_items?order=asc'
 */
export function storedResponseRequest(create: UpstreamRequest, operation: StoredResponseOperation, query: string): UpstreamRequest {
  const url = new URL(create.url);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${encodeURIComponent(operation.id)}${operation.action === 'input_items' || operation.action === 'cancel' ? `/${operation.action}` : ''}`;
  // The account's own query (Azure's api-version) stays; the client's goes after it.
  const client = new URLSearchParams(query);
  for (const [name, value] of client) url.searchParams.append(name, value);
  const { 'content-type': _body, accept: _accept, ...headers } = create.headers;
  const { body: _create, ...rest } = create;
  return { ...rest, url: url.toString(), method: METHOD[operation.action], headers: { ...headers, accept: client.get('stream') === 'true' ? 'text/event-stream' : 'application/json' } };
}
