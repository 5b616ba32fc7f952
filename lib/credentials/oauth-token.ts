import type { UpstreamClient, UpstreamRequest } from '../upstream/http';
import type { IssuedToken } from './access-tokens';

/**
 * Sends a token request through the gateway's upstream client, bounded by `timeoutMs` for the
 * whole exchange (connecting included, not only the wait for headers): the answer's status and
 * text, or `unreachable(why, err)` thrown when no answer came in time or at all.
 *
 * @example
 * const { status, text } = await exchangeForToken(upstream, (o) => entraTokenRequest(entra, secret, o), 10_000, (why, cause) => new EntraUnavailableError(`cannot reach Entra ID: ${why}`, { cause }));
 */
export async function exchangeForToken(
  upstream: Pick<UpstreamClient, 'send'>,
  request: (options: { timeoutMs: number; signal: AbortSignal }) => UpstreamRequest,
  timeoutMs: number,
  unreachable: (why: string, cause: unknown) => Error,
): Promise<{ status: number; text: string }> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const res = await upstream.send(request({ timeoutMs, signal }));
    return { status: res.status, text: await res.body.text() };
  } catch (err) {
    throw unreachable(signal.aborted ? `no answer within ${timeoutMs} ms` : (err as Error).message, err);
  }
}

/** A token endpoint's answer read as OAuth 2.0 defines it (RFC 6749 §5.1, §5.2). */
export type OAuthTokenAnswer =
  | { ok: true; token: IssuedToken; tokenType: string | undefined }
  /** `body` is the JSON error object when there was one (Entra adds `error_codes` to it). */
  | { ok: false; problem: 'refused'; error: string | undefined; description: string | undefined; body: Record<string, unknown> | undefined }
  | { ok: false; problem: 'no token' };

/**
 * Reads a token endpoint's answer: a 2xx with `access_token` and `expires_in` (a number, or a
 * number as text, as some endpoints send) is a token; a 4xx/5xx, or an answer that is not a JSON
 * object, is refused, with the endpoint's `error` and `error_description` when it gave them; a
 * 2xx without both is no token. The caller words the error (and keeps secrets out of it).
 *
 * @example
 * readOAuthTokenAnswer(200, '{"access_token":"ya29.c…","expires_in":3599,"token_type":"Bearer"}')
 * // { ok: true, token: { accessToken: 'ya29.c…', expiresInS: 3599 }, tokenType: 'Bearer' }
 * readOAuthTokenAnswer(400, '{"error":"invalid_grant","error_description":"Invalid JWT Signature."}')
 * // { ok: false, problem: 'refused', error: 'invalid_grant', description: 'Invalid JWT Signature.', body: {…} }
 */
export function readOAuthTokenAnswer(status: number, text: string): OAuthTokenAnswer {
  let body: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
  } catch {
    body = undefined;
  }
  if (status >= 400 || !body) {
    const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
    return { ok: false, problem: 'refused', error: text(body?.error), description: text(body?.error_description), body };
  }
  const expiresIn = typeof body.expires_in === 'string' ? Number(body.expires_in) : body.expires_in;
  if (typeof body.access_token !== 'string' || !body.access_token || typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn <= 0) {
    return { ok: false, problem: 'no token' };
  }
  return { ok: true, token: { accessToken: body.access_token, expiresInS: expiresIn }, tokenType: typeof body.token_type === 'string' ? body.token_type : undefined };
}
