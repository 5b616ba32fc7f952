/**
 * Entra ID access tokens for Azure OpenAI accounts, kept per service principal and scope by the
 * gateway's access-token cache (`lib/credentials/access-tokens.ts`).
 */
import type { CredentialRef, EntraConfig } from '../../config/schema';
import { AccessTokens } from '../../credentials/access-tokens';
import { EntraRefusedError, type FetchEntraToken } from './entra-token';

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
 * Tokens per (authority, tenant, client, scope), with the cache's rules (refreshed ahead of
 * expiry, one request for concurrent calls, failures not kept); a secret Entra refused is read
 * again before the next request, so a rotated one is picked up.
 *
 * @example
 * const tokens = new EntraTokens({ fetchToken: entraTokenFetcher(upstream), resolveSecret: (r) => creds.resolve(r), refreshSecret: (r) => creds.refresh(r) });
 * const bearer = await tokens.token(entra, { timeoutMs: 10_000, signal });
 */
export class EntraTokens extends AccessTokens<EntraConfig> {
  constructor(options: EntraTokensOptions) {
    super({
      keyOf: entraCacheKey,
      async fetch(entra, timeoutMs) {
        const secret = await options.resolveSecret(entra.clientSecret);
        try {
          return await options.fetchToken(entra, secret, timeoutMs);
        } catch (err) {
          if (err instanceof EntraRefusedError) options.refreshSecret(entra.clientSecret);
          throw err;
        }
      },
      ...(options.onRefreshFailed ? { onRefreshFailed: options.onRefreshFailed } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
  }
}

/** Ids are GUIDs (or a tenant's domain), which Entra reads without regard to case. */
function entraCacheKey(entra: EntraConfig): string {
  return JSON.stringify([entra.authorityHost.replace(/\/+$/, ''), entra.tenantId.toLowerCase(), entra.clientId.toLowerCase(), entra.scope]);
}
