/**
 * A `fetch` that enforces CORS as a browser does, for the official SDKs run with
 * `dangerouslyAllowBrowser` against the gateway: it drops the headers a page's script cannot set,
 * sends the preflight a browser would (`origin`, `access-control-request-method`,
 * `access-control-request-headers`) whenever the call needs one, refuses the call as a browser
 * would (a `TypeError`, which the SDKs report as a connection error) when the preflight or the
 * answer does not allow it, and hides the answer's headers that are not exposed.
 *
 * Simplified from the Fetch standard's CORS check for what the gateway's callers do: no
 * credentials, no redirects, no preflight cache.
 */

/** What a page's script cannot set: the browser writes them itself, or ignores them. */
const FORBIDDEN = new Set(['accept-charset', 'accept-encoding', 'connection', 'content-length', 'cookie', 'date', 'host', 'keep-alive', 'origin', 'referer', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'via']);

/**
 * The browser whose rules apply where they differ: the Fetch standard lets a script set
 * `user-agent` (no longer a forbidden name), and Firefox sends it, so a call carrying it (the
 * Anthropic and Gemini SDKs set one in browsers too) is preflighted with `user-agent` among the
 * headers asked for; Chrome drops it silently.
 */
export type BrowserEngine = 'chrome' | 'firefox';
const SIMPLE_METHODS = new Set(['GET', 'HEAD', 'POST']);
const SIMPLE_CONTENT_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);
/** Answer headers a script may always read. */
const SAFELISTED_RESPONSE = new Set(['cache-control', 'content-language', 'content-length', 'content-type', 'expires', 'last-modified', 'pragma']);

/** Request headers that do not by themselves make a browser preflight. */
function safelisted(name: string, value: string): boolean {
  if (name === 'accept' || name === 'accept-language' || name === 'content-language') return true;
  return name === 'content-type' && SIMPLE_CONTENT_TYPES.has(value.split(';')[0]!.trim().toLowerCase());
}

export interface BrowserFetchLog {
  /** Each preflight sent: its path, and the answer's status and headers. */
  preflights: { path: string; status: number; headers: Headers }[];
  /** Each answer as it came over the wire, before the browser hid its unexposed headers. */
  answers: { path: string; status: number; headers: Headers }[];
}

export function browserFetch(origin: string, transport: typeof fetch = fetch, engine: BrowserEngine = 'chrome'): { fetch: typeof fetch; log: BrowserFetchLog } {
  const log: BrowserFetchLog = { preflights: [], answers: [] };
  const dropped = (name: string) => FORBIDDEN.has(name) || (engine === 'chrome' && name === 'user-agent');
  async function corsFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    const method = (init.method ?? 'GET').toUpperCase();
    const headers = new Headers(init.headers);
    for (const name of [...headers.keys()]) if (dropped(name)) headers.delete(name);
    const unsafe = [...headers.entries()].filter(([name, value]) => !safelisted(name, value)).map(([name]) => name);

    if (!SIMPLE_METHODS.has(method) || unsafe.length > 0) {
      const preflight = await transport(url, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': method, ...(unsafe.length ? { 'access-control-request-headers': unsafe.sort().join(',') } : {}) },
      });
      await preflight.arrayBuffer();
      log.preflights.push({ path: url.pathname, status: preflight.status, headers: preflight.headers });
      if (preflight.status < 200 || preflight.status > 299) throw new TypeError(`Failed to fetch: preflight answered ${preflight.status}`);
      if (!originAllowed(preflight.headers, origin)) throw new TypeError('Failed to fetch: the preflight does not allow this origin');
      const methods = listOf(preflight.headers.get('access-control-allow-methods'));
      if (!SIMPLE_METHODS.has(method) && !methods.includes(method.toLowerCase()) && !methods.includes('*')) throw new TypeError(`Failed to fetch: method ${method} not allowed`);
      const allowed = listOf(preflight.headers.get('access-control-allow-headers'));
      const refused = unsafe.filter((name) => !allowed.includes(name) && !(allowed.includes('*') && name !== 'authorization'));
      if (refused.length) throw new TypeError(`Failed to fetch: header(s) ${refused.join(', ')} not allowed`);
    }

    headers.set('origin', origin);
    const answer = await transport(url, { ...init, method, headers });
    log.answers.push({ path: url.pathname, status: answer.status, headers: answer.headers });
    if (!originAllowed(answer.headers, origin)) {
      await answer.body?.cancel();
      throw new TypeError('Failed to fetch: the answer does not allow this origin');
    }
    const exposed = listOf(answer.headers.get('access-control-expose-headers'));
    const visible = new Headers();
    for (const [name, value] of answer.headers) if (SAFELISTED_RESPONSE.has(name) || exposed.includes(name) || exposed.includes('*')) visible.set(name, value);
    return new Response(answer.body, { status: answer.status, statusText: answer.statusText, headers: visible });
  }
  return { fetch: corsFetch as typeof fetch, log };
}

/** Whether an answer lets `origin` read it (no credentials: `*` will do). */
function originAllowed(headers: Headers, origin: string): boolean {
  const allowed = headers.get('access-control-allow-origin');
  return allowed === '*' || allowed === origin;
}

const listOf = (value: string | null) => (value ?? '').split(',').map((item) => item.trim().toLowerCase()).filter(Boolean);
