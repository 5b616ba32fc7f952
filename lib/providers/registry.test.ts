import { generateKeyPairSync } from 'node:crypto';
import type { EntraConfig } from '../config/schema';
import { LocalCredentials } from '../credentials/local';
import { silentLogger } from '../observe/logger';
import type { UpstreamRequest } from '../upstream/http';
import { createProviderRegistry } from './registry';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const KEY_JSON = JSON.stringify({
  type: 'service_account',
  private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  client_email: 'aigw@my-project-123.iam.gserviceaccount.com',
  token_uri: 'https://oauth2.googleapis.com/token',
});
const ENTRA: EntraConfig = {
  tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  clientId: '0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0',
  clientSecret: { env: 'AZURE_CLIENT_SECRET' },
  authorityHost: 'https://login.microsoftonline.com',
  scope: 'https://cognitiveservices.azure.com/.default',
};
const HOUR_MS = 3_600_000;

/** A token endpoint (Google's or Entra's) that issues hour-long tokens and keeps what it was sent. */
function tokenEndpoint() {
  const sent: UpstreamRequest[] = [];
  const upstream = {
    send: async (req: UpstreamRequest) => {
      sent.push(req);
      const answer = JSON.stringify({ token_type: 'Bearer', access_token: `token-${sent.length}`, expires_in: 3600 });
      return { status: 200, headers: {}, body: { text: async () => answer } } as never;
    },
  };
  return { sent, upstream };
}

describe('createProviderRegistry', () => {
  it('keeps Google and Entra tokens by the gateway clock, and signs Google assertions by the wall clock', async () => {
    // Prepare: the gateway's clock a day behind the wall clock, as a test's may be.
    let gatewayNow = Date.now() - 24 * HOUR_MS;
    const { sent, upstream } = tokenEndpoint();
    const credentials = new LocalCredentials({ VERTEX_KEY: KEY_JSON, AZURE_CLIENT_SECRET: 'secret' });
    const registry = createProviderRegistry(credentials, upstream, silentLogger, () => gatewayNow);
    const both = async () => [await registry.vertexTokens.token({ env: 'VERTEX_KEY' }, { timeoutMs: 1000 }), await registry.entraTokens.token(ENTRA, { timeoutMs: 1000 })];

    // Act
    const first = await both();
    gatewayNow += HOUR_MS;
    const second = await both();

    // Assess: each token was renewed when the gateway's clock said it had expired, not before.
    expect(first).toEqual(['token-1', 'token-2']);
    expect(second).toEqual(['token-3', 'token-4']);
    const assertion = new URLSearchParams(String(sent[0]!.body)).get('assertion')!;
    const { iat } = JSON.parse(Buffer.from(assertion.split('.')[1]!, 'base64url').toString('utf8')) as { iat: number };
    expect(Math.abs(iat - Date.now() / 1000)).toBeLessThan(60);
  });
});
