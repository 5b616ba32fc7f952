import type { GatewayResponse } from './types';

/** The `cors` section of the config, as parsed (`lib/config/schema.ts`). */
export interface CorsConfig {
  /** Exact origins (`https://chat.example.com`), or `*` for any. */
  allowOrigins: '*' | readonly string[];
  /** Request headers allowed besides `DEFAULT_ALLOWED_HEADERS`: names, or prefixes ending in `*` (`*` alone: any). */
  allowHeaders: readonly string[];
  /** How long a browser may reuse a preflight's answer. */
  maxAgeSeconds: number;
}

/** Every method some route of the gateway answers; GET, HEAD and POST need no preflight, DELETE (stored responses, conversations) does. */
export const ALLOWED_METHODS = 'GET, HEAD, POST, DELETE';

/**
 * Request headers the official SDKs and the browser chat apps send, and the gateway's own. A
 * browser asks for each header a request carries beyond the CORS-safelisted few, so each one a
 * client sends must be here, or the whole call is refused before it leaves the browser.
 */
export const DEFAULT_ALLOWED_HEADERS: readonly string[] = [
  'authorization',
  'content-type',
  'cache-control',
  'idempotency-key',
  // The Anthropic and Gemini SDKs set one in browsers too; Firefox sends it (Chrome drops it), and asks for it first.
  'user-agent',
  // Anthropic's clients; `anthropic-dangerous-direct-browser-access` is what `dangerouslyAllowBrowser` sends.
  'x-api-key',
  'anthropic-version',
  'anthropic-beta',
  'anthropic-dangerous-direct-browser-access',
  // OpenAI's clients.
  'openai-organization',
  'openai-project',
  'openai-beta',
  // Gemini's (@google/genai; x-server-timeout with every call once `httpOptions.timeout` is set).
  'x-goog-api-key',
  'x-goog-api-client',
  'x-server-timeout',
  // The gateway's own: the end user, a conversation's model, the session sticky routing keeps to one account.
  'x-aigw-end-user',
  'x-aigw-model',
  'x-session-id',
  // Both Stainless-built SDKs (openai, @anthropic-ai/sdk) describe themselves in a family of these (`x-stainless-os`, `-retry-count`, `-timeout`, …).
  'x-stainless-*',
];

/**
 * Response headers a page's script may read: the request id, the key's rate limits in both
 * dialects, and the retry hints the SDKs back off by. Without this list a browser hides all but the
 * CORS-safelisted few (content-type, content-length…), even on an answer it lets through.
 */
export const EXPOSED_HEADERS = [
  'x-request-id',
  'retry-after',
  'x-should-retry',
  'x-aigw-cache',
  'age',
  ...['requests', 'tokens'].flatMap((kind) => [`x-ratelimit-limit-${kind}`, `x-ratelimit-remaining-${kind}`, `x-ratelimit-reset-${kind}`]),
  ...['requests', 'tokens'].flatMap((kind) => [`anthropic-ratelimit-${kind}-limit`, `anthropic-ratelimit-${kind}-remaining`, `anthropic-ratelimit-${kind}-reset`]),
].join(', ');

/** A header name a rule allows: exactly, or by the prefix before its trailing `*`. */
type HeaderRule = { exact: ReadonlySet<string>; prefixes: readonly string[] };

function headerRule(names: readonly string[]): HeaderRule {
  const lower = names.map((name) => name.toLowerCase());
  return { exact: new Set(lower.filter((name) => !name.endsWith('*'))), prefixes: lower.filter((name) => name.endsWith('*')).map((name) => name.slice(0, -1)) };
}

const allows = (rule: HeaderRule, name: string) => rule.exact.has(name) || rule.prefixes.some((prefix) => name.startsWith(prefix));

/**
 * The gateway's CORS answers, computed from the config once and from the request's headers per
 * call, with nothing looked up: a preflight is answered by the door, without a key, before the
 * pipeline (no key read, no rate window, no usage record). Credentials (cookies) are never allowed:
 * the gateway's keys travel in headers. The admin API is never covered.
 *
 * @example
 * const cors = CorsPolicy.from({ allowOrigins: ['https://chat.example.com'], allowHeaders: [], maxAgeSeconds: 7200 });
 * cors?.answerHeaders('https://chat.example.com')
 * // { 'access-control-allow-origin': 'https://chat.example.com', 'access-control-expose-headers': 'x-request-id, …', vary: 'origin' }
 */
export class CorsPolicy {
  readonly #anyOrigin: boolean;
  /** A listed origin's headers for answers, built once: the hot path only looks them up. */
  readonly #listed: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** What an answer carries when the caller's origin is not listed (or the call is not a browser's). */
  readonly #unlisted: Readonly<Record<string, string>>;
  readonly #headers: HeaderRule;
  readonly #maxAge: string;

  private constructor(config: CorsConfig) {
    this.#anyOrigin = config.allowOrigins === '*';
    this.#headers = headerRule([...DEFAULT_ALLOWED_HEADERS, ...config.allowHeaders]);
    this.#maxAge = String(config.maxAgeSeconds);
    // With a list, the answer depends on the caller's origin: a shared cache must key on it.
    this.#unlisted = this.#anyOrigin ? Object.freeze({ 'access-control-allow-origin': '*', 'access-control-expose-headers': EXPOSED_HEADERS }) : Object.freeze({ vary: 'origin' });
    const origins = config.allowOrigins === '*' ? [] : config.allowOrigins;
    this.#listed = new Map(origins.map((origin) => [origin, Object.freeze({ 'access-control-allow-origin': origin, 'access-control-expose-headers': EXPOSED_HEADERS, vary: 'origin' })]));
  }

  /** The policy a config's `cors` section describes; none (no CORS headers at all) when it is absent. */
  static from(config: CorsConfig | undefined): CorsPolicy | undefined {
    return config && new CorsPolicy(config);
  }

  /** Whether a path gets CORS at all: never the admin API, which no page should reach. */
  covers(path: string): boolean {
    return !(path === '/admin' || path.startsWith('/admin/'));
  }

  /** Whether a request is a browser's preflight (an OPTIONS naming the method it is asking for), which the door answers itself. */
  isPreflight(method: string, headers: Readonly<Record<string, string | undefined>>): boolean {
    return method === 'OPTIONS' && headers['access-control-request-method'] !== undefined;
  }

  /**
   * The answer to a preflight: 204, allowing the origin (when allowed), the gateway's methods, and
   * those of the asked-for headers that are allowed (the others left out, so the browser refuses
   * the call, as it must). An origin not allowed gets no `access-control-allow-*` at all.
   */
  preflight(headers: Readonly<Record<string, string | undefined>>): GatewayResponse {
    const origin = headers.origin;
    const allowed = this.#anyOrigin ? '*' : origin !== undefined && this.#listed.has(origin) ? origin : undefined;
    // The answer depends on these asks (and, with a list, on the origin): a shared cache must key on them.
    const vary = this.#anyOrigin ? 'access-control-request-headers, access-control-request-private-network' : 'origin, access-control-request-headers, access-control-request-private-network';
    if (allowed === undefined) return { status: 204, headers: { vary }, body: '' };
    const answer: Record<string, string> = {
      'access-control-allow-origin': allowed,
      'access-control-allow-methods': ALLOWED_METHODS,
      'access-control-max-age': this.#maxAge,
      vary,
    };
    const asked = this.allowedOf(headers['access-control-request-headers']);
    if (asked) answer['access-control-allow-headers'] = asked;
    // Chrome asks before a public page may call a gateway on the caller's own machine or network (`npm start` on localhost).
    if (headers['access-control-request-private-network'] === 'true') answer['access-control-allow-private-network'] = 'true';
    return { status: 204, headers: answer, body: '' };
  }

  /** Of a preflight's `access-control-request-headers`, those allowed, in lower case, comma-separated; undefined when none. */
  allowedOf(requested: string | undefined): string | undefined {
    if (!requested) return undefined;
    const names = requested
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter((name) => name !== '' && allows(this.#headers, name));
    return names.length ? names.join(', ') : undefined;
  }

  /** The CORS headers an answer to a request from `origin` carries (frozen: merge them, do not change them). */
  answerHeaders(origin: string | undefined): Readonly<Record<string, string>> {
    if (this.#anyOrigin) return this.#unlisted;
    return (origin !== undefined && this.#listed.get(origin)) || this.#unlisted;
  }

  /** Adds the answer headers for `origin` to a response the door is about to send, keeping a `vary` it already has. */
  decorate(res: GatewayResponse, origin: string | undefined): void {
    const add = this.answerHeaders(origin);
    const vary = res.headers.vary;
    Object.assign(res.headers, add);
    if (vary !== undefined && add.vary !== undefined) res.headers.vary = `${vary}, ${add.vary}`;
  }
}
