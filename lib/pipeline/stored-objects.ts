import type { Caller } from '../access/caller';
import { GatewayError } from '../http/errors';
import type { Attempt } from '../routing/attempts';
import { MAX_STORED_ID_CHARS, mayUse, ownerOf, storedRefOf, type Home, type StoredRef } from '../routing/response-homes';
import type { StoredHome, StoredHomeStore } from '../store/stored-homes';
import type { ProxyDeps } from './deps';
import { passthroughFor } from './passthrough';
import { whyAborted } from './signal';
import type { Continuation } from './try-targets';

/** What of an admitted call (`AdmittedCall`) its stored objects need. */
interface StoredCall {
  caller: Caller;
  body: Record<string, unknown>;
  /** The model name the client asked for. */
  model: string;
}

/** Whose stored objects the call's caller makes and may build on (`ownerOf`). */
export const callerOwner = (call: Pick<StoredCall, 'caller'>): string => ownerOf({ keyId: call.caller.key.id, teamId: call.caller.team?.id });

/**
 * OpenAI's own answer for a stored object it does not hold: a key that does not own the object is
 * told exactly this, so it learns nothing of whether the id exists.
 *
 * @example
 * notFoundAnswer({ kind: 'response', id: 'resp_1' }) // 400 previous_response_not_found, param previous_response_id
 */
export function notFoundAnswer(ref: StoredRef, detail?: string): GatewayError {
  const options = detail === undefined ? {} : { detail };
  if (ref.kind === 'conversation') return new GatewayError('not_found', `Conversation with id '${ref.id}' not found.`, options);
  return new GatewayError('invalid_request', `Previous response with id '${ref.id}' not found.`, { code: 'previous_response_not_found', param: 'previous_response_id', ...options });
}

/** OpenAI's 400 for a call naming both a previous response and a conversation. */
export const bothStoredRefs = (): GatewayError =>
  new GatewayError('invalid_request', "Mutually exclusive parameters: Ensure you are only providing one of: 'previous_response_id' or 'conversation'.", { code: 'mutually_exclusive_parameters' });

/**
 * The stored object a Responses call builds on (`previous_response_id`, `conversation`), with the
 * account that holds it and whose it is: from this instance's memory (no read), else one
 * consistent read of the table (`DynamoStoredHomes`), whose answer is then remembered. A caller
 * that does not own it (`mayUse`) is refused with the provider's own not-found before any upstream
 * is asked (and a call naming both a response and a conversation gets OpenAI's 400 for that, as
 * only one could be checked and followed). An object the table does not know (made before homes were written, or directly at the
 * provider) has no home: the pool is asked in turn (`tryTargets`), and any key may build on it;
 * the account found is remembered with no owner, and later continuations of it read the table
 * again (its maker's write may have been on its way) until a read `routing.ownerlessAfterSeconds`
 * after the first still finds none (`ownerlessWatch`): then none reads for as long again, and the
 * first after that reads once more (a home that landed late is seen). Continuations of one id
 * at once share one read (`ResponseHomes.readOnce`); a call whose client leaves (`signal`) stops
 * waiting for it at once, as the 499 of a client gone.
 * A failed read fails the call rather than skip the owner check. A call that builds on nothing pays
 * two property reads, and no promise.
 */
export function continuationOf(call: StoredCall, deps: ProxyDeps, signal?: AbortSignal): Promise<Continuation> | undefined {
  const ref = storedRefOf(call.body);
  // No promise for a call that builds on nothing: it awaits nothing either.
  return ref && continuationAt(ref, call, deps, signal);
}

/**
 * The stored object a Responses call names, checked as its body is, without a read: OpenAI's 400
 * for a call naming both a previous response and a conversation (only the previous response
 * would be checked and followed: its owner could reach another's conversation at an account that
 * took both). A model call checks this before its limits, as any bad body is refused before
 * them; `continuationOf` checks it again.
 *
 * @example
 * namedStoredRef({ previous_response_id: 'resp_1' }) // { kind: 'response', id: 'resp_1' }
 * namedStoredRef({ previous_response_id: 'resp_1', conversation: 'conv_1' }) // throws mutually_exclusive_parameters
 */
export function namedStoredRef(body: Record<string, unknown>): StoredRef | undefined {
  const ref = storedRefOf(body);
  if (ref?.kind === 'response' && body.conversation != null) throw bothStoredRefs();
  return ref;
}

/**
 * Whether `continuationOf` can answer for this object from memory alone, reading nothing: its home
 * is remembered with its owner, or settled as no one's, or there is no table to ask.
 */
export function knownWithoutRead(ref: StoredRef, deps: ProxyDeps): boolean {
  return !mustRead(ref.id, deps.load.homes.homeOf(ref.id), deps);
}

/**
 * A remembered home with no owner was found by asking the pool, perhaps before its maker's batch
 * reached the table: the table is asked again until that is settled, or that guess would let any
 * key in for good; and once more each time a settle ends (`ownerlessWatch`), so a home that lands late is seen.
 */
function mustRead(id: string, home: Home | undefined, deps: ProxyDeps): boolean {
  return home?.owner === undefined && deps.storedHomes !== undefined && !(home && deps.load.homes.settledOwnerless(id, (deps.monotonicNow ?? deps.now)()));
}

async function continuationAt(ref: StoredRef, call: StoredCall, deps: ProxyDeps, signal: AbortSignal | undefined): Promise<Continuation> {
  // As `namedStoredRef`, for callers that did not check first.
  if (ref.kind === 'response' && call.body.conversation != null) throw bothStoredRefs();
  const caller = callerOwner(call);
  const homes = deps.load.homes;
  let home: Home | undefined = homes.homeOf(ref.id);
  if (mustRead(ref.id, home, deps)) {
    const rememberedOwnerless = home !== undefined;
    try {
      home = await homes.readOnce(ref.id, () => homeInTable(ref.id, rememberedOwnerless, deps.storedHomes!, deps), signal);
    } catch (err) {
      // A client that left is booked as gone (499, aborted), not as a failed read.
      throw signal?.aborted ? whyAborted(signal) : err;
    }
  }
  // An object of the other kind is not this call's to follow: a conversation call naming a response would make it a conversation, its caller's, here and in the table (its home losing its 30-day TTL).
  if (home?.kind !== undefined && home.kind !== ref.kind) throw notFoundAnswer(ref, `the id is a stored ${home.kind}, not a ${ref.kind}`);
  // Only responses are remembered with no owner (a conversation is its first caller's): a conversation call naming one would make it the caller's, here and in the table.
  if (ref.kind === 'conversation' && home && home.owner === undefined) throw notFoundAnswer(ref, 'the id is a stored response with no known owner, not a conversation');
  if (home && !mayUse(home, caller)) throw notFoundAnswer(ref, `the stored ${ref.kind} belongs to ${home.owner}, not to the caller (${caller})`);
  // A conversation first built on through the gateway is its caller's from then on; a response only its maker's (nothing proves who made one the table does not know).
  const owner = home?.owner ?? (ref.kind === 'conversation' ? caller : undefined);
  return { ref, home, owner, holds: (attempt) => passthroughFor('openai-responses', attempt, deps.providers) !== undefined };
}

/**
 * The stored object's home after one table read: the table's, remembered with its owner; else
 * what memory holds (nothing, or the account the pool was found to hold it at, with no owner).
 * `rememberedOwnerless` says the memory held that account, with no owner, before the read was
 * sent: only such a read counts towards settling it as anyone's (one sent before the pool was
 * found to hold it may predate the maker's answer). The read counts as made when it was sent,
 * not when it answered: the table may have answered for an earlier moment.
 */
async function homeInTable(id: string, rememberedOwnerless: boolean, table: StoredHomeStore, deps: ProxyDeps): Promise<Home | undefined> {
  // On the monotonic clock: a forward jump of the wall clock must not settle a watch early.
  const sentAt = (deps.monotonicNow ?? deps.now)();
  const stored = await table.read(id);
  const homes = deps.load.homes;
  if (stored) {
    homes.remember(id, stored.providerId, stored.accountId, stored.owner, stored.model || undefined, stored.ref.kind);
    return homes.homeOf(id) ?? { ...stored, kind: stored.ref.kind };
  }
  if (rememberedOwnerless && homes.noHomeRead(id, sentAt, deps.config.routing.ownerlessAfterSeconds * 1000)) {
    deps.logger.info('stored response settled as anyone\'s: the table has no owner for it', { storedId: id });
  }
  return homes.homeOf(id);
}

/**
 * Notes that the attempt's account holds a stored object the call made (a response its answer
 * named) or built on (a conversation), owned by `owner`: in this instance's memory at once, and in
 * the table in the usage sink's next batch (`UsageSink.storeHomes`), not with the call's usage
 * record: a stream names its response as it starts and may end minutes later, and an instance
 * that found the response by asking the pool settles it as anyone's `routing.ownerlessAfterSeconds`
 * after, unless its home has reached the table by then.
 */
export function madeAt(ref: StoredRef, attempt: Attempt, owner: string, call: StoredCall, deps: ProxyDeps): void {
  // Not a real provider's id (an upstream that ignored it accepted it): kept nowhere, and an item over DynamoDB's 2 KB key would fail its whole batch.
  if (ref.id.length > MAX_STORED_ID_CHARS) return;
  deps.load.homes.remember(ref.id, attempt.provider.id, attempt.account.id, owner, call.model, ref.kind);
  const home: StoredHome = { ref, providerId: attempt.provider.id, accountId: attempt.account.id, owner, keyId: call.caller.key.id, model: call.model, createdAt: deps.now() };
  // A response made in a conversation is kept until deleted (no 30-day TTL at OpenAI, and not deleted with the conversation), and so is its home.
  if (ref.kind === 'response' && call.body.conversation != null) {
    const conversation = storedRefOf({ conversation: call.body.conversation })?.id;
    if (conversation !== undefined) home.conversation = conversation;
  }
  deps.usage.storeHomes([home]);
}
