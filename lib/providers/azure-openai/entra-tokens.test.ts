import { settle, TokenEndpoint } from '../../../test/token-endpoint';
import type { CredentialRef, EntraConfig } from '../../config/schema';
import { EntraRefusedError } from './entra-token';
import { EntraTokens } from './entra-tokens';

const entra: EntraConfig = {
  tenantId: 'tenant-a',
  clientId: 'client-a',
  clientSecret: { env: 'AZURE_CLIENT_SECRET' },
  authorityHost: 'https://login.microsoftonline.com',
  scope: 'https://cognitiveservices.azure.com/.default',
};

function setup() {
  const endpoint = new TokenEndpoint<{ clientId: string; secret: string; timeoutMs: number }>();
  let now = 1_000_000;
  const refreshed: CredentialRef[] = [];
  const refreshFailures: string[] = [];
  let secret = 'secret-1';
  const tokens = new EntraTokens({
    fetchToken: (e, secret, timeoutMs) => endpoint.receive({ clientId: e.clientId, secret, timeoutMs }),
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
    t.endpoint.auto = () => t.endpoint.next();

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
