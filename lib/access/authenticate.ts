import { GatewayError } from '../http/errors';
import type { GatewayRequest } from '../http/types';
import type { KeyStore } from '../store/keys';
import { hashKey, type ApiKeyRecord } from './api-key';
import { ipAllowed, sourceAddress } from './ip-allowlist';

export interface KeyCacheOptions {
  /** How long a looked-up key is trusted before it is read again. */
  ttlMs: number;
  /** How long an unknown key is remembered as unknown (stops a bad client from hammering the table). */
  negativeTtlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

interface Entry {
  record: ApiKeyRecord | undefined;
  expires: number;
}

/** The gateway key a request carries: `Authorization: Bearer KEY`, `x-api-key: KEY` or (Gemini's clients) `x-goog-api-key: KEY`. */
export function presentedKey(headers: Readonly<Record<string, string | undefined>>): string | undefined {
  const auth = headers['authorization'];
  if (auth && auth.length > 7 && auth.slice(0, 7).toLowerCase() === 'bearer ') return auth.slice(7).trim() || undefined;
  // Last, so OpenAI and Anthropic clients pay nothing for it.
  return headers['x-api-key']?.trim() || headers['x-goog-api-key']?.trim() || undefined;
}

/**
 * Finds the key record for a request. Warm instances answer from memory, so the hot path reads
 * DynamoDB only once per key per TTL; concurrent misses for one key share one read.
 */
export class KeyAuthenticator {
  readonly #cache = new Map<string, Entry>();
  readonly #inflight = new Map<string, Promise<ApiKeyRecord | undefined>>();
  readonly #ttl: number;
  readonly #negativeTtl: number;
  readonly #max: number;
  readonly #now: () => number;

  constructor(
    readonly store: KeyStore,
    options: KeyCacheOptions,
  ) {
    this.#ttl = options.ttlMs;
    this.#negativeTtl = options.negativeTtlMs ?? Math.min(options.ttlMs, 5_000);
    this.#max = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The key a request carries, checked: known, active, unexpired, and used from an address its
   * list allows (when it has one). `book`, when given, is told the key's id once the key is known
   * to be good, before its address is checked, so that a refusal by the list is booked to the key
   * like the key's other refusals (unknown, revoked and expired keys are booked to no one).
   *
   * The address is the door's `sourceIp`, the peer of the connection, never X-Forwarded-For:
   * anyone can send that header with any address in it, and a function URL's sourceIp is the
   * address AWS received the connection from.
   */
  async authenticate(req: Pick<GatewayRequest, 'headers' | 'sourceIp'>, book?: { keyId?: string }): Promise<ApiKeyRecord> {
    const key = presentedKey(req.headers);
    if (!key) {
      throw new GatewayError('authentication', 'No API key given: send "Authorization: Bearer <gateway key>", "x-api-key: <gateway key>" or "x-goog-api-key: <gateway key>".', {
        code: 'missing_api_key',
      });
    }
    const hash = hashKey(key);
    // A warm hit answers without another await: this is every request's path.
    const hit = this.#cache.get(hash);
    const record = hit && hit.expires > this.#now() ? hit.record : await this.#load(hash);
    if (!record) throw invalidKey('Incorrect API key provided.');
    if (record.status !== 'active') throw invalidKey('This API key has been revoked.');
    if (record.expiresAt && Date.parse(record.expiresAt) <= this.#now()) throw invalidKey('This API key has expired.');
    if (book) book.keyId = record.id;
    // A key without a list pays one property read; one with a list is compiled once per cached record.
    if (record.allowedIps && !ipAllowed(record.allowedIps, req.sourceIp)) throw ipNotAllowed(req.sourceIp);
    return record;
  }

  async #load(hash: string): Promise<ApiKeyRecord | undefined> {
    let pending = this.#inflight.get(hash);
    if (!pending) {
      pending = this.store.getByHash(hash).finally(() => this.#inflight.delete(hash));
      this.#inflight.set(hash, pending);
    }
    const record = await pending;
    if (this.#cache.size >= this.#max) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(hash, { record, expires: this.#now() + (record ? this.#ttl : this.#negativeTtl) });
    return record;
  }
}

/** Names the address the request came from, not the list: the caller needs no map of the key owner's networks. */
function ipNotAllowed(sourceIp: string): GatewayError {
  const address = sourceAddress(sourceIp)?.address;
  return new GatewayError('permission', `This API key may not be used from ${address ? `the address ${address}` : 'an unknown address'}.`, { code: 'ip_not_allowed' });
}

function invalidKey(message: string): GatewayError {
  return new GatewayError('authentication', message, { code: 'invalid_api_key' });
}
