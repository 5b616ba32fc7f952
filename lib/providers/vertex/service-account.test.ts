import { generateKeyPairSync, verify } from 'node:crypto';
import { CredentialError, CredentialsUnavailableError } from '../../credentials/credentials';
import type { UpstreamRequest } from '../../upstream/http';
import { CLOUD_PLATFORM_SCOPE, GoogleTokenRefusedError, googleTokenAnswer, googleTokenFetcher, googleTokenRequest, parseServiceAccountKey, signedAssertion } from './service-account';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const EMAIL = 'aigw@my-project-123.iam.gserviceaccount.com';
const KEY_JSON = JSON.stringify({ type: 'service_account', project_id: 'my-project-123', private_key_id: 'abc123', private_key: PEM, client_email: EMAIL, token_uri: 'https://oauth2.googleapis.com/token' });

const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

describe('parseServiceAccountKey', () => {
  it('reads the email, the key, the token endpoint and the key id of a downloaded key file', () => {
    // Act
    const key = parseServiceAccountKey(KEY_JSON);

    // Assess
    expect(key).toMatchObject({ clientEmail: EMAIL, tokenUri: 'https://oauth2.googleapis.com/token', privateKeyId: 'abc123' });
    expect(key.privateKey.asymmetricKeyType).toBe('rsa');
  });

  it.each([
    ['text that is not JSON', 'not json', /is not JSON/],
    ['another kind of credential', JSON.stringify({ type: 'authorized_user', client_id: 'x' }), /type "authorized_user", not a service account/],
    ['a key without client_email', JSON.stringify({ type: 'service_account', private_key: PEM }), /no client_email/],
    ['a key whose private_key is not PEM', JSON.stringify({ client_email: EMAIL, private_key: 'MIIEv-not-pem' }), /no readable private_key/],
  ])('refuses %s with a CredentialError that shows none of it', (_case, text, message) => {
    // Act
    const act = () => parseServiceAccountKey(text);

    // Assess
    expect(act).toThrow(CredentialError);
    expect(act).toThrow(message);
    try {
      act();
    } catch (err) {
      expect((err as Error).message).not.toContain('MIIE');
    }
  });
});

describe('signedAssertion', () => {
  it('signs an RS256 JWT for the account, the token endpoint and cloud-platform, valid an hour', () => {
    // Prepare
    const key = parseServiceAccountKey(KEY_JSON);

    // Act
    const jwt = signedAssertion(key, 1_760_000_000);

    // Assess
    const [header, claims, signature] = jwt.split('.') as [string, string, string];
    expect(decode(header)).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'abc123' });
    expect(decode(claims)).toEqual({ iss: EMAIL, sub: EMAIL, aud: 'https://oauth2.googleapis.com/token', scope: CLOUD_PLATFORM_SCOPE, iat: 1_760_000_000, exp: 1_760_003_600 });
    expect(verify('RSA-SHA256', Buffer.from(`${header}.${claims}`), publicKey, Buffer.from(signature, 'base64url'))).toBe(true);
  });
});

describe('googleTokenRequest', () => {
  it('posts the JWT bearer grant, form-encoded, to the key’s token_uri', () => {
    // Act
    const req = googleTokenRequest(parseServiceAccountKey(KEY_JSON), 'a.b.c', { timeoutMs: 5_000 });

    // Assess
    expect(req).toMatchObject({ url: 'https://oauth2.googleapis.com/token', method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, headersTimeoutMs: 5_000 });
    expect(Object.fromEntries(new URLSearchParams(String(req.body)))).toEqual({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: 'a.b.c' });
  });
});

describe('googleTokenAnswer', () => {
  it.each([
    ['a number', 3599],
    ['a string', '3599'],
  ])('reads the token and its lifetime given as %s', (_case, expiresIn) => {
    // Act
    const token = googleTokenAnswer(200, JSON.stringify({ access_token: 'ya29.c.token', expires_in: expiresIn, token_type: 'Bearer' }), { clientEmail: EMAIL });

    // Assess
    expect(token).toEqual({ accessToken: 'ya29.c.token', expiresInS: 3599 });
  });

  it.each([
    [400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' }, GoogleTokenRefusedError, `Google refused the token request of service account ${EMAIL} (400 invalid_grant: Invalid JWT Signature.)`],
    [401, { error: 'unauthorized_client', error_description: 'Client is unauthorized' }, GoogleTokenRefusedError, '(401 unauthorized_client: Client is unauthorized)'],
    [503, '<html>unavailable</html>', CredentialsUnavailableError, '(503 no reason given)'],
    [429, { error: 'rate_limit_exceeded' }, CredentialsUnavailableError, '(429 rate_limit_exceeded)'],
    [403, { error: 'access_denied' }, CredentialError, '(403 access_denied)'],
    [200, { token_type: 'Bearer' }, CredentialError, 'without an access token and its lifetime'],
  ])('turns a %s answer into the account’s credential error', (status, body, type, message) => {
    // Act
    const act = () => googleTokenAnswer(status, typeof body === 'string' ? body : JSON.stringify(body), { clientEmail: EMAIL });

    // Assess
    expect(act).toThrow(type);
    expect(act).toThrow(message);
  });

  it('does not call a 503 a refusal, so the key is not read again for it, but a failure that mends by itself', () => {
    // Act
    const act = () => googleTokenAnswer(503, '{}', { clientEmail: EMAIL });

    // Assess
    expect(act).toThrow(CredentialsUnavailableError);
    expect(act).not.toThrow(GoogleTokenRefusedError);
  });

  it('does not call a 403 a failure that mends by itself', () => {
    expect(() => googleTokenAnswer(403, '{}', { clientEmail: EMAIL })).not.toThrow(CredentialsUnavailableError);
  });
});

describe('googleTokenFetcher', () => {
  it('sends a fresh assertion through the upstream client and reads the token', async () => {
    // Prepare
    const sent: UpstreamRequest[] = [];
    const upstream = {
      send: async (req: UpstreamRequest) => {
        sent.push(req);
        return { status: 200, headers: {}, body: { text: async () => '{"access_token":"ya29.x","expires_in":3599,"token_type":"Bearer"}' } } as never;
      },
    };

    // Act
    const token = await googleTokenFetcher(upstream, () => 1_760_000_000_500)(parseServiceAccountKey(KEY_JSON), 10_000);

    // Assess
    expect(token).toEqual({ accessToken: 'ya29.x', expiresInS: 3599 });
    const assertion = new URLSearchParams(String(sent[0]!.body)).get('assertion')!;
    expect(decode(assertion.split('.')[1]!)).toMatchObject({ iat: 1_760_000_000, exp: 1_760_003_600 });
    expect(sent[0]!.signal).toBeDefined();
  });

  it('reports an unreachable endpoint as a credential error naming the host, not the key', async () => {
    // Prepare
    const upstream = { send: async () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:9')) };

    // Act
    const err = await googleTokenFetcher(upstream)(parseServiceAccountKey(KEY_JSON), 10_000).catch((e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(CredentialsUnavailableError);
    expect((err as Error).message).toBe(`cannot reach Google's token endpoint (oauth2.googleapis.com) for service account ${EMAIL}: connect ECONNREFUSED 127.0.0.1:9`);
  });
});
