import { guardrailsOf, modelRefusedBy, paramPolicyOf, type Caller, type Chosen, type LimitScope } from '../access/caller';
import { endUserOf, limitScopesOf } from '../access/end-user';
import { withCacheBreakpoints } from '../canonical/cache-breakpoints';
import type { ChatRequest, PolicyChoices } from '../canonical/types';
import { entraOf, type ParamPolicyConfig } from '../config/schema';
import { unusableCredentials } from '../credentials/credentials';
import { readBody, parseJsonObject } from '../http/body';
import { GatewayError, forTarget } from '../http/errors';
import type { GatewayRequest, GatewayResponse } from '../http/types';
import type { CallContext, ParamDropped, PolicyDeclined, StopEmulated } from '../providers/types';
import { vertexPublisher } from '../providers/vertex';
import type { Attempt } from '../routing/attempts';
import { stickyKeyOf } from '../routing/sticky';
import type { Catalog, CatalogModel } from '../routing/catalog';
import type { Micros } from '../usage/cost';
import { CACHE_HEADER } from '../cache/response-cache';
import { isCacheableSurface } from '../cache/key';
import { planCache, type CachePlan } from '../cache/policy';
import type { CacheEntry } from '../store/response-cache';
import { applyParams } from '../params/apply';
import type { ParamName } from '../params/fields';
import { book as bookAnswerHits } from './answer-guard';
import { passthroughAnswer, translatedAnswer } from './answers';
import type { SurfaceBinding } from './bindings';
import { worstCaseOfCall } from './budget';
import type { RequestContext } from './context';
import type { ProxyDeps } from './deps';
import { guardedBody, screeningOf } from './guardrails';
import { mendedCall, mendingFor } from './mending';
import { passthroughFor, withResponseIds, type PassthroughReader, type PassthroughRoute } from './passthrough';
import { requestSignal } from './signal';
import { callerOwner, continuationOf, knownWithoutRead, madeAt, namedStoredRef } from './stored-objects';
import { tryTargets, type Continuation } from './try-targets';
import { callTimeouts, type UpstreamRequest } from '../upstream/http';

/** A request's body and model, checked, and the key (with its team) that may use it. */
export interface AdmittedCall {
  caller: Caller;
  body: Record<string, unknown>;
  /** The body's bytes as the client sent them, for targets that need nothing in it changed. */
  raw: Uint8Array;
  /** The model name the client asked for. */
  model: string;
  entry: CatalogModel;
  /** The end user the request names, if any (`lib/access/end-user.ts`). */
  endUser?: string;
  /** What the model's request parameter policy chose rather than the client, for the translation (`ChatRequest.setByPolicy`); absent when it changed nothing. */
  setByPolicy?: PolicyChoices;
}

/** The model and streaming of a call whose URL names them, not its body (Gemini's `models/{model}:streamGenerateContent`). */
export interface CallInUrl {
  model: string;
  stream: boolean;
  /** Gemini's stream without `alt=sse`: one JSON array. */
  jsonArray?: boolean;
}

/**
 * Authenticate (the key, and the address it is used from), read and check the body, find the
 * model and check the key and its team may use it. Every refusal from the key's own rules on is
 * booked to it.
 */
export async function admit(
  req: GatewayRequest,
  ctx: RequestContext,
  deps: ProxyDeps,
  validate: (body: Record<string, unknown>) => void,
  inUrl?: CallInUrl,
  // Uploads (multipart/form-data) are read as their text fields; everything else is JSON.
  parse: (raw: Uint8Array, req: GatewayRequest) => Record<string, unknown> = parseJsonObject,
  // count_tokens bodies take no generation parameters (Anthropic refuses a max_tokens there): they skip the model's policy.
  applyPolicy = true,
): Promise<AdmittedCall> {
  const caller = await auditedCaller(req, ctx, deps);
  let raw = await auditedBody(req, ctx, deps);
  // Screened before anything reads it, so every step after (and every target) sees the body as it will go upstream. Uploads are not screened.
  if (inUrl) ctx.model = inUrl.model;
  const sent = raw;
  if (parse === parseJsonObject) raw = guardedBody(raw, caller, req, ctx, deps);
  else {
    // Not scanned, but a key or team whose rule set is gone is refused here too, as on every other call (`screeningOf` fails closed).
    const chosen = guardrailsOf(caller);
    if (chosen) screeningOf(chosen, deps);
  }
  // A body parsed as JSON is kept as text whatever its content-type claims (the gateway ignores the label, so must the record).
  ctx.audit?.request(raw, req.headers['content-type'], parse === parseJsonObject);
  const body = parse(raw, req);
  const named = inUrl ? inUrl.model : body.model;
  if (typeof named === 'string') ctx.model = named;
  ctx.stream = inUrl ? inUrl.stream : body.stream === true;
  if (ctx.stream && inUrl?.jsonArray) ctx.jsonArray = true;
  validate(body);
  // Read from the parsed body on every call (attribution), before the model: a refusal for a bad id is the request's, not the model's.
  // From the body the client sent: a guardrail that redacted end users' ids (e-mail addresses) must not make them all one end user, sharing one set of counters.
  // Parsed again only when a guardrail changed it.
  const endUser = endUserOf(ctx.surface, req.headers, raw === sent ? body : parseJsonObject(sent));
  if (endUser !== undefined) ctx.endUser = endUser;
  const model = named as string;
  const entry = usableModel(caller, model, deps.catalog);
  const call = { caller, body, raw, model, entry, ...(endUser !== undefined ? { endUser } : {}) };
  return applyPolicy ? withParamPolicy(call, ctx, deps) : call;
}

/**
 * The request's caller, authenticated, with its audit capture begun when the audit log covers it:
 * before the body is read, so a call refused from here on (too large, a model it may not use, a
 * limit) leaves its record too. Every route that sends a body on to a model's account starts so
 * (a model call, a conversation's routes, whose items become a model's input).
 */
export async function auditedCaller(req: GatewayRequest, ctx: RequestContext, deps: ProxyDeps): Promise<Caller> {
  const caller = await deps.auth.authenticate(req, ctx);
  if (deps.audit?.covers(caller)) ctx.audit = deps.audit.begin();
  return caller;
}

/** The request's body, within the gateway's bound (`maxBodyBytes`): one refused unread (too large) or cut off leaves in the audit record the size the client declared, not an empty body. */
export async function auditedBody(req: GatewayRequest, ctx: RequestContext, deps: ProxyDeps): Promise<Uint8Array> {
  try {
    return await readBody(req, deps.config.limits.maxBodyBytes);
  } catch (err) {
    ctx.audit?.unread(req.headers['content-type'], Number(req.headers['content-length']));
    throw err;
  }
}

/**
 * The catalog's model a caller names, if the key and its team may use it: else 404
 * `model_not_found` (an unknown name), 403 `model_not_allowed` naming whose rule refused it.
 *
 * @example
 * usableModel(caller, 'gpt-4o', deps.catalog) // the catalog's entry, or throws
 */
export function usableModel(caller: Caller, model: string, catalog: Pick<Catalog, 'find'>): CatalogModel {
  const entry = catalog.find(model);
  if (!entry) {
    throw new GatewayError('not_found', `The model \`${model}\` does not exist or you do not have access to it.`, { code: 'model_not_found', param: 'model' });
  }
  const refusedBy = modelRefusedBy(caller, model, entry.name);
  if (refusedBy) {
    const who = refusedBy === 'key' ? 'This API key' : `The team "${caller.team!.name}" of this API key`;
    throw new GatewayError('permission', `${who} may not use the model \`${model}\`.`, { code: 'model_not_allowed', param: 'model' });
  }
  return entry;
}

/**
 * The model's request parameter policy (`lib/params/`), with the one its key or team names on top
 * (`paramPolicies`, `composePolicies`: a cap the lower, a forced value the key's), applied to an admitted call's body, so that
 * everything after it (the budget's worst case, the response cache's key, passthrough and
 * translation) sees the policy's body. A body it changed goes on as its new JSON, also as `raw`
 * (so a passthrough sends the policy's values, never the client's bytes); the usage record and the
 * debug log say what changed. A model without `params` and a caller without a policy pay three property reads.
 *
 * @example
 * withParamPolicy(call, ctx, deps) // the call itself, or { ...call, body, raw } with ctx.params = ['maxOutputTokens:capped']
 */
export function withParamPolicy(call: AdmittedCall, ctx: RequestContext, deps: Pick<ProxyDeps, 'logger' | 'paramPolicies'>): AdmittedCall {
  const own = paramPolicyOf(call.caller);
  const policy = own ? namedPolicy(call.entry.config.params, own, deps) : call.entry.config.params;
  if (!policy) return call;
  const { body, changes, skipped, filled } = applyParams(ctx.surface, call.body, policy);
  if (changes.length > 0 || skipped.length > 0) deps.logger.debug('request parameters set by the model policy', { requestId: ctx.requestId, model: call.model, surface: ctx.surface, ...(own ? { policy: own.name } : {}), params: changes, skipped });
  if (changes.length === 0) return call;
  ctx.params = changes;
  const chose = (param: ParamName) => filled.includes(param);
  const setByPolicy: PolicyChoices = {
    reasoning: chose('reasoningEffort'),
    temperature: chose('temperature'),
    topP: chose('topP'),
    maxTokens: changes.some((change) => change.startsWith('maxOutputTokens:')),
  };
  return { ...call, body, raw: Buffer.from(JSON.stringify(body)), setByPolicy };
}

/**
 * The model's policy with the caller's named one on top, composed once per pair
 * (`ComposedPolicies`). A name the config no longer has fails closed, as a rule set's does
 * (`screeningOf`): the call is refused, 403 `param_policy_unknown`, rather than sent without the
 * caps and forced values the operator chose for the caller.
 */
function namedPolicy(model: ParamPolicyConfig | undefined, own: Chosen, deps: Pick<ProxyDeps, 'paramPolicies'>): ParamPolicyConfig {
  const policy = deps.paramPolicies?.of(model, own.name);
  if (policy) return policy;
  const whose = own.from === 'key' ? 'this API key' : "this API key's team";
  throw new GatewayError('permission', `The request parameter policy that ${whose} is given is not in the gateway's config, so its calls are refused rather than sent without it. Ask the gateway's operator.`, {
    code: 'param_policy_unknown',
    detail: `paramPolicies has no policy "${own.name}" (named by the ${own.from}): add it to the config, or give the ${own.from} another (aigw ${own.from === 'key' ? 'keys' : 'teams'} update <id> --params <name>)`,
  });
}

/** The surface's decoding of a call's body, marked with what the policy chose in it, so a translator can give way on those. */
function decodeCall(binding: SurfaceBinding, call: AdmittedCall): ChatRequest {
  const canonical = binding.decode(call.body);
  return call.setByPolicy ? { ...canonical, setByPolicy: call.setByPolicy } : canonical;
}

/**
 * Counts an admitted call in its key's minute and its team's (and its end user's under either,
 * `limitScopesOf`), and holds its worst case (sized first, only when one of them has budgets) in
 * their budgets, every counter at once; a call over any is refused (a refusal by the minute gives
 * back what the budgets held). Keys without limits of their own, their team's or their end users' pass. Every kind of model call goes through
 * here, each with its own worst case. A call with a check to pass between the two
 * (`beforeBudget`: a continuation's owner check) takes them in turn (`holdInTurn`).
 */
export async function holdLimits(call: AdmittedCall, ctx: RequestContext, deps: ProxyDeps, worstCase: () => Micros, beforeBudget?: () => Promise<void>): Promise<void> {
  const { rate, spend } = limitScopesOf(call.caller, call.endUser);
  if (beforeBudget) return holdInTurn(rate, spend, ctx, deps, worstCase, beforeBudget);
  if (!rate && !spend) return;
  // Sized first: a model without a price is refused (403) before the call takes a place in the minute.
  const most = spend ? worstCase() : undefined;
  // Both at once: every counter of a call is one round trip away before it goes upstream, not one each.
  const [place, held] = await Promise.allSettled([rate && deps.limiter.admit(rate, ctx.requestId, ctx), spend && deps.spend.reserve(spend, most!, ctx.requestId)]);
  if (place.status === 'rejected') {
    if (held.status === 'fulfilled' && held.value) deps.spend.release(held.value, ctx.requestId);
    throw place.reason;
  }
  // A budget's refusal keeps the call's place in the minute, as a refusal after it would.
  if (held.status === 'rejected') throw held.reason;
  if (place.value) ctx.rateHold = place.value;
  if (held.value) ctx.reservation = held.value;
}

/**
 * `holdLimits` one step at a time around a check: the call's place in the minute first (past its
 * limit, nothing else is done), then `check`, then its budgets' hold. A call the check refuses
 * writes no spend, neither a hold nor its release; the price is one round trip more than both at
 * once, paid only by calls with a check and budgets (continuations of stored objects).
 */
async function holdInTurn(rate: readonly LimitScope[] | undefined, spend: readonly LimitScope[] | undefined, ctx: RequestContext, deps: ProxyDeps, worstCase: () => Micros, check: () => Promise<void>): Promise<void> {
  // Sized first, as `holdLimits` does: a model without a price is refused before the minute is counted.
  const most = spend ? worstCase() : undefined;
  const place = rate && (await deps.limiter.admit(rate, ctx.requestId, ctx));
  if (place) ctx.rateHold = place;
  await check();
  const held = spend && (await deps.spend.reserve(spend, most!, ctx.requestId));
  if (held) ctx.reservation = held;
}

/**
 * `holdLimits` for a call the response cache may answer: its place in the minute is taken while
 * its answer is looked up (one round trip for both), and its budgets are held only on a miss
 * (a hit costs nothing, so it holds and settles nothing). Returns the stored answer on a hit.
 * A refusal by the minute refuses the call, hit or not.
 */
export async function holdLimitsOrHit(call: AdmittedCall, ctx: RequestContext, deps: ProxyDeps, worstCase: () => Micros, lookup: () => Promise<CacheEntry | undefined>, beforeBudget?: () => Promise<void>): Promise<CacheEntry | undefined> {
  const { rate, spend } = limitScopesOf(call.caller, call.endUser);
  // Sized first, as `holdLimits` does: a model without a price is refused a key with budgets, hit or not.
  const most = spend ? worstCase() : undefined;
  const [place, hit] = await Promise.all([rate ? deps.limiter.admit(rate, ctx.requestId, ctx) : undefined, lookup()]);
  if (place) ctx.rateHold = place;
  // A hit too: the check (`holdLimits`') refuses a call whatever answer is stored for it.
  if (beforeBudget) await beforeBudget();
  if (hit || !spend) return hit;
  // A budget's refusal keeps the call's place in the minute, as in `holdLimits`.
  const held = await deps.spend.reserve(spend, most!, ctx.requestId);
  if (held) ctx.reservation = held;
  return undefined;
}

/**
 * The response cache's part in a call, if its model has `cache` and the gateway a store: the plan
 * (undefined when the call bypasses the cache, which its answer's header then says).
 */
export function cacheFor(call: AdmittedCall, ctx: RequestContext, deps: ProxyDeps, headers: GatewayRequest['headers']): { plan: CachePlan | undefined } | undefined {
  const config = call.entry.config.cache;
  // Images, audio, moderations and rerank share the models but not the cache.
  if (!config || !deps.responseCache || !isCacheableSurface(ctx.surface)) return undefined;
  return { plan: planCache(config, { surface: ctx.surface, model: call.model, upstream: call.entry.targets.map((t) => `${t.provider.id}:${t.model}`), keyId: call.caller.key.id, teamId: call.caller.team?.id, stream: ctx.stream, jsonArray: ctx.jsonArray, body: call.body, headers, setByPolicy: call.setByPolicy, answerScreen: ctx.answerScreen }) };
}

/**
 * Limits held (and the cache read, where it may answer): the stored answer when there is one,
 * replayed; otherwise undefined, the call to go upstream. A call that goes upstream on a cached
 * model is marked `miss` (the read happened) or `bypass` (it did not) here, before it goes, so
 * that its record says so even when the upstream answers with an error, which `answered` never sees.
 */
export async function limitsThenCache(call: AdmittedCall, ctx: RequestContext, deps: ProxyDeps, finish: () => void, cache: { plan: CachePlan | undefined } | undefined, worstCase: () => Micros, beforeBudget?: () => Promise<void>): Promise<GatewayResponse | undefined> {
  const plan = cache?.plan;
  if (!plan?.read) {
    await holdLimits(call, ctx, deps, worstCase, beforeBudget);
    if (cache) ctx.cache = { status: 'bypass' };
    return undefined;
  }
  const hit = await holdLimitsOrHit(call, ctx, deps, worstCase, () => deps.responseCache!.lookup(plan, ctx), beforeBudget);
  if (hit) {
    // What the answer's screening found when it was stored, as if found now: its record, log lines and the `flagged` audit.
    if (hit.answerHits?.length) bookAnswerHits(hit.answerHits, ctx, deps);
    return deps.responseCache!.replay(hit, ctx, finish);
  }
  ctx.cache = { status: 'miss' };
  return undefined;
}

/** The answer of a call that went upstream, as the cache sees it: `x-aigw-cache` says what `limitsThenCache` decided, and with a plan it is kept to be stored. */
export function answered(cache: { plan: CachePlan | undefined } | undefined, res: GatewayResponse, ctx: RequestContext, deps: ProxyDeps): GatewayResponse {
  if (!cache) return res;
  res.headers[CACHE_HEADER] = ctx.cache!.status;
  return cache.plan ? deps.responseCache!.keep(cache.plan, res, ctx) : res;
}

/**
 * A model call on any surface: admit it, then try the model's targets in order. A target of
 * the client's own dialect gets the body untouched; any other gets the canonical translation.
 * The next target is tried only while nothing has reached the client.
 */
export async function modelCall(binding: SurfaceBinding, req: GatewayRequest, ctx: RequestContext, deps: ProxyDeps, finish: () => void, inUrl?: CallInUrl): Promise<GatewayResponse> {
  const call = await admit(req, ctx, deps, binding.validate, inUrl);
  const responses = binding.name === 'openai-responses';
  // A body naming both a previous response and a conversation is refused before the limits, as any bad body is.
  const named = responses ? namedStoredRef(call.body) : undefined;
  let canonical: ChatRequest | undefined;
  let marked: ChatRequest | undefined;
  // Counted once the call is known to be a valid one the key may make (refusals cost no place).
  // The canonical form gives the prompt estimate; one the surface refuses is sized by its bytes (and refused later if it must be translated).
  // Undefined for models without `cache`: they pay one property read for it.
  const cache = cacheFor(call, ctx, deps, req.headers);
  // A continuation's owner check that must read the table goes between its place in the minute and its budgets' hold (`holdLimits`):
  // after the minute, as an id route's read is (`takeRequestSlot`): a key past its minute gets its 429 before any table read, whatever ids it names,
  // and a call the check refuses keeps its place (OpenAI counts its 404s); before the budgets, so that it writes no spend.
  // No closure (and no await) for a call that builds on nothing.
  let continues: Continuation | undefined;
  let checkOwner: (() => Promise<void>) | undefined;
  if (named && knownWithoutRead(named, deps)) {
    // Memory answers the check (a warm instance): it is made first, so a continuation it lets
    // through holds its minute and budgets in one round trip as any call does, and one it refuses
    // still takes its place in the minute, then is refused before its budgets.
    const found = await continuationOf(call, deps, req.signal)!.then(
      (continuation) => ({ continuation }),
      (refusal: unknown) => ({ refusal }),
    );
    if ('refusal' in found) checkOwner = () => Promise.reject(found.refusal);
    else continues = found.continuation;
  } else if (named) checkOwner = async () => void (continues = await continuationOf(call, deps, req.signal));
  const hit = await limitsThenCache(call, ctx, deps, finish, cache, () => worstCaseOfCall(call, (canonical = decodedOrUndefined(binding, call)), deps.config), checkOwner);
  if (hit) return hit;
  const signal = requestSignal(req, deps.now);
  const stickyKey = call.entry.pooled && deps.config.routing.sticky ? stickyKeyOf(binding.name, req.headers, call.body) : undefined;
  const policyParams = ctx.params;
  const { res, attempt, via: pass } = await tryTargets<PassthroughRoute | undefined>(call.entry.targets, { stickyKey, continues }, ctx, deps, signal, async (attempt) => {
    // Each attempt's record of the policy starts afresh: a later target may send what an earlier one's translation declined.
    ctx.params = policyParams;
    // And its stop emulation: a fallback from o3 to gpt-4o sends gpt-4o the client's `stop`.
    if (ctx.emulatedStop) delete ctx.emulatedStop;
    const pass = passthroughFor(binding.name, attempt, deps.providers);
    if (pass) {
      const res = await deps.upstream.send(await passthroughRequest(pass, attempt, mendedCall(call, attempt, binding.name, ctx, deps), req, ctx, deps, signal));
      return { res, parseError: pass.parseError, via: pass };
    }
    // Decoded once, on the first target that needs it; refusals (400) end the request here.
    try {
      canonical ??= decodeCall(binding, call);
    } catch (err) {
      throw forTarget(err, attempt.provider);
    }
    const adapter = deps.providers.adapter(attempt.provider.type);
    const request = cachesWhereTold(attempt) && call.entry.config.promptCache === 'auto' ? (marked ??= withCacheBreakpoints(canonical)) : canonical;
    const context = await callContext(attempt, deps, signal, ctx.stream === true);
    // Only a call whose policy changed something has a record of it to correct.
    const onPolicyDeclined: PolicyDeclined | undefined = ctx.params && ((param) => (ctx.params = declinedIn(ctx.params, param)));
    // The OpenAI dialect's adapters mend the Chat Completions body they write.
    const mend = adapter.dialect === 'openai' ? mendingFor(call, attempt, 'openai', ctx, deps) : undefined;
    // Only a call with stop sequences may have more than its upstream takes (Gemini's five), for the gateway to cut at.
    const onStopEmulated: StopEmulated | undefined = request.stop?.length ? (sequences) => emulateStop(ctx, sequences) : undefined;
    // Only a call with a temperature or top_p has one for a translation to leave out (Claude thinking on an effort).
    const onParamDropped: ParamDropped | undefined = request.temperature !== undefined || request.topP !== undefined ? (param) => (ctx.params = droppedIn(ctx.params, param)) : undefined;
    let built: UpstreamRequest;
    // Caught in place, not wrapped: a call that translates pays no closure and no extra await for its errors' names.
    try {
      built = await adapter.buildRequest(
        { ...request, model: attempt.model, stream: ctx.stream },
        { ...context, ...(onPolicyDeclined ? { onPolicyDeclined } : {}), ...(mend ? { mend } : {}), ...(onStopEmulated ? { onStopEmulated } : {}), ...(onParamDropped ? { onParamDropped } : {}) },
      );
    } catch (err) {
      throw inClientFieldsOf(binding, call.body, err);
    }
    const res = await deps.upstream.send(built);
    return { res, parseError: adapter.parseError, via: undefined };
  });
  const answer = { res, ctx, deps, binding, signal, finish, clientModel: call.model, body: call.body, raw: call.raw };
  // A conversation built on is its owner's at the account that served it; a response made, its caller's where it was made (`ResponseHomes`, and the table).
  if (continues?.ref.kind === 'conversation') madeAt(continues.ref, attempt, continues.owner!, call, deps);
  const reader: PassthroughReader | undefined = pass && responses && call.body.store !== false ? withResponseIds(pass, (id) => madeAt({ kind: 'response', id }, attempt, callerOwner(call), call, deps)) : pass;
  const served = await (reader ? passthroughAnswer(answer, reader, binding.wantsStreamUsage(call.body)) : translatedAnswer(answer, deps.providers.adapter(attempt.provider.type), { ...canonical!, model: attempt.model, stream: ctx.stream }, binding.wantsStreamUsage(call.body)));
  return answered(cache, served, ctx, deps);
}

/** Stop sequences a translation could not all send: the answer is cut at them (`translatedAnswer`), and the record says so. */
function emulateStop(ctx: RequestContext, sequences: readonly string[]): void {
  ctx.emulatedStop = sequences;
  ctx.params = [...(ctx.params ?? []), 'stop:emulated'];
}

/** A translator's refusal naming the field as the client's `body` has it; anything else as it is. */
function inClientFieldsOf(binding: SurfaceBinding, body: Record<string, unknown>, err: unknown): unknown {
  return err instanceof GatewayError ? binding.inTranslatedFields(err, body) : err;
}

/**
 * The policy's changes with one the translation did not send marked `declined`: the policy filled
 * it in, but it did not go upstream (Claude's translation gave way on a filled-in effort).
 *
 * @example
 * declinedIn(['maxOutputTokens:capped', 'reasoningEffort:defaulted'], 'reasoningEffort') // ['maxOutputTokens:capped', 'reasoningEffort:declined']
 */
export function declinedIn(params: readonly string[] | undefined, param: ParamName): string[] | undefined {
  return params?.map((change) => (change.startsWith(`${param}:`) ? `${param}:declined` : change));
}

/**
 * The record with a sampling option the translation left out (`CallContext.onParamDropped`): the
 * client's is `dropped`, after the policy's changes; one the policy filled in or forced keeps its one
 * entry, `declined` (`declinedIn`), so the record names each field once, as for an effort.
 *
 * @example
 * droppedIn(['maxOutputTokens:capped'], 'temperature')  // ['maxOutputTokens:capped', 'temperature:dropped']
 * droppedIn(['temperature:defaulted'], 'temperature')   // ['temperature:declined']
 */
export function droppedIn(params: readonly string[] | undefined, param: 'temperature' | 'topP'): string[] {
  return params?.some((change) => change.startsWith(`${param}:`)) ? declinedIn(params, param)! : [...(params ?? []), `${param}:dropped`];
}

/** Providers whose prompt cache works only where the request marks it (for Bedrock, its encoder keeps the marks for models that cache; Claude on Vertex). */
const cachesWhereTold = (attempt: Attempt) =>
  attempt.provider.type === 'anthropic' || attempt.provider.type === 'bedrock' || (attempt.provider.type === 'vertex' && vertexPublisher(attempt.model) === 'anthropic');

function decodedOrUndefined(binding: SurfaceBinding, call: AdmittedCall): ChatRequest | undefined {
  try {
    return decodeCall(binding, call);
  } catch {
    return undefined;
  }
}

/** The longest a call waits for an access token it fetches (Entra ID, Google: they answer in well under a second). */
const TOKEN_TIMEOUT_MS = 10_000;

/**
 * The account's secret for this call: its API key, resolved, or a current access token for an
 * Azure account that signs in with Entra ID (sent as a Bearer token by `azureAuthHeaders`) and for
 * a Vertex AI account (its service account's). A missing key or a token the identity provider will
 * not give fails this attempt as the account's credentials (the account rests, the pool may have
 * others); an identity provider that cannot answer just now (unreachable, throttling, a 5xx) fails
 * it as an unwell upstream does (`upstream_credentials_unavailable`).
 */
export async function apiKeyFor(attempt: Attempt, deps: ProxyDeps, signal?: AbortSignal): Promise<string | undefined> {
  const entra = attempt.provider.type === 'azure-openai' ? entraOf(attempt.provider, attempt.account) : undefined;
  const serviceAccount = attempt.provider.type === 'vertex' ? attempt.account.serviceAccount : undefined;
  if (!entra && !serviceAccount && !attempt.account.apiKey) return undefined;
  try {
    // Bounded like the call itself: its header timeout (within the cap) and its deadline or client.
    const timeoutMs = Math.min(TOKEN_TIMEOUT_MS, attempt.provider.timeouts?.headersMs ?? deps.config.timeouts.headersMs);
    if (serviceAccount) return await deps.providers.vertexTokens.token(serviceAccount, { timeoutMs, signal });
    if (!entra) return await deps.credentials.resolve(attempt.account.apiKey!);
    return await deps.providers.entraTokens.token(entra, { timeoutMs, signal });
  } catch (err) {
    throw unusableCredentials(err, attempt.provider.id, attempt.account.id);
  }
}

async function passthroughRequest(pass: PassthroughRoute, attempt: Attempt, call: AdmittedCall, req: GatewayRequest, ctx: RequestContext, deps: ProxyDeps, signal: AbortSignal | undefined) {
  const { stream } = ctx;
  return pass.request({
    attempt,
    body: call.body,
    raw: call.raw,
    headers: req.headers,
    stream,
    ...(stream && ctx.jsonArray ? { jsonArray: true } : {}),
    apiKey: pass.needsApiKey ? await apiKeyFor(attempt, deps, signal) : undefined,
    timeouts: callTimeouts(deps.config.timeouts, attempt.provider.timeouts, stream),
    ...(signal ? { signal } : {}),
  });
}

async function callContext(attempt: Attempt, deps: ProxyDeps, signal: AbortSignal | undefined, stream: boolean): Promise<CallContext> {
  return {
    provider: attempt.provider as CallContext['provider'],
    account: attempt.account,
    apiKey: await apiKeyFor(attempt, deps, signal),
    timeouts: callTimeouts(deps.config.timeouts, attempt.provider.timeouts, stream),
    ...(signal ? { signal } : {}),
  };
}
