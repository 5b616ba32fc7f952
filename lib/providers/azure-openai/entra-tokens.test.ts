import type { CredentialRef, EntraConfig } from '../../config/schema';
import { CredentialError } from '../../credentials/credentials';
import { EntraRefusedError, type EntraToken } from './entra-token';
import { EntraTokens } from './entra-tokens';

const entra: EntraConfig = {
  tenantId: 'tenant-a',
  clientId: 'client-a',
  clientSecret: { env: 'AZURE_CLIENT_SECRET' },
  authorityHost: 'https://login.microsoftonline.com',
  scope: 'https://cognitiveservices.azure.com/.default',
};
const HOUR_S = 3600;
const MIN = 60_000;

/** A token endpoint under the test's hand: each request waits until answered (or answers at once with `auto`). */
class TokenEndpoint {
  readonly requests: { clientId: string; secret: string; timeoutMs: number }[] = [];
  readonly #waiting: { resolve: (t: EntraToken) => void; reject: (e: Error) => void }[] = [];
  auto: (() => EntraToken) | undefined;
  issued = 0;

  fetch = (e: EntraConfig, secret: string, timeoutMs: number): Promise<EntraToken> => {
    this.requests.push({ clientId: e.clientId, secret, timeoutMs });
    if (this.auto) return Promise.resolve(this.auto());
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  };

  /** Answers the oldest waiting request with a new token of `expiresInS`. */
  issue(expiresInS = HOUR_S): string {
    const accessToken = `token-${++this.issued}`;
    this.#waiting.shift()!.resolve({ accessToken, expiresInS });
    return accessToken;
  }

  refuse(err: Error): void {
    this.#waiting.shift()!.reject(err);
  }
}

function setup() {
  const endpoint = new TokenEndpoint();
  let now = 1_000_000;
  const refreshed: CredentialRef[] = [];
  const refreshFailures: string[] = [];
  let secret = 'secret-1';
  const tokens = new EntraTokens({
    fetchToken: endpoint.fetch,
    resolveSecret: async () => secret,
    refreshSecret: (ref) => refreshed.push(ref),
    onRefreshFailed: (e, err) => refreshFailures.push(`${e.clientId}: ${(err as Error).message}`),
    now: () => now,
  });
  return {
    endpoint,
    tokens,
    refreshed,
    refreshFailures,
    advance: (ms: number) => (now += ms),
    rotateSecret: (value: string) => (secret = value),
    get: (signal?: AbortSignal) => tokens.token(entra, { timeoutMs: 10_000, signal }),
  };
}

/** Lets the promise callbacks already due run (a fetch resolving its secret, then sending). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('EntraTokens', () => {
  it('fetches a token once and serves it from memory until five minutes before it expires', async () => {
    // Prepare
    const t = setup();
    t.endpoint.auto = () => ({ accessToken: `token-${++t.endpoint.issued}`, expiresInS: HOUR_S });

    // Act
    const first = await t.get();
    t.advance(54 * MIN);
    const later = await t.get();

    // Assess
    expect([first, later]).toEqual(['token-1', 'token-1']);
    expect(t.endpoint.requests).toEqual([{ clientId: 'client-a', secret: 'secret-1', timeoutMs: 10_000 }]);
  });

  it('refreshes ahead of expiry: the call that finds the token due still gets it, and the next call the new one', async () => {
    // Prepare
    const t = setup();
    t.endpoint.auto = () => ({ accessToken: `token-${++t.endpoint.issued}`, expiresInS: HOUR_S });
    await t.get();
    t.advance(56 * MIN);

    // Act
    const due = await t.get();
    await settle();
    const next = await t.get();

    // Assess
    expect(due).toBe('token-1');
    expect(next).toBe('token-2');
    expect(t.endpoint.requests).toHaveLength(2);
  });

  it('refreshes a short-lived token at half its life, and makes calls wait for a new one near its end', async () => {
    // Prepare: a 10-minute token is refreshed after 5 minutes and handed out until 30 seconds before its end.
    const t = setup();
    t.endpoint.auto = () => ({ accessToken: `token-${++t.endpoint.issued}`, expiresInS: 600 });
    await t.get();

    // Act
    t.advance(4 * MIN);
    const young = await t.get();
    t.endpoint.auto = undefined;
    t.advance(5.6 * MIN);
    const waiting = t.get();
    await settle();
    const issued = t.endpoint.issue(600);

    // Assess
    expect(young).toBe('token-1');
    expect(await waiting).toBe(issued);
    expect(t.endpoint.requests).toHaveLength(2);
  });

  it('sends one request for calls that need a token at once, and gives them all its token', async () => {
    // Prepare
    const t = setup();

    // Act
    const calls = Array.from({ length: 5 }, () => t.get());
    await settle();
    const issued = t.endpoint.issue();

    // Assess
    expect(await Promise.all(calls)).toEqual(Array(5).fill(issued));
    expect(t.endpoint.requests).toHaveLength(1);
  });

  it('does not keep a failure: the calls waiting get it, the next call asks again', async () => {
    // Prepare
    const t = setup();
    const calls = [t.get(), t.get()];
    await settle();

    // Act
    t.endpoint.refuse(new CredentialError('cannot reach Entra ID (login.microsoftonline.com): connect ECONNREFUSED'));
    const results = await Promise.allSettled(calls);
    const retry = t.get();
    await settle();
    const issued = t.endpoint.issue();

    // Assess
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await retry).toBe(issued);
    expect(t.endpoint.requests).toHaveLength(2);
    expect(t.refreshed).toEqual([]);
  });

  it('reads the client secret again after Entra refused it, so a rotated secret is picked up', async () => {
    // Prepare
    const t = setup();
    const refused = t.get();
    await settle();

    // Act
    t.endpoint.refuse(new EntraRefusedError('Entra ID refused the token request (401 invalid_client: AADSTS7000215: Invalid client secret provided.)'));
    await expect(refused).rejects.toThrow(/AADSTS7000215/);
    t.rotateSecret('secret-2');
    const retry = t.get();
    await settle();
    t.endpoint.issue();
    await retry;

    // Assess
    expect(t.refreshed).toEqual([entra.clientSecret]);
    expect(t.endpoint.requests.map((r) => r.secret)).toEqual(['secret-1', 'secret-2']);
  });

  it('keeps serving a token whose background refresh failed while it is still good, and tells of the failure', async () => {
    // Prepare
    const t = setup();
    const first = t.get();
    await settle();
    t.endpoint.issue();
    await first;
    t.advance(56 * MIN);

    // Act
    const due = await t.get();
    await settle();
    t.endpoint.refuse(new CredentialError('cannot reach Entra ID: no answer within 10000 ms'));
    await settle();
    const after = await t.get();
    await settle();
    t.advance(30_000);
    const later = await t.get();
    await settle();

    // Assess: the failed refresh was not kept, so a call 30 seconds on started another; the failure was told.
    expect([due, after, later]).toEqual(['token-1', 'token-1', 'token-1']);
    expect(t.endpoint.requests).toHaveLength(3);
    expect(t.refreshFailures).toEqual(['client-a: cannot reach Entra ID: no answer within 10000 ms']);
  });

  it('after a failed background refresh, lets Entra be for 30 seconds before asking again, the token serving meanwhile', async () => {
    // Prepare: a token in its refresh window, and an Entra that answers every request at once with a 503.
    const t = setup();
    const first = t.get();
    await settle();
    t.endpoint.issue();
    await first;
    t.advance(56 * MIN);
    t.endpoint.auto = () => {
      throw new CredentialError('Entra ID refused the token request (503 temporarily_unavailable)');
    };

    // Act: a busy gateway's calls, one after another.
    const served: string[] = [];
    for (let i = 0; i < 20; i++) {
      served.push(await t.get());
      await settle();
      t.advance(1_000);
    }
    const beforeRetry = t.endpoint.requests.length;
    t.advance(10_000);
    served.push(await t.get());
    await settle();

    // Assess: one refresh in the first 30 seconds, not one per call; the next after them.
    expect(served.every((token) => token === 'token-1')).toBe(true);
    expect(beforeRetry).toBe(2);
    expect(t.endpoint.requests).toHaveLength(3);
    expect(t.refreshFailures).toHaveLength(2);
  });

  it('fetches a new token after forget (the upstream refused the one it had)', async () => {
    // Prepare
    const t = setup();
    t.endpoint.auto = () => ({ accessToken: `token-${++t.endpoint.issued}`, expiresInS: HOUR_S });
    await t.get();

    // Act
    t.tokens.forget(entra);
    const next = await t.get();

    // Assess
    expect(next).toBe('token-2');
  });

  it('drops a refused token at most once a minute: a refusal a new token does not mend (no role on the resource) costs no token request per call', async () => {
    // Prepare
    const t = setup();
    t.endpoint.auto = () => ({ accessToken: `token-${++t.endpoint.issued}`, expiresInS: HOUR_S });
    await t.get();

    // Act: Azure answers 403 to every call, twelve in a minute, then one more.
    const served: string[] = [];
    for (let i = 0; i < 12; i++) {
      t.tokens.forget(entra);
      served.push(await t.get());
      t.advance(5_000);
    }
    t.tokens.forget(entra);
    const after = await t.get();

    // Assess
    expect(new Set(served)).toEqual(new Set(['token-2']));
    expect(after).toBe('token-3');
    expect(t.endpoint.requests).toHaveLength(3);
  });

  it('keeps tokens apart per tenant, client and scope', async () => {
    // Prepare
    const t = setup();
    t.endpoint.auto = () => ({ accessToken: `token-${++t.endpoint.issued}`, expiresInS: HOUR_S });

    // Act
    const got = [
      await t.tokens.token(entra, { timeoutMs: 1 }),
      await t.tokens.token({ ...entra, clientId: 'client-b' }, { timeoutMs: 1 }),
      await t.tokens.token({ ...entra, tenantId: 'tenant-b' }, { timeoutMs: 1 }),
      await t.tokens.token({ ...entra, scope: 'api://other/.default' }, { timeoutMs: 1 }),
      await t.tokens.token({ ...entra, clientId: 'CLIENT-A' }, { timeoutMs: 1 }),
    ];

    // Assess
    expect(got).toEqual(['token-1', 'token-2', 'token-3', 'token-4', 'token-1']);
  });

  it('stops waiting when the call’s signal aborts, and the token still serves the calls after it', async () => {
    // Prepare
    const t = setup();
    const deadline = new AbortController();
    const impatient = t.get(deadline.signal);
    const patient = t.get();
    await settle();

    // Act
    deadline.abort(new Error('deadline'));
    await expect(impatient).rejects.toThrow('deadline');
    const issued = t.endpoint.issue();

    // Assess
    expect(await patient).toBe(issued);
    expect(await t.get()).toBe(issued);
    expect(t.endpoint.requests).toHaveLength(1);
  });
});
