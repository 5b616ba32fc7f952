/**
 * Entra ID access tokens for Azure OpenAI accounts, kept per service principal and scope so that
 * calls do not each pay a round trip to the token endpoint.
 */
import type { CredentialRef, EntraConfig } from '../../config/schema';
import { EntraRefusedError, type FetchEntraToken } from './entra-token';

/** Refresh this long before a token expires (Entra's tokens live an hour or more)… */
const REFRESH_AHEAD_MS = 5 * 60_000;
/** …and stop handing a token out this long before it expires, so it cannot lapse on the way. */
const EXPIRY_MARGIN_MS = 30_000;
/**
 * After a background refresh failed, the token in hand serves this long before another is tried:
 * the calls go on meanwhile, so without a pause each would send one more request to an Entra that
 * is throttling or unwell (and log one more failure).
 */
const REFRESH_RETRY_MS = 30_000;
/**
 * A refused token is dropped at most this often per principal: a refusal a new token does not mend
 * (the principal has no role on the resource) must not cost a token request per call.
 */
const FORGET_AT_MOST_EVERY_MS = 60_000;

interface CachedToken {
  token: string;
  /** From here a call still gets this token, and starts fetching the next one. */
  refreshAt: number;
  /** From here a call waits for a new token. */
  staleAt: number;
  /** Set when a background refresh failed: no other starts before it. */
  retryAt?: number;
}

export interface EntraTokensOptions {
  fetchToken: FetchEntraToken;
  /** Resolves the client secret (the gateway's `Credentials.resolve`). */
  resolveSecret(ref: CredentialRef): Promise<string>;
  /** Drops a cached client secret (after Entra refused it: it may have been rotated). */
  refreshSecret(ref: CredentialRef): void;
  /** Told of a background refresh that failed (the token in hand still serves; nothing secret in `err`). */
  onRefreshFailed?(entra: EntraConfig, err: unknown): void;
  /** Epoch ms. */
  now?: () => number;
}

/**
 * A token cache per (authority, tenant, client, scope):
 * - a token is served from memory until 5 minutes before it expires (half its lifetime, if that
 *   is shorter); from then the call that finds it still gets it, and a new one is fetched in the
 *   background (after a failed one, not again for 30 seconds); in its last 30 seconds (a tenth of
 *   its lifetime, if shorter) calls wait for the new one;
 * - calls that need a token at the same moment share one request to Entra;
 * - a failed fetch is not kept: the next call tries again (a refused secret is read again first);
 * - `forget` drops a token the upstream refused (revoked, or issued before a role change), at most
 *   once a minute per principal.
 *
 * @example
 * const tokens = new EntraTokens({ fetchToken: entraTokenFetcher(upstream), resolveSecret: (r) => creds.resolve(r), refreshSecret: (r) => creds.refresh(r) });
 * const bearer = await tokens.token(entra, { timeoutMs: 10_000, signal });
 */
export class EntraTokens {
  readonly #cache = new Map<string, CachedToken>();
  readonly #fetching = new Map<string, Promise<CachedToken>>();
  /** When each principal's token was last dropped by `forget` (epoch ms). */
  readonly #forgottenAt = new Map<string, number>();
  readonly #options: EntraTokensOptions;
  readonly #now: () => number;

  constructor(options: EntraTokensOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * A current access token for the principal. `signal` ends this caller's wait (its deadline, its
   * client gone), not a fetch other calls share; `timeoutMs` bounds a fetch this call starts.
   */
  async token(entra: EntraConfig, options: { timeoutMs: number; signal?: AbortSignal | undefined }): Promise<string> {
    const key = cacheKey(entra);
    const cached = this.#cache.get(key);
    const now = this.#now();
    if (cached && now < cached.refreshAt) return cached.token;
    if (cached && now < cached.staleAt) {
      // A failure here is not kept: a call past retryAt tries again, and once stale they wait for it.
      if (!this.#fetching.has(key) && (cached.retryAt === undefined || now >= cached.retryAt)) {
        this.#fetch(key, entra, options.timeoutMs).catch((err: unknown) => {
          cached.retryAt = this.#now() + REFRESH_RETRY_MS;
          this.#options.onRefreshFailed?.(entra, err);
        });
      }
      return cached.token;
    }
    const fresh = await whileWaiting(this.#fetch(key, entra, options.timeoutMs), options.signal);
    return fresh.token;
  }

  /** Drops the principal's token, unless one was dropped in the last minute: the next call fetches a new one. */
  forget(entra: EntraConfig): void {
    const key = cacheKey(entra);
    const now = this.#now();
    const last = this.#forgottenAt.get(key);
    if (!this.#cache.has(key) || (last !== undefined && now - last < FORGET_AT_MOST_EVERY_MS)) return;
    this.#forgottenAt.set(key, now);
    this.#cache.delete(key);
  }

  #fetch(key: string, entra: EntraConfig, timeoutMs: number): Promise<CachedToken> {
    let pending = this.#fetching.get(key);
    if (pending) return pending;
    pending = this.#fetchNow(entra, timeoutMs).finally(() => this.#fetching.delete(key));
    this.#fetching.set(key, pending);
    return pending;
  }

  async #fetchNow(entra: EntraConfig, timeoutMs: number): Promise<CachedToken> {
    const { fetchToken, resolveSecret, refreshSecret } = this.#options;
    const secret = await resolveSecret(entra.clientSecret);
    // The lifetime counts from before the request went out: the token is never thought younger than it is.
    const issuedBy = this.#now();
    try {
      const { accessToken, expiresInS } = await fetchToken(entra, secret, timeoutMs);
      const lifetime = expiresInS * 1000;
      const expiresAt = issuedBy + lifetime;
      const entry = { token: accessToken, refreshAt: expiresAt - Math.min(REFRESH_AHEAD_MS, lifetime / 2), staleAt: expiresAt - Math.min(EXPIRY_MARGIN_MS, lifetime / 10) };
      this.#cache.set(cacheKey(entra), entry);
      return entry;
    } catch (err) {
      if (err instanceof EntraRefusedError) refreshSecret(entra.clientSecret);
      throw err;
    }
  }
}

/** Keys by config object: an account's `entra` is one object for the gateway's life, so its key is built once. */
const keys = new WeakMap<EntraConfig, string>();

function cacheKey(entra: EntraConfig): string {
  let key = keys.get(entra);
  if (key === undefined) {
    // Ids are GUIDs (or a tenant's domain), which Entra reads without regard to case.
    key = JSON.stringify([entra.authorityHost.replace(/\/+$/, ''), entra.tenantId.toLowerCase(), entra.clientId.toLowerCase(), entra.scope]);
    keys.set(entra, key);
  }
  return key;
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
