import { GatewayError } from '../http/errors';
import type { GatewayRequest } from '../http/types';
import type { KeyStore } from '../store/keys';
import type { TeamStore } from '../store/teams';
import { hashKey, type ApiKeyRecord } from './api-key';
import { callerOf, type Caller } from './caller';
import { ipAllowed, sourceAddress } from './ip-allowlist';

export interface KeyCacheOptions {
  /** How long a looked-up key is trusted before it is read again. */
  ttlMs: number;
  /** How long an unknown key is remembered as unknown (stops a bad client from hammering the table). */
  negativeTtlMs?: number;
  maxEntries?: number;
  now?: () => number;
  /** Where a key's team is read from, with the key; a key that names a team is refused without it. */
  teams?: TeamStore;
}

interface Entry {
  caller: Caller | undefined;
  expires: number;
  /**
   * For a secret the key was rotated away from: when it stops working (0: already refused). Absent
   * for a key's current secret, so that path reads one property more and nothing else.
   */
  retires?: number;
}

/** A presented key's hash, and when it last went to the back of the map (in keys taken in so far). */
interface HeldHash {
  hash: string;
  movedAt: number;
}

/** The gateway key a request carries: `Authorization: Bearer KEY`, `x-api-key: KEY` or (Gemini's clients) `x-goog-api-key: KEY`. */
export function presentedKey(headers: Readonly<Record<string, string | undefined>>): string | undefined {
  const auth = headers['authorization'];
  if (auth && auth.length > 7 && auth.slice(0, 7).toLowerCase() === 'bearer ') return auth.slice(7).trim() || undefined;
  // Last, so OpenAI and Anthropic clients pay nothing for it.
  return headers['x-api-key']?.trim() || headers['x-goog-api-key']?.trim() || undefined;
}

/**
 * Finds the key record for a request, and its team. Warm instances answer from memory, so the
 * hot path reads DynamoDB only once per key (and its team) per TTL; concurrent misses for one key
 * share one read.
 */
export class KeyAuthenticator {
  readonly #cache = new Map<string, Entry>();
  /**
   * Each key let through lately → its SHA-256: a warm request looks its key up without hashing it
   * (a hash costs little on a busy core, and tens of µs on one that comes to it idle, as one that
   * serves a slow stream does). Only keys that passed every check are held, and one is forgotten
   * at its first refusal: a presented key is the client's secret, as long as its header, so keys
   * tried at random would pin megabytes and push the good ones out, and a revoked or rotated-away
   * secret has no business in memory.
   *
   * Past `maxEntries` the first in the map's order goes. A key goes to the back when taken in,
   * and again when used once `maxEntries / 2` other keys have been taken in since it last went
   * there. So the one dropped is the least recently used to within that many keys, and a warm hit
   * while no new key comes moves nothing. (A key used at least that often is never dropped, unless
   * refusals freed room and older keys moved behind it: it is then the least recently used, and
   * goes as exact LRU would drop it.) Moving on every hit, a delete and a set, made a warm
   * authenticate ~0.3 µs slower with one key held and ~0.8 µs with 10 000, on a 0.5 to 0.9 µs
   * path (`authenticate.bench.ts`).
   */
  readonly #hashes = new Map<string, HeldHash>();
  /** Keys taken into `#hashes` so far: the clock of `HeldHash.movedAt`. */
  #taken = 0;
  readonly #inflight = new Map<string, Promise<Caller | undefined>>();
  readonly #ttl: number;
  readonly #negativeTtl: number;
  readonly #max: number;
  readonly #now: () => number;
  readonly #teams: TeamStore | undefined;

  constructor(
    readonly store: KeyStore,
    options: KeyCacheOptions,
  ) {
    this.#ttl = options.ttlMs;
    this.#negativeTtl = options.negativeTtlMs ?? Math.min(options.ttlMs, 5_000);
    this.#max = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
    this.#teams = options.teams;
  }

  /**
   * The key a request carries, checked: known, active, unexpired, and used from an address its
   * list allows (when it has one). `book`, when given, is told the key's id once the key is known
   * to be good (and its team's id, if it has one), before its address is checked, so that a refusal by the list is booked to the key
   * like the key's other refusals (unknown, revoked and expired keys are booked to no one).
   *
   * The address is the door's `sourceIp`, the peer of the connection, never X-Forwarded-For:
   * anyone can send that header with any address in it, and a function URL's sourceIp is the
   * address AWS received the connection from.
   */
  async authenticate(req: Pick<GatewayRequest, 'headers' | 'sourceIp'>, book?: { keyId?: string; teamId?: string }): Promise<Caller> {
    const key = presentedKey(req.headers);
    if (!key) {
      throw new GatewayError('authentication', 'No API key given: send "Authorization: Bearer <gateway key>", "x-api-key: <gateway key>" or "x-goog-api-key: <gateway key>".', {
        code: 'missing_api_key',
      });
    }
    const held = this.#hashes.get(key);
    const hash = held?.hash ?? hashKey(key);
    // A warm hit answers without another await: this is every request's path.
    const hit = this.#cache.get(hash);
    const entry = hit && hit.expires > this.#now() ? hit : await this.#load(hash);
    const caller = entry.caller;
    // Each refusal forgets the key: a refused secret is not held past its request, nor one held since that is refused now (revoked, expired, rotated away).
    if (!caller) throw this.#forget(key, invalidKey('Incorrect API key provided.'));
    const record = caller.key;
    if (record.status !== 'active') throw this.#forget(key, invalidKey('This API key has been revoked.'));
    if (entry.retires !== undefined && entry.retires <= this.#now()) throw this.#forget(key, invalidKey('This API key has been rotated: its old secret no longer works.'));
    if (record.expiresAt && Date.parse(record.expiresAt) <= this.#now()) throw this.#forget(key, invalidKey('This API key has expired.'));
    if (book) {
      book.keyId = record.id;
      if (caller.team) book.teamId = caller.team.id;
    }
    // A key without a list pays one property read; one with a list is compiled once per cached record.
    if (record.allowedIps && !ipAllowed(record.allowedIps, req.sourceIp)) throw this.#forget(key, ipNotAllowed(req.sourceIp));
    if (caller.teamMissing) throw this.#forget(key, teamMissing());
    if (held === undefined) this.#holdHash(key, hash);
    else if (this.#taken - held.movedAt >= this.#max / 2) this.#moveBack(key, held);
    return caller;
  }

  /** Drops `key`, refused with `refusal`, from the held hashes; gives the refusal back to throw. */
  #forget(key: string, refusal: GatewayError): GatewayError {
    this.#hashes.delete(key);
    return refusal;
  }

  /** Takes `key` in, at the back. */
  #holdHash(key: string, hash: string): void {
    this.#putLast(key, { hash, movedAt: ++this.#taken });
  }

  /** Puts a held `key` at the back again, the last to be dropped. */
  #moveBack(key: string, held: HeldHash): void {
    held.movedAt = this.#taken;
    this.#putLast(key, held);
  }

  /**
   * A Map iterates in insertion order: a delete and a set put `key` last. The first goes when a key
   * not there would pass `maxEntries`; one there already takes no more room (a concurrent request
   * may have taken it in while this one awaited its read, or a refusal forgotten it).
   */
  #putLast(key: string, held: HeldHash): void {
    if (!this.#hashes.delete(key) && this.#hashes.size >= this.#max) this.#hashes.delete(this.#hashes.keys().next().value!);
    this.#hashes.set(key, held);
  }

  async #load(hash: string): Promise<Entry> {
    let pending = this.#inflight.get(hash);
    if (!pending) {
      pending = this.#read(hash).finally(() => this.#inflight.delete(hash));
      this.#inflight.set(hash, pending);
    }
    const caller = await pending;
    if (this.#cache.size >= this.#max) this.#cache.delete(this.#cache.keys().next().value!);
    const entry: Entry = { caller, expires: this.#now() + (caller ? this.#ttl : this.#negativeTtl) };
    if (caller && caller.key.hash !== hash) entry.retires = retiresAt(caller.key, hash);
    this.#cache.set(hash, entry);
    return entry;
  }

  /** The key and, when it names one, its team: both are trusted for the same TTL. */
  async #read(hash: string): Promise<Caller | undefined> {
    const record = await this.store.getByHash(hash);
    if (!record) return undefined;
    const team = record.teamId && this.#teams ? await this.#teams.get(record.teamId) : undefined;
    return callerOf(record, team);
  }
}

/**
 * When a secret a key was rotated away from (`hash`) stops working: the end of its grace when it
 * is the key's previous secret, else at once. The record decides, not the pointer that led to it,
 * so a second rotation ends the first secret's grace.
 */
function retiresAt(record: ApiKeyRecord, hash: string): number {
  return record.previousHash === hash && record.previousExpiresAt ? Date.parse(record.previousExpiresAt) : 0;
}

/**
 * A key whose team cannot be found is refused: letting it through would let it past its team's
 * budget. The admin API refuses to delete a team with active keys, so this is a race or a
 * deployment without the team store, and says so.
 */
function teamMissing(): GatewayError {
  return new GatewayError('permission', 'The team of this API key does not exist.', { code: 'team_not_found' });
}

/** Names the address the request came from, not the list: the caller needs no map of the key owner's networks. */
function ipNotAllowed(sourceIp: string): GatewayError {
  const address = sourceAddress(sourceIp)?.address;
  return new GatewayError('permission', `This API key may not be used from ${address ? `the address ${address}` : 'an unknown address'}.`, { code: 'ip_not_allowed' });
}

function invalidKey(message: string): GatewayError {
  return new GatewayError('authentication', message, { code: 'invalid_api_key' });
}
