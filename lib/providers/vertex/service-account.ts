/**
 * A Google service account's JSON key traded for an OAuth2 access token (the JWT bearer grant,
 * RFC 7523), by hand: the assertion is an RS256 JWT signed with `node:crypto`, and the exchange
 * one form POST through the gateway's upstream client (google-auth-library would bring a large
 * dependency, and its own HTTP stack, for it).
 */
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { CredentialError, CredentialsUnavailableError } from '../../credentials/credentials';
import type { IssuedToken } from '../../credentials/access-tokens';
import { exchangeForToken, readOAuthTokenAnswer } from '../../credentials/oauth-token';
import type { UpstreamClient, UpstreamRequest } from '../../upstream/http';

/** What Vertex AI's calls need: every Google Cloud API, as Google's own clients ask. */
export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
/** The longest lifetime Google takes for an assertion (and the token's, an hour). */
const ASSERTION_LIFETIME_S = 3600;

/** The parts of a service account's JSON key the token exchange uses. */
export interface ServiceAccountKey {
  clientEmail: string;
  privateKey: KeyObject;
  /** Google's token endpoint, as the key names it (https://oauth2.googleapis.com/token). */
  tokenUri: string;
  /** Sent as the JWT's `kid`, so Google finds the public half at once. */
  privateKeyId?: string;
}

/** Google refused the assertion (400/401): the key is wrong, deleted or disabled, not the endpoint unwell. */
export class GoogleTokenRefusedError extends CredentialError {
  constructor(message: string) {
    super(message);
    this.name = 'GoogleTokenRefusedError';
  }
}

/**
 * Reads a service account's JSON key. A key that is not one fails with a `CredentialError` that
 * names the field, never the key's content.
 *
 * @example
 * const key = parseServiceAccountKey(await credentials.resolve({ file: 'sa.json' }));
 * key.clientEmail // 'aigw@my-project.iam.gserviceaccount.com'
 */
export function parseServiceAccountKey(text: string): ServiceAccountKey {
  let json: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(text);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new SyntaxError('not an object');
    json = parsed as Record<string, unknown>;
  } catch {
    throw new CredentialError('the service account key is not JSON (expected the key file Google Cloud downloads, with client_email and private_key)');
  }
  if (json.type !== undefined && json.type !== 'service_account') throw new CredentialError(`the key is of type "${String(json.type)}", not a service account's`);
  const { client_email: clientEmail, private_key: pem, token_uri: tokenUri = 'https://oauth2.googleapis.com/token', private_key_id: privateKeyId } = json;
  if (typeof clientEmail !== 'string' || !clientEmail.includes('@')) throw new CredentialError('the service account key has no client_email');
  if (typeof tokenUri !== 'string' || !/^https?:\/\//.test(tokenUri)) throw new CredentialError(`the key of ${clientEmail} has no token_uri URL`);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: String(pem), format: 'pem' });
  } catch {
    throw new CredentialError(`the key of ${clientEmail} has no readable private_key (a PEM RSA key)`);
  }
  if (privateKey.asymmetricKeyType !== 'rsa') throw new CredentialError(`the private_key of ${clientEmail} is not an RSA key`);
  return { clientEmail, privateKey, tokenUri, ...(typeof privateKeyId === 'string' && privateKeyId ? { privateKeyId } : {}) };
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * The signed assertion of the JWT bearer grant: `iss` and `sub` the service account, `aud` the
 * token endpoint, `scope` cloud-platform, valid an hour from `nowS` (Google refuses longer).
 *
 * @example
 * signedAssertion(key, Math.floor(Date.now() / 1000))
 * // 'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIs…'
 */
export function signedAssertion(key: ServiceAccountKey, nowS: number, scope = CLOUD_PLATFORM_SCOPE): string {
  const header = { alg: 'RS256', typ: 'JWT', ...(key.privateKeyId ? { kid: key.privateKeyId } : {}) };
  const claims = { iss: key.clientEmail, sub: key.clientEmail, aud: key.tokenUri, scope, iat: nowS, exp: nowS + ASSERTION_LIFETIME_S };
  const unsigned = `${base64url(header)}.${base64url(claims)}`;
  return `${unsigned}.${sign('RSA-SHA256', Buffer.from(unsigned), key.privateKey).toString('base64url')}`;
}

/** The token request: the grant type and the assertion, form-encoded, to the key's `token_uri`. */
export function googleTokenRequest(key: ServiceAccountKey, assertion: string, options: { timeoutMs: number; signal?: AbortSignal }): UpstreamRequest {
  return {
    url: key.tokenUri,
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString(),
    headersTimeoutMs: options.timeoutMs,
    idleTimeoutMs: options.timeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
  };
}

/**
 * Reads the token endpoint's answer: the token, or a `CredentialError` with Google's `error` and
 * `error_description` (`invalid_grant: Invalid JWT Signature.`), a `GoogleTokenRefusedError` when
 * Google answered 400 or 401, a `CredentialsUnavailableError` when it answered 429 or 5xx.
 *
 * @example
 * googleTokenAnswer(200, '{"access_token":"ya29.c…","expires_in":3599,"token_type":"Bearer"}', key)
 * // { accessToken: 'ya29.c…', expiresInS: 3599 }
 */
export function googleTokenAnswer(status: number, text: string, key: Pick<ServiceAccountKey, 'clientEmail'>): IssuedToken {
  const answer = readOAuthTokenAnswer(status, text);
  if (!answer.ok && answer.problem === 'refused') {
    const why = [answer.error, answer.description].filter(Boolean).join(': ') || (status >= 400 ? 'no reason given' : 'an answer that is not JSON');
    const message = `Google refused the token request of service account ${key.clientEmail} (${status} ${why})`;
    if (status === 400 || status === 401) throw new GoogleTokenRefusedError(message);
    throw status === 429 || status >= 500 ? new CredentialsUnavailableError(message) : new CredentialError(message);
  }
  if (!answer.ok) throw new CredentialError(`Google answered the token request of service account ${key.clientEmail} without an access token and its lifetime`);
  return answer.token;
}

/** Fetches one token for a service account's key, within `timeoutMs`. */
export type FetchGoogleToken = (key: ServiceAccountKey, timeoutMs: number) => Promise<IssuedToken>;

/**
 * Token requests sent through the gateway's upstream client, each with a fresh assertion. Every
 * failure (refused, unreachable, too slow, a bad answer) is a `CredentialError`; those that mend by
 * themselves (unreachable, too slow, 429, 5xx) a `CredentialsUnavailableError`.
 *
 * @example
 * const fetchToken = googleTokenFetcher(upstream);
 * const { accessToken } = await fetchToken(parseServiceAccountKey(json), 10_000);
 */
export function googleTokenFetcher(upstream: Pick<UpstreamClient, 'send'>, nowMs: () => number = Date.now): FetchGoogleToken {
  return async function fetchGoogleToken(key, timeoutMs) {
    const assertion = signedAssertion(key, Math.floor(nowMs() / 1000));
    const { status, text } = await exchangeForToken(
      upstream,
      (options) => googleTokenRequest(key, assertion, options),
      timeoutMs,
      (why, cause) => new CredentialsUnavailableError(`cannot reach Google's token endpoint (${new URL(key.tokenUri).host}) for service account ${key.clientEmail}: ${why}`, { cause }),
    );
    return googleTokenAnswer(status, text, key);
  };
}
