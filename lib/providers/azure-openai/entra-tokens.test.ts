import type { CredentialRef, EntraConfig } from '../../config/schema';
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
});
