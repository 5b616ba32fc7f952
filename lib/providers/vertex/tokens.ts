/**
 * Access tokens for Vertex AI accounts, kept per service account key by the gateway's
 * access-token cache (`lib/credentials/access-tokens.ts`).
 */
import type { CredentialRef } from '../../config/schema';
import { AccessTokens } from '../../credentials/access-tokens';
import { GoogleTokenRefusedError, parseServiceAccountKey, type FetchGoogleToken, type ServiceAccountKey } from './service-account';

export interface VertexTokensOptions {
  fetchToken: FetchGoogleToken;
  /** Resolves the key (the gateway's `Credentials.resolve`). */
  resolveKey(ref: CredentialRef): Promise<string>;
  /** Drops a cached key (after Google refused it: it may have been replaced). */
  refreshKey(ref: CredentialRef): void;
  /** Told of a background refresh that failed (the token in hand still serves; nothing secret in `err`). */
  onRefreshFailed?(serviceAccount: CredentialRef, err: unknown): void;
  /** Epoch ms. */
  now?: () => number;
}

/**
 * Tokens per service account key, named by its credential reference (accounts naming one key
 * share its token), with the cache's rules: refreshed ahead of expiry, one request for concurrent
 * calls, failures not kept. A key Google refused is read again before the next request, so a key
 * replaced in its secret is picked up.
 *
 * @example
 * const tokens = new VertexTokens({ fetchToken: googleTokenFetcher(upstream), resolveKey: (r) => creds.resolve(r), refreshKey: (r) => creds.refresh(r) });
 * const bearer = await tokens.token(account.serviceAccount, { timeoutMs: 10_000, signal });
 */
export class VertexTokens extends AccessTokens<CredentialRef> {
  constructor(options: VertexTokensOptions) {
    super({
      keyOf: (ref) => JSON.stringify(ref),
      async fetch(ref, timeoutMs) {
        const text = await options.resolveKey(ref);
        let key: ServiceAccountKey;
        try {
          key = parseServiceAccountKey(text);
        } catch (err) {
          // Not a key (a secret not filled in yet, or with something else in it): read it again next time.
          options.refreshKey(ref);
          throw err;
        }
        try {
          return await options.fetchToken(key, timeoutMs);
        } catch (err) {
          if (err instanceof GoogleTokenRefusedError) options.refreshKey(ref);
          throw err;
        }
      },
      ...(options.onRefreshFailed ? { onRefreshFailed: options.onRefreshFailed } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
  }
}
