import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { EntraConfig } from '../../config/schema';
import { CredentialError } from '../../credentials/credentials';
import { createUpstreamClient, type UpstreamClient } from '../../upstream/http';
import { EntraRefusedError, entraTokenAnswer, entraTokenFetcher, entraTokenRequest } from './entra-token';
import { CLOSED_LOOPBACK_URLS } from '../../../test/fakes/closed-ports';

const SECRET = 'Xq8Q~s3cr3t.value_with~chars';
const entra: EntraConfig = {
  tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  clientId: '0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0',
  clientSecret: { env: 'AZURE_CLIENT_SECRET' },
  authorityHost: 'https://login.microsoftonline.com',
  scope: 'https://cognitiveservices.azure.com/.default',
};

/** Entra's answer to a wrong secret, as the v2.0 endpoint words it. */
const invalidClient = {
  error: 'invalid_client',
  error_description:
    "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0'.\r\nTrace ID: 0d7c1a5e-0000-4000-8000-000000000001\r\nCorrelation ID: 6a1f2b3c-0000-4000-8000-000000000002\r\nTimestamp: 2026-11-26 21:40:00Z",
  error_codes: [7000215],
  timestamp: '2026-11-26 21:40:00Z',
  trace_id: '0d7c1a5e-0000-4000-8000-000000000001',
  correlation_id: '6a1f2b3c-0000-4000-8000-000000000002',
  error_uri: 'https://login.microsoftonline.com/error?code=7000215',
};

describe('entraTokenRequest', () => {
  it('posts the client-credentials grant, form-encoded, to the tenant’s v2.0 endpoint', () => {
    // Act
    const req = entraTokenRequest(entra, SECRET, { timeoutMs: 5_000 });

    // Assess
    expect(req).toMatchObject({
      url: 'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token',
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      headersTimeoutMs: 5_000,
    });
    expect(Object.fromEntries(new URLSearchParams(String(req.body)))).toEqual({
      grant_type: 'client_credentials',
      client_id: entra.clientId,
      client_secret: SECRET,
      scope: 'https://cognitiveservices.azure.com/.default',
    });
  });

  it('goes to a sovereign cloud’s authority, whatever slash it was written with', () => {
    // Act
    const req = entraTokenRequest({ ...entra, authorityHost: 'https://login.microsoftonline.us/', tenantId: 'contoso.onmicrosoft.us' }, SECRET, { timeoutMs: 5_000 });

    // Assess
    expect(req.url).toBe('https://login.microsoftonline.us/contoso.onmicrosoft.us/oauth2/v2.0/token');
  });
});

describe('entraTokenAnswer', () => {
  it.each([
    ['a number', 3599, 3599],
    ['a string (as the v1 endpoint sends it)', '3599', 3599],
  ])('reads the token and its lifetime given as %s', (_what, expiresIn, seconds) => {
    // Act
    const token = entraTokenAnswer(200, JSON.stringify({ token_type: 'Bearer', expires_in: expiresIn, ext_expires_in: expiresIn, access_token: 'eyJ0eXAi.payload.sig' }), entra, SECRET);

    // Assess
    expect(token).toEqual({ accessToken: 'eyJ0eXAi.payload.sig', expiresInS: seconds });
  });

  it.each([
    [
      'a wrong secret (400 invalid_client)',
      400,
      JSON.stringify(invalidClient),
      EntraRefusedError,
      /^Entra ID refused the token request of client 0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0 in tenant 72f988bf-86f1-41af-91ab-2d7cd011db47 \(400 invalid_client: AADSTS7000215: Invalid client secret provided\. .*for a secret added to app '0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0'\.\)$/,
    ],
    ['a body with codes and no description', 401, JSON.stringify({ error: 'unauthorized_client', error_codes: [700016] }), EntraRefusedError, /\(401 unauthorized_client \(AADSTS700016\)\)$/],
    ['a 500 that is not JSON', 500, '<html>Service Unavailable</html>', CredentialError, /\(500 no reason given\)$/],
    ['a 200 that is not JSON', 200, 'ok', CredentialError, /\(200 an answer that is not JSON\)$/],
    ['an answer without a token', 200, JSON.stringify({ token_type: 'Bearer', expires_in: 3599 }), CredentialError, /without an access token and its lifetime$/],
    ['an answer without a lifetime', 200, JSON.stringify({ token_type: 'Bearer', access_token: 'x' }), CredentialError, /without an access token and its lifetime$/],
    ['a token that is not a Bearer token', 200, JSON.stringify({ token_type: 'pop', expires_in: 3599, access_token: 'x' }), CredentialError, /issued a "pop" token/],
  ])('refuses %s with a credential error that says why', (_what, status, text, type, message) => {
    // Act
    const err = captured(() => entraTokenAnswer(status, text, entra, SECRET));

    // Assess
    expect(err).toBeInstanceOf(type);
    expect((err as Error).message).toMatch(message);
  });

  it('never repeats the secret, should Entra echo it', () => {
    // Act
    const err = captured(() => entraTokenAnswer(400, JSON.stringify({ error: 'invalid_request', error_description: `AADSTS900144: bad client_secret=${SECRET}` }), entra, SECRET));

    // Assess
    expect((err as Error).message).not.toContain(SECRET);
    expect((err as Error).message).toContain('client_secret=[client secret]');
  });
});

describe('entraTokenFetcher', () => {
  let client: UpstreamClient;
  let silent: Server;
  let silentUrl: string;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    client = createUpstreamClient();
    silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
    await client.close();
  });

  it('gives up on an endpoint that takes the connection and never answers, within its timeout', async () => {
    // Prepare
    const fetchToken = entraTokenFetcher(client);
    const started = Date.now();

    // Act
    const err = await fetchToken({ ...entra, authorityHost: silentUrl }, SECRET, 300).catch((e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(CredentialError);
    expect((err as Error).message).toMatch(/^cannot reach Entra ID \(127\.0\.0\.1:\d+\) for a token of client .*: no answer within 300 ms$/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('names an endpoint it cannot connect to', async () => {
    // Prepare: a port nothing listens on.
    const [closed] = CLOSED_LOOPBACK_URLS;

    // Act
    const err = await entraTokenFetcher(client)({ ...entra, authorityHost: closed }, SECRET, 2_000).catch((e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(CredentialError);
    expect((err as Error).message).toMatch(/^cannot reach Entra ID \(127\.0\.0\.1:\d+\)/);
    expect((err as Error).message).not.toContain(SECRET);
  });
});

function captured(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}
