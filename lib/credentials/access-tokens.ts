/**
 * Short-lived access tokens fetched from an identity provider (Microsoft Entra ID for Azure
 * OpenAI, Google's OAuth2 token endpoint for Vertex AI), kept per principal so that calls do not
 * each pay a round trip to the token endpoint. The provider's own exchange lives with its
 * provider (`fetch`); what is kept, when it is renewed and who waits is decided here, once.
 */

/** Refresh this long before a token expires (tokens live an hour or more)… */
const REFRESH_AHEAD_MS = 5 * 60_000;
/** …and stop handing a token out this long before it expires, so it cannot lapse on the way. */
const EXPIRY_MARGIN_MS = 30_000;
/**
 * After a background refresh failed, the token in hand serves this long before another is tried:
 * the calls go on meanwhile, so without a pause each would send one more request to a token
 * endpoint that is throttling or unwell (and report one more failure).
 */
const REFRESH_RETRY_MS = 30_000;
/**
 * A refused token is dropped at most this often per principal: a refusal a new token does not mend
 * (the principal has no role on the resource) must not cost a token request per call.
 */
const FORGET_AT_MOST_EVERY_MS = 60_000;

/** An access token and how long its issuer says it lives. */
export interface IssuedToken {
  accessToken: string;
  /** Seconds from issue (the token endpoint's `expires_in`). */
  expiresInS: number;
}

interface CachedToken {
  token: string;
  /** From here a call still gets this token, and starts fetching the next one. */
  refreshAt: number;
  /** From here a call waits for a new token. */
  staleAt: number;
  /** Set when a background refresh failed: no other starts before it. */
  retryAt?: number;
}

export interface AccessTokensOptions<Principal extends object> {
  /** The cache key of a principal: principals with one key share their token. Built once per principal object. */
  keyOf(principal: Principal): string;
  /**
   * Fetches a new token for the principal (reading its secret first), bounded by `timeoutMs`.
   * It rejects with the error the call should report; nothing secret in its message.
   */
  fetch(principal: Principal, timeoutMs: number): Promise<IssuedToken>;
  /** Told of a background refresh that failed (the token in hand still serves; nothing secret in `err`). */
  onRefreshFailed?(principal: Principal, err: unknown): void;
  /** Epoch ms. */
  now?: () => number;
}

/**
 * A token cache per principal:
 * - a token is served from memory until 5 minutes before it expires (half its lifetime, if that
 *   is shorter); from then the call that finds it still gets it, and a new one is fetched in the
 *   background (after a failed one, not again for 30 seconds); in its last 30 seconds (a tenth of
 *   its lifetime, if shorter) calls wait for the new one;
 * - calls that need a token at the same moment share one request;
 * - a failed fetch is not kept: the calls waiting get its error, the next call tries again;
 * - `forget` drops a token the upstream refused (revoked, or issued before a role change), at most
 *   once a minute per principal.
 *
 * @example
 * const tokens = new AccessTokens<EntraConfig>({ keyOf: (e) => `${e.tenantId}/${e.clientId}`, fetch: (e, ms) => fetchEntraToken(e, ms) });
 * const bearer = await tokens.token(entra, { timeoutMs: 10_000, signal });
 */
export class AccessTokens<Principal extends object> {
  readonly #cache = new Map<string, CachedToken>();
  readonly #fetching = new Map<string, Promise<CachedToken>>();
  /** When each principal's token was last dropped by `forget` (epoch ms). */
  readonly #forgottenAt = new Map<string, number>();
  /** Keys by principal object: a config's principal is one object for the gateway's life, so its key is built once. */
  readonly #keys = new WeakMap<Principal, string>();
  readonly #options: AccessTokensOptions<Principal>;
  readonly #now: () => number;

  constructor(options: AccessTokensOptions<Principal>) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * A current access token for the principal. `signal` ends this caller's wait (its deadline, its
   * client gone), not a fetch other calls share; `timeoutMs` bounds a fetch this call starts.
   */
  async token(principal: Principal, options: { timeoutMs: number; signal?: AbortSignal | undefined }): Promise<string> {
    const key = this.#keyOf(principal);
    const cached = this.#cache.get(key);
    const now = this.#now();
    if (cached && now < cached.refreshAt) return cached.token;
    if (cached && now < cached.staleAt) {
      // A failure here is not kept: a call past retryAt tries again, and once stale they wait for it.
      if (!this.#fetching.has(key) && (cached.retryAt === undefined || now >= cached.retryAt)) {
        this.#fetch(key, principal, options.timeoutMs).catch((err: unknown) => {
          cached.retryAt = this.#now() + REFRESH_RETRY_MS;
          this.#options.onRefreshFailed?.(principal, err);
        });
      }
      return cached.token;
    }
    const fresh = await whileWaiting(this.#fetch(key, principal, options.timeoutMs), options.signal);
    return fresh.token;
  }

  /** Drops the principal's token, unless one was dropped in the last minute: the next call fetches a new one. */
  forget(principal: Principal): void {
    const key = this.#keyOf(principal);
    const now = this.#now();
    const last = this.#forgottenAt.get(key);
    if (!this.#cache.has(key) || (last !== undefined && now - last < FORGET_AT_MOST_EVERY_MS)) return;
    this.#forgottenAt.set(key, now);
    this.#cache.delete(key);
  }

  #keyOf(principal: Principal): string {
    let key = this.#keys.get(principal);
    if (key === undefined) {
      key = this.#options.keyOf(principal);
      this.#keys.set(principal, key);
    }
    return key;
  }

  #fetch(key: string, principal: Principal, timeoutMs: number): Promise<CachedToken> {
    let pending = this.#fetching.get(key);
    if (pending) return pending;
    pending = this.#fetchNow(key, principal, timeoutMs).finally(() => this.#fetching.delete(key));
    this.#fetching.set(key, pending);
    return pending;
  }

  async #fetchNow(key: string, principal: Principal, timeoutMs: number): Promise<CachedToken> {
    // The lifetime counts from before the request went out: the token is never thought younger than it is.
    const issuedBy = this.#now();
    const { accessToken, expiresInS } = await this.#options.fetch(principal, timeoutMs);
    const lifetime = expiresInS * 1000;
    const expiresAt = issuedBy + lifetime;
    const entry = { token: accessToken, refreshAt: expiresAt - Math.min(REFRESH_AHEAD_MS, lifetime / 2), staleAt: expiresAt - Math.min(EXPIRY_MARGIN_MS, lifetime / 10) };
    this.#cache.set(key, entry);
    return entry;
  }
}

/** `work`, or the signal's reason if it aborts first; the work itself goes on for whoever else waits for it. */
function whileWaiting<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
