import type { Attempt } from './attempts';
import { RecentlyUsed } from './recently-used';

// OpenAI's Responses API stores what it answers per organisation and project (`store` is true by
// default), and a later call may build on it: `previous_response_id` names a stored response,
// `conversation` a stored conversation (`conv_…`). Each account of a pool is its own store, so such
// a call can be answered only by the account that holds the object: any other answers 400
// `previous_response_not_found` (or 404 for a conversation), whatever its health or its cache.

/** How many stored objects this instance remembers the account of (`ResponseHomes`). */
export const MAX_RESPONSE_HOMES = 10_000;

/**
 * The longest id remembered (OpenAI's and Azure's are about 55 characters). The bound above counts
 * entries, not bytes: a client-chosen `previous_response_id` that an upstream accepted without
 * looking it up (an OpenAI-compatible server that ignores the field) could be as long as the body.
 */
export const MAX_STORED_ID_CHARS = 256;

/**
 * The least `routing.ownerlessAfterSeconds` may be (`ownerlessWatch`): longer than a stored
 * response's home can take to land once its maker's answer named it (`UsageSink.storeHomes`), when
 * its batch is not lost. At most 100 ms in the queue, then up to six BatchWriteItem calls 40-640 ms apart (1.24 s); the table's client tries
 * each up to four times (the SDK's DynamoDB default, `AWS_MAX_ATTEMPTS` unset), an attempt taking
 * up to 7 s (`AWS_CLIENT_TIMEOUTS`: 2 s to connect, 5 s of silence) and a throttled one waiting up
 * to 1, 2 and 4 s before the next: about 206 s if each of the five calls before the last took all
 * of that to answer with the home unprocessed and the last landed on its fourth attempt; well
 * under 2 s otherwise. `lib/routing/ownerless-after.test.ts` counts the attempts and checks both bounds.
 */
export const OWNERLESS_MIN_SECONDS = 210;

/**
 * How long (seconds) after this instance found, by asking the pool, a stored response the table
 * has no home for, a continuation of it still reads the table (`ownerlessWatch`): the config's
 * `routing.ownerlessAfterSeconds` default, above `OWNERLESS_MIN_SECONDS` with room to spare (a
 * read each continuation of such a response for five minutes costs little).
 */
export const OWNERLESS_AFTER_SECONDS = 300;

/**
 * Epoch ms on a clock no change of the wall clock moves (the process's start plus
 * `performance.now()`): what times the ownerless settle time (`ownerlessWatch`) in production.
 */
export const monotonicNow = (): number => TIME_ORIGIN + performance.now();
// Read once: `performance.timeOrigin` is a getter that cost 30-90 ns a call, and a settled ownerless continuation reads the clock.
const TIME_ORIGIN = performance.timeOrigin;

/** The stored object a Responses call builds on: the response it continues, or the conversation it adds to. */
export interface StoredRef {
  kind: 'response' | 'conversation';
  id: string;
}

/** The account that holds a stored object, and whose it is when that is known. */
export interface Home {
  providerId: string;
  accountId: string;
  /**
   * The team (`team_…`) or, for a key without one, the key (`key_…`) whose call made it
   * (`ownerOf`); absent when nothing proves it (an object found by asking the pool, made before
   * the gateway recorded owners or directly at the provider): then any key may build on it.
   */
  owner?: string;
  /** The model name the call that made it (or first built on it here) asked for: the id routes' usage records name it. */
  model?: string;
  /** What the object is, when known: a call of the other kind naming its id is refused, not sent to its account. */
  kind?: StoredRef['kind'];
}

/**
 * Whose stored objects a caller makes and may build on: its key's team, else the key. A team is
 * the tenant: every key of it shares its objects, and a key moved to another team leaves its old
 * team's objects behind (its later calls are the new team's). Rotation keeps the key's id, so a
 * rotated key keeps its objects.
 *
 * @example
 * ownerOf({ keyId: 'key_1', teamId: 'team_a' }) // 'team_a'
 * ownerOf({ keyId: 'key_1' }) // 'key_1'
 */
export function ownerOf(caller: { keyId: string; teamId?: string | undefined }): string {
  return caller.teamId ?? caller.keyId;
}

/**
 * Whether the caller (`ownerOf`) may build on, read or delete a stored object of this home: it
 * owns it, or nothing proves whose it is.
 *
 * @example
 * mayUse({ providerId: 'openai', accountId: 'a', owner: 'team_a' }, 'team_b') // false
 * mayUse({ providerId: 'openai', accountId: 'a' }, 'team_b') // true
 */
export function mayUse(home: Home, owner: string): boolean {
  return home.owner === undefined || home.owner === owner;
}

/**
 * The stored object a Responses body builds on, if it names one: `previous_response_id`, else
 * `conversation` (an id, or an object with one). Other bodies pay two property reads.
 *
 * @example
 * storedRefOf({ input: 'More', previous_response_id: 'resp_1' }) // { kind: 'response', id: 'resp_1' }
 * storedRefOf({ input: 'More', conversation: { id: 'conv_1' } }) // { kind: 'conversation', id: 'conv_1' }
 * storedRefOf({ input: 'Hi' }) // undefined
 */
export function storedRefOf(body: Record<string, unknown>): StoredRef | undefined {
  const previous = body.previous_response_id;
  if (typeof previous === 'string' && previous !== '') return { kind: 'response', id: previous };
  const conversation = body.conversation;
  const id = typeof conversation === 'string' ? conversation : typeof conversation === 'object' && conversation !== null ? (conversation as { id?: unknown }).id : undefined;
  return typeof id === 'string' && id !== '' ? { kind: 'conversation', id } : undefined;
}

/** What an upstream's error answer said, as the provider's error reader kept it. */
export interface UpstreamRefusal {
  status: number;
  message: string;
  code?: string | undefined;
  param?: string | undefined;
}

// Codex's backend has been seen answering a continuation it cannot find with these words alone
// (code `invalid_request_error`, no param).
const TERSE_PREVIOUS = /^Invalid `?previous_response_id`?\.?$/;

/**
 * Whether an account's error answer says only that it does not hold the stored object the call
 * builds on, so that another account of the pool may: OpenAI's 400 `previous_response_not_found`
 * (`Previous response with id 'resp_…' not found.`, param `previous_response_id`), the terse
 * `Invalid \`previous_response_id\`.` of Codex's backend, vLLM's 404 `Response with id 'resp_…'
 * not found.` (param `response_id`), and for a conversation the 404
 * `Conversation with id 'conv_…' not found.` (no code, no param). Matched narrowly: a malformed
 * id (`invalid_type`) or any other 4xx is the caller's and goes back at once.
 *
 * @example
 * notHeldHere({ kind: 'response', id: 'resp_1' }, { status: 400, message: "Previous response with id 'resp_1' not found.", code: 'previous_response_not_found', param: 'previous_response_id' }) // true
 * notHeldHere({ kind: 'response', id: 'resp_1' }, { status: 400, message: "Invalid type for 'previous_response_id': expected a string, but got an object instead.", code: 'invalid_type', param: 'previous_response_id' }) // false
 */
export function notHeldHere(ref: StoredRef, error: UpstreamRefusal): boolean {
  if (error.status !== 400 && error.status !== 404) return false;
  const names = error.message.includes(`'${ref.id}'`) && /not found/i.test(error.message);
  if (ref.kind === 'conversation') return error.code === 'conversation_not_found' || (names && /^Conversation\b/i.test(error.message));
  if (error.code === 'previous_response_not_found') return true;
  // vLLM (VLLM_ENABLE_RESPONSES_API_STORE, each server its own store): 404 `Response with id 'resp_…' not found.`, param `response_id`.
  if (error.status === 404) return names && /^Response with id\b/.test(error.message);
  if (error.status !== 400) return false;
  return names || (error.param === 'previous_response_id' && /not found/i.test(error.message)) || TERSE_PREVIOUS.test(error.message.trim());
}

/**
 * A continuation's attempts: those of the account remembered to hold its stored object first (each
 * of its targets, in plan order), ahead of the sticky and balanced order and whether it rests,
 * hangs or is spent (no other account can answer the call at all, so its cache, speed and quota do
 * not matter; a resting one may well answer, and if not its own error, a 429 with its retry-after,
 * is the truest answer). The other attempts follow in the plan's order, for when the memory is
 * stale (the response was deleted or expired there), but only those that can hold a stored
 * response (`holds`: the targets the Responses API is passed through to; a translated target would
 * refuse the field with its own 400), unless none can (then the plan as it was: its refusal is the
 * answer). An account's later targets stay in the order: one that lacks the first target's model
 * (a 404 `model_not_found`) may serve the next's; `tryTargets` skips an account once it said it
 * does not hold the object (the store is the account's, not the model's).
 *
 * @example
 * continuationOrder(plan, { providerId: 'openai', accountId: 'b' }, (a) => a.provider.type === 'openai')
 * // [openai/b, openai/a, openai/c] where the plan was [openai/a, openai/b, openai/c, anthropic/main]
 */
export function continuationOrder(plan: readonly Attempt[], home: Home | undefined, holds: (attempt: Attempt) => boolean): Attempt[] {
  const able = plan.filter(holds);
  if (!able.length) return [...plan];
  if (!home) return able;
  const atHome = (a: Attempt) => a.provider.id === home.providerId && a.account.id === home.accountId;
  // Marked, so the access log and usage record say what ordered the pool this time.
  return [...able.filter(atHome).map((a): Attempt => ({ ...a, balancedBy: 'stored' })), ...able.filter((a) => !atHome(a))];
}

/**
 * Where the check of a stored response remembered with no owner stands: since when (epoch ms, the
 * first table read made after this instance found it by asking the pool) the table has said it has
 * no home for it, or, once it said so again `settleMs` later, settled as anyone's until when (no
 * read until then; the first continuation after reads once more, and a read that still finds none
 * settles it for another `settleMs`).
 */
export type OwnerlessWatch = number | { settledUntil: number };

/**
 * What a table read made at `madeAt` that found no home for a stored response remembered with no
 * owner makes of its watch. The pool answered a continuation of it, so its maker's answer had
 * named it by then, and its home, if the gateway made it and its batch was not refused, reaches
 * the table within `OWNERLESS_MIN_SECONDS` of that.
 * A read made that long after the first one still finding none settles it for `settleMs`: nothing
 * proves whose it is, and reading on each continuation would cost a read each. Until then each
 * continuation reads again, as a probe made before the maker's batch reached the table must not let
 * every key in. The settle lasts one period, not for good: a home that lands later still (a batch
 * refused and written again by the maker's sink, `DynamoUsageSink`; one finished when a frozen
 * Lambda instance next runs) is seen by the first continuation after it ends, which reads once and,
 * finding none again, settles it for another period: one read per ownerless id per instance per
 * `settleMs`.
 *
 * @example
 * ownerlessWatch(undefined, 1_000, 120_000) // 1_000: the watch begins
 * ownerlessWatch(1_000, 60_000, 120_000) // 1_000: still read on each continuation
 * ownerlessWatch(1_000, 121_000, 120_000) // { settledUntil: 241_000 }: anyone's, read no more until then
 * ownerlessWatch({ settledUntil: 241_000 }, 250_000, 120_000) // { settledUntil: 370_000 }: read once more, still none
 */
export function ownerlessWatch(watch: OwnerlessWatch | undefined, madeAt: number, settleMs: number): OwnerlessWatch {
  if (watch === undefined) return madeAt;
  if (typeof watch === 'number') return madeAt - watch >= settleMs ? { settledUntil: madeAt + settleMs } : watch;
  // A read sent before the settle ended (answered after another renewed it) must not shorten it.
  return { settledUntil: Math.max(watch.settledUntil, madeAt + settleMs) };
}

/**
 * Which account holds each stored Responses object this instance has seen made or found, and
 * whose it is: a response's id once its answer named it (`response.created` of a stream, the `id`
 * of a whole answer), a conversation's and a continued response's once an account served a call
 * building on it, and any read from the table (`lib/store/stored-homes.ts`). A call that builds on
 * one goes there first (`continuationOrder`), after its owner is checked (`mayUse`): a warm
 * instance does both without a read. A response found by asking the pool, with no owner, is
 * watched (`ownerlessWatch`): the table is read on each continuation until that settles, one read
 * at a time (`readOnce`). Bounded by `MAX_RESPONSE_HOMES` (and so are the watches), the least
 * recently used forgotten first. Homes are shared objects, one per kind, account, owner and model, so
 * an entry costs its id and a map slot.
 *
 * @example
 * const homes = new ResponseHomes();
 * homes.remember('resp_1', 'openai', 'b', 'team_a', 'gpt-4o', 'response');
 * homes.homeOf('resp_1'); // { providerId: 'openai', accountId: 'b', owner: 'team_a', model: 'gpt-4o', kind: 'response' }
 * homes.homeOf('resp_2'); // undefined
 */
export class ResponseHomes {
  /** By stored object's id, its account. */
  readonly #homes: RecentlyUsed<string, Home>;
  /** One `Home` per kind, account, owner and model, shared by its entries: by owner (`''` for none), that owner's. */
  readonly #accounts = new Map<string, Home[]>();
  /** How many shared homes `#accounts` holds. */
  #sharedCount = 0;
  /** By stored response remembered with no owner, where the table's check of it stands (`ownerlessWatch`). */
  readonly #watches: RecentlyUsed<string, OwnerlessWatch>;
  /** Table reads under way, by id: continuations of one id at once share one read. */
  readonly #reading = new Map<string, Promise<Home | undefined>>();

  constructor(readonly max: number = MAX_RESPONSE_HOMES) {
    this.#homes = new RecentlyUsed(max);
    this.#watches = new RecentlyUsed(max);
  }

  /**
   * Notes that the account holds the stored object (a response or conversation id), whose it is,
   * the model it was made with and its kind when known, unless its id is longer than `MAX_STORED_ID_CHARS`.
   */
  remember(id: string, providerId: string, accountId: string, owner?: string, model?: string, kind?: StoredRef['kind']): void {
    // Not a real provider's id: its continuation asks the accounts in turn, as on a cold instance.
    if (id.length > MAX_STORED_ID_CHARS) return;
    const home = this.#shared(providerId, accountId, owner, model || undefined, kind);
    this.#homes.set(id, home);
    // Its owner is known now: nothing to watch. (A response made, the common case, finds no watch to drop.)
    if (owner !== undefined && this.#watches.size) this.#watches.delete(id);
  }

  /** The account remembered to hold the stored object, if any; it is then the most recently used. */
  homeOf(id: string): Home | undefined {
    return this.#homes.get(id);
  }

  /** Forgets the stored object (it was deleted at its account). */
  forget(id: string): void {
    this.#homes.delete(id);
    this.#watches.delete(id);
  }

  /**
   * Whether the stored object is remembered with no owner and that is settled at `now` (on the
   * clock `noHomeRead` was given: `ownerlessWatch`): its owner needs no table read.
   */
  settledOwnerless(id: string, now: number): boolean {
    if (this.#watches.size === 0) return false;
    const watch = this.#watches.peek(id);
    return typeof watch === 'object' && now < watch.settledUntil;
  }

  /**
   * Notes that a table read made at `madeAt` found no home for a stored response this instance
   * remembered with no owner before the read was made; says whether this read settled it.
   */
  noHomeRead(id: string, madeAt: number, settleMs: number): boolean {
    const before = this.#watches.peek(id);
    const watch = ownerlessWatch(before, madeAt, settleMs);
    this.#watches.set(id, watch);
    return typeof watch === 'object' && typeof before !== 'object';
  }

  /**
   * The table's answer for a stored object through `read`, one read at a time: a call that asks
   * while one is under way shares it (its answer, or its failure), so a burst of continuations of
   * an id this instance does not know makes one read, not one each. A caller whose `signal`
   * aborts (its client left) stops waiting at once, rejected with the signal's reason; the read
   * goes on for the others, and its answer is still remembered by whoever reads it.
   */
  readOnce(id: string, read: () => Promise<Home | undefined>, signal?: AbortSignal): Promise<Home | undefined> {
    let reading = this.#reading.get(id);
    if (!reading) {
      const started = read().finally(() => {
        if (this.#reading.get(id) === started) this.#reading.delete(id);
      });
      this.#reading.set(id, (reading = started));
    }
    return signal ? untilAborted(reading, signal) : reading;
  }

  /**
   * The shared home of these fields, made on first use. Found by owner, then among that owner's
   * few homes (accounts times models times kinds) by comparison: no key string is built, as one
   * per call cost more than the rest of `remember`.
   */
  #shared(providerId: string, accountId: string, owner: string | undefined, model: string | undefined, kind: StoredRef['kind'] | undefined): Home {
    const mine = this.#accounts.get(owner ?? '');
    if (mine) {
      for (const home of mine) if (home.providerId === providerId && home.accountId === accountId && home.model === model && home.kind === kind && home.owner === owner) return home;
    }
    // Bounded like the entries: accounts times owners stays small, but a gateway of many thousand keys must not grow it for ever.
    if (this.#sharedCount >= this.max) {
      this.#accounts.clear();
      this.#sharedCount = 0;
    }
    const home = Object.freeze(homeOf(providerId, accountId, owner, model, kind));
    if (mine && this.#accounts.has(owner ?? '')) mine.push(home);
    else this.#accounts.set(owner ?? '', [home]);
    this.#sharedCount++;
    return home;
  }

  /** How many stored objects are remembered. */
  get size(): number {
    return this.#homes.size;
  }

  /** Forgets every home (tests that share one gateway start each case afresh; a restarted instance). */
  clear(): void {
    this.#homes.clear();
    this.#watches.clear();
  }
}

/** A home with only the fields known: an absent owner means anyone's (`mayUse`), so it is left out, not undefined. */
function homeOf(providerId: string, accountId: string, owner: string | undefined, model: string | undefined, kind: StoredRef['kind'] | undefined): Home {
  const home: Home = { providerId, accountId };
  if (owner !== undefined) home.owner = owner;
  if (model) home.model = model;
  if (kind !== undefined) home.kind = kind;
  return home;
}

/** `promise`, or the signal's reason as soon as it aborts: the waiting stops, not what is awaited. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
