import { modelRefusedBy, type Caller } from '../access/caller';
import { GatewayError } from '../http/errors';
import type { GatewayRequest, GatewayResponse } from '../http/types';
import type { Catalog, CatalogModel, Target } from '../routing/catalog';
import type { RequestContext } from './context';
import type { ProxyDeps } from './deps';
import { auditedCaller, usableModel } from './model-call';
import { passthroughFor, type PassthroughRoute } from './passthrough';
import { takeRequestSlot } from './request-slot';
import { requestSignal } from './signal';
import { callerOwner, madeAt } from './stored-objects';
import { answerAsItCame, auditedAsSent, collectionUrl, createRequest, screenedBody, withoutBody } from './stored-responses';
import { tryTargets, type ErrorReader } from './try-targets';

/** The header naming the model a new conversation is for (else the `model` query parameter): it is made where that model's calls go. */
export const CONVERSATION_MODEL_HEADER = 'x-aigw-model';

/**
 * The model a new conversation is made for, whose pool it is made in: the one the client names
 * when the key (and its team) may use it and some target of it keeps conversations (`keeps`: the
 * Responses API is passed through to it); else the first model in the config's order (exact
 * names: a `*` pattern's names cannot be listed) that the key may use, by its name or an alias,
 * and that has such a target. A conversation lives in one account, so it is where later
 * `responses.create({ conversation })` calls go first: a client whose calls use another model
 * than the key's first names it. Throws the refusal a model call would get for a named model
 * (404 `model_not_found`, 403 `model_not_allowed`), 400 `model_keeps_no_conversations` for a
 * named one served only by translation, and 400 `no_conversation_model` when the key may use
 * no model that keeps conversations.
 *
 * @example
 * conversationModel(undefined, caller, catalog, keeps) // catalog.models[1] when models[0] is a Claude model and models[1] gpt-4o
 * conversationModel('gpt-4.1', caller, catalog, keeps) // catalog.find('gpt-4.1')
 */
export function conversationModel(named: string | undefined, caller: Caller, catalog: Pick<Catalog, 'find' | 'models'>, keeps: (target: Target) => boolean): CatalogModel {
  if (named !== undefined) {
    const entry = usableModel(caller, named, catalog);
    if (!entry.targets.some(keeps)) {
      throw new GatewayError('invalid_request', `The model \`${named}\` is served by no provider that keeps conversations (OpenAI, Azure OpenAI, or an OpenAI-compatible server with "responses": "passthrough").`, { code: 'model_keeps_no_conversations', param: 'model' });
    }
    return entry;
  }
  const usable = (entry: CatalogModel) => [entry.name, ...(entry.config.aliases ?? [])].some((name) => !modelRefusedBy(caller, name, entry.name));
  const first = catalog.models.find((entry) => entry.targets.some(keeps) && usable(entry));
  if (first) return first;
  throw new GatewayError('invalid_request', 'This API key may use no model served by a provider that keeps conversations (OpenAI, Azure OpenAI, or an OpenAI-compatible server with "responses": "passthrough").', { code: 'no_conversation_model' });
}

/** Whether a target's accounts keep conversations: the Responses API is passed through to them (its provider decides, not the account). */
export function keepsConversations(target: Target, deps: Pick<ProxyDeps, 'providers'>): boolean {
  const account = target.accounts[0];
  return account !== undefined && passthroughFor('openai-responses', { provider: target.provider, account, model: target.model }, deps.providers) !== undefined;
}

const EMPTY_OBJECT = Buffer.from('{}');

/**
 * `POST /v1/conversations`: made at an account of the conversation's model (`conversationModel`),
 * tried in the order a call of that model would be (balanced, resting accounts last, on to the
 * next after a 5xx or a 429), among its targets that keep conversations; the client's body
 * (`items`, `metadata`) is screened by its guardrails and goes upstream as it came (or as they
 * redacted it), the `model` query parameter left out. Counted in the caller's requests-per-minute
 * limits once it passed those checks. The conversation is its caller's team's (else its key's)
 * at the account that made it: remembered at once, and handed to the usage writes' next batch
 * (`madeAt`; no TTL: a conversation is kept until deleted), so every later call that builds on it,
 * on any instance, goes there first.
 */
export async function createConversation(req: GatewayRequest, ctx: RequestContext, deps: ProxyDeps): Promise<GatewayResponse> {
  const caller = await auditedCaller(req, ctx, deps);
  const named = req.headers[CONVERSATION_MODEL_HEADER] || req.query.get('model') || undefined;
  const keeps = (target: Target) => keepsConversations(target, deps);
  const entry = conversationModel(named, caller, deps.catalog, keeps);
  ctx.model = entry.name;
  const keeping = entry.targets.filter(keeps);
  const askable = deps.conversationless?.askable(keeping) ?? keeping;
  // Every account answered a create's 404 lately: asking again would only hear it again.
  if (askable.length === 0) throw keepsNoConversations(entry.name, named !== undefined, 'lately');
  // The SDK sends `{}` for `create()`; a bare POST (curl) asks for an empty conversation too.
  const body = await screenedBody(req, ctx, deps, caller, EMPTY_OBJECT);
  // A new conversation has no owner to check: its body is the call's record's as soon as it passed the guardrails, as a model call's.
  auditedAsSent(body, req, ctx);
  // Counted once the call is known to be one the key may make, as a model call is: refusals take no place.
  await takeRequestSlot(caller, req, ctx, deps);
  const query = new URLSearchParams(req.query.toString());
  query.delete('model');
  // An account's 404 is remembered only when nothing of the client's could have been what was missing: else one client's mistake would keep every client's creates from the account for an hour.
  const aboutTheRouteOnly = givesNothingToMiss(body, query);
  const signal = requestSignal(req, deps.now);
  // tryTargets gives a create's 404 (a failed precondition) only when no account failed in a way worth retrying (`tellingFailure`); it is the 400 when every account said so.
  let makesNone = 0;
  const answered = tryTargets<PassthroughRoute>(askable, {}, ctx, deps, signal, async (attempt) => {
    const pass = passthroughFor('openai-responses', attempt, deps.providers)!;
    const reader = makesNoConversations(pass.parseError);
    const create = await createRequest(pass, attempt, deps, signal);
    const request = withoutBody(create, collectionUrl(create.url, 'conversation'), query.toString());
    const res = await deps.upstream.send({ ...request, method: 'POST', body, headers: { ...request.headers, 'content-type': 'application/json' } });
    const parseError: ErrorReader = (status, ...rest) => {
      const error = reader(status, ...rest);
      // A 404 read so, not another precondition an account's reader names alike (a model it lacks).
      if (status === 404 && error.code === NO_CONVERSATIONS) {
        makesNone++;
        // Creates racing to the account each hear its 404: the first tells the log.
        if (aboutTheRouteOnly && deps.conversationless?.remember(attempt.provider.id, attempt.account.id)) {
          deps.logger.info('account makes no conversations: left out of creates for an hour', { requestId: ctx.requestId, provider: attempt.provider.id, account: attempt.account.id });
        }
      }
      return error;
    };
    return { res, parseError, via: pass };
  });
  const { res, attempt } = await answered.catch((err: unknown) => {
    // Every account asked answered the create's 404: the model's accounts keep none.
    if (err instanceof GatewayError && err.code === NO_CONVERSATIONS && makesNone === ctx.attempts) throw keepsNoConversations(entry.name, named !== undefined, 'now');
    throw err;
  });
  const answer = await res.body.bytes();
  const id = conversationIdOf(answer);
  if (id) madeAt({ kind: 'conversation', id }, attempt, callerOwner({ caller }), { caller, body: {}, model: entry.name }, deps);
  else deps.logger.warn('conversation made without an id in its answer: its home is not kept', { requestId: ctx.requestId, provider: attempt.provider.id, account: attempt.account.id });
  return answerAsItCame(res, answer);
}

/** The code of an account's 404 to a conversation's create (`makesNoConversations`): only tryTargets and `createConversation` see it. */
const NO_CONVERSATIONS = 'upstream_failed_precondition';

/**
 * An account's error reader for a conversation's create, with its 404 read as "this account makes
 * no conversations" (an Azure OpenAI resource that does not serve them, a server without the
 * Conversations API): a failed precondition of the account, as a model it lacks is, so the next
 * account or target that keeps conversations is asked at once, and the account does not rest (its
 * model calls are fine). Only the items it is given could be missing: OpenAI's 404 for one of
 * them (`Item with id '…' not found.`, param `items`: a reasoning item stored nowhere, a
 * reference) is the client's, as it came: every account would answer it so.
 *
 * @example
 * makesNoConversations(errorFromOpenAIUpstream)(404, {}, '{"error":{"code":"404","message":"Resource not found"}}', 'azure').code // 'upstream_failed_precondition'
 */
export function makesNoConversations(parseError: ErrorReader): ErrorReader {
  return (status, headers, text, providerId) => {
    const error = parseError(status, headers, text, providerId);
    if (status !== 404 || namesGivenItem(error)) return error;
    return new GatewayError('upstream_error', `The upstream provider "${providerId}" does not make conversations for this account (404).`, { code: NO_CONVERSATIONS, detail: error.message });
  };
}

/** Whether a create's 404 is about what its body gave (it names a param, or says an item is missing), not about the route. */
const namesGivenItem = (error: GatewayError): boolean => error.param !== undefined || /^Item with id '[^']*' not found/.test(error.message);

/**
 * Whether a create gives the account nothing that could be missing, so that a 404 to it can only
 * say the route is (no conversations there): no items (each may reference a file, an item, a
 * stored reasoning item, in words no reader can list) and no query of the client's (an
 * `api-version` an Azure resource does not serve is its 404 too). Metadata is only kept. A body
 * that is not a JSON object is never found missing either way, but is not vouched for.
 *
 * @example
 * givesNothingToMiss(Buffer.from('{"metadata":{"topic":"travel"}}'), new URLSearchParams()) // true
 * givesNothingToMiss(Buffer.from('{"items":[{"type":"item_reference","id":"msg_1"}]}'), new URLSearchParams()) // false
 */
export function givesNothingToMiss(body: Uint8Array, query: URLSearchParams): boolean {
  if (query.toString() !== '') return false;
  try {
    const parsed = JSON.parse(Buffer.from(body).toString('utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return false;
    const items = (parsed as { items?: unknown }).items;
    return items === undefined || items === null || (Array.isArray(items) && items.length === 0);
  } catch {
    return false;
  }
}

/**
 * The 400 for a model whose every account answered that it makes no conversations, `now` (each
 * one asked) or `lately` (within the memory's hour, so none was asked): as a model served only by
 * translation gets, with why.
 */
function keepsNoConversations(model: string, named: boolean, when: 'now' | 'lately'): GatewayError {
  const answered = when === 'now' ? 'each one asked answered 404 to making one' : 'each one answered 404 to making one in the last hour, and is asked again once that hour has passed';
  return new GatewayError('invalid_request', `The model \`${model}\` is served by no account that keeps conversations: ${answered} (an Azure OpenAI resource that does not serve conversations, or a server without the Conversations API).`, { code: 'model_keeps_no_conversations', ...(named ? { param: 'model' } : {}) });
}

/**
 * The id a conversation's answer names, if it is one.
 *
 * @example
 * conversationIdOf(Buffer.from('{"id":"conv_1","object":"conversation"}')) // 'conv_1'
 */
export function conversationIdOf(answer: Uint8Array): string | undefined {
  try {
    const id = (JSON.parse(Buffer.from(answer).toString('utf8')) as { id?: unknown } | null)?.id;
    return typeof id === 'string' && id !== '' ? id : undefined;
  } catch {
    return undefined;
  }
}
