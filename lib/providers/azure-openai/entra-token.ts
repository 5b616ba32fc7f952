/**
 * Microsoft Entra ID's token endpoint, spoken by hand: the client-credentials grant is one form
 * POST (`@azure/identity` would bring a large dependency, and its own HTTP stack, for it). The
 * request goes through the gateway's upstream client like every provider call, so it has the
 * same connection pool and timeouts.
 */
import type { EntraConfig } from '../../config/schema';
import { CredentialError, CredentialsUnavailableError } from '../../credentials/credentials';
import { exchangeForToken, readOAuthTokenAnswer } from '../../credentials/oauth-token';
import type { UpstreamClient, UpstreamRequest } from '../../upstream/http';

/** Entra refused the request (400/401): the secret or the principal is wrong, not the endpoint unwell. */
export class EntraRefusedError extends CredentialError {
  constructor(message: string) {
    super(message);
    this.name = 'EntraRefusedError';
  }
}

/** Entra could not answer (unreachable, too slow, throttling, a 5xx): it mends by itself, the secret is not in doubt. */
export class EntraUnavailableError extends CredentialsUnavailableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EntraUnavailableError';
  }
}

/** An access token and how long Entra says it lives. */
export interface EntraToken {
  accessToken: string;
  /** Seconds from issue (Entra's `expires_in`, typically 3 599 to 5 399). */
  expiresInS: number;
}

/** The tenant's v2.0 token endpoint. */
export function entraTokenUrl(entra: Pick<EntraConfig, 'authorityHost' | 'tenantId'>): string {
  return `${entra.authorityHost.replace(/\/+$/, '')}/${encodeURIComponent(entra.tenantId)}/oauth2/v2.0/token`;
}

/**
 * The client-credentials token request of a service principal.
 *
 * @example
 * const req = entraTokenRequest(entra, clientSecret, { timeoutMs: 10_000 });
 * // POST https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token
 * // grant_type=client_credentials&client_id=…&client_secret=…&scope=https%3A%2F%2Fcognitiveservices.azure.com%2F.default
 */
export function entraTokenRequest(entra: EntraConfig, clientSecret: string, options: { timeoutMs: number; signal?: AbortSignal }): UpstreamRequest {
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: entra.clientId, client_secret: clientSecret, scope: entra.scope });
  return {
    url: entraTokenUrl(entra),
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: form.toString(),
    headersTimeoutMs: options.timeoutMs,
    idleTimeoutMs: options.timeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
  };
}

/** Who asked, in an error message: the client and tenant, never the secret. */
const whose = (entra: EntraConfig) => `client ${entra.clientId} in tenant ${entra.tenantId}`;

/**
 * Reads the token endpoint's answer: the token, or a `CredentialError` carrying Entra's own
 * reason (`error`, the first line of `error_description` with its AADSTS code) and never the
 * secret, should Entra ever echo it.
 *
 * @example
 * entraTokenAnswer(200, '{"token_type":"Bearer","expires_in":3599,"access_token":"eyJ0…"}', entra, secret)
 * // { accessToken: 'eyJ0…', expiresInS: 3599 }
 */
export function entraTokenAnswer(status: number, text: string, entra: EntraConfig, clientSecret: string): EntraToken {
  const answer = readOAuthTokenAnswer(status, text);
  if (!answer.ok && answer.problem === 'refused') {
    // Entra's description runs on with "\r\nTrace ID: …\r\nCorrelation ID: …": the first line says why.
    const description = answer.description?.split(/\r?\n/)[0]!.trim();
    const codes = Array.isArray(answer.body?.error_codes) && !description ? ` (AADSTS${answer.body.error_codes.join(', AADSTS')})` : '';
    const why = [answer.error, description].filter(Boolean).join(': ') || (status >= 400 ? 'no reason given' : 'an answer that is not JSON');
    const message = `Entra ID refused the token request of ${whose(entra)} (${status} ${why}${codes})`;
    const safe = clientSecret ? message.replaceAll(clientSecret, '[client secret]') : message;
    if (status === 400 || status === 401) throw new EntraRefusedError(safe);
    throw status === 429 || status >= 500 ? new EntraUnavailableError(safe) : new CredentialError(safe);
  }
  if (!answer.ok) throw new CredentialError(`Entra ID answered the token request of ${whose(entra)} without an access token and its lifetime`);
  if (answer.tokenType !== undefined && answer.tokenType.toLowerCase() !== 'bearer') {
    throw new CredentialError(`Entra ID issued a "${answer.tokenType}" token to ${whose(entra)}, not a Bearer token`);
  }
  return answer.token;
}

/** Fetches one token for a service principal, given its resolved secret, within `timeoutMs`. */
export type FetchEntraToken = (entra: EntraConfig, clientSecret: string, timeoutMs: number) => Promise<EntraToken>;

/**
 * Token requests sent through the gateway's upstream client. Every failure (refused, unreachable,
 * too slow, a bad answer) is a `CredentialError`: an `EntraRefusedError` when Entra answered 400 or
 * 401, an `EntraUnavailableError` when it could not be reached in time or answered 429 or 5xx.
 *
 * @example
 * const fetchToken = entraTokenFetcher(upstream);
 * const { accessToken } = await fetchToken(entra, secret, 10_000);
 */
export function entraTokenFetcher(upstream: Pick<UpstreamClient, 'send'>): FetchEntraToken {
  return async function fetchEntraToken(entra, clientSecret, timeoutMs) {
    const { status, text } = await exchangeForToken(
      upstream,
      (options) => entraTokenRequest(entra, clientSecret, options),
      timeoutMs,
      (why, cause) => new EntraUnavailableError(`cannot reach Entra ID (${new URL(entra.authorityHost).host}) for a token of ${whose(entra)}: ${why}`, { cause }),
    );
    return entraTokenAnswer(status, text, entra, clientSecret);
  };
}
