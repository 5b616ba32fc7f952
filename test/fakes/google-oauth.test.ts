/**
 * The fake Google OAuth endpoint and the fake Vertex, on their own: what they take and what they
 * refuse, so the gateway's tests can trust their word. Assertions are built here by hand (with
 * node:crypto), not by the gateway's code, so a mistake there cannot hide behind the same one here.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { CLOUD_PLATFORM, startFakeGoogleOAuth, testServiceAccount, type FakeGoogleOAuth, type TestServiceAccount } from './google-oauth';
import { startFakeVertex, type FakeVertex } from './vertex';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('fake Google OAuth and fake Vertex', () => {
  let sa: TestServiceAccount;
  let google: FakeGoogleOAuth;
  let vertex: FakeVertex;

  beforeAll(async () => {
    sa = testServiceAccount('fake-test@proj-one.iam.gserviceaccount.com');
    google = await startFakeGoogleOAuth({ accounts: [sa] });
    vertex = await startFakeVertex({ oauth: google, grants: { 'proj-one': [sa.clientEmail] } });
  });
  afterAll(async () => Promise.all([google.close(), vertex.close()]));

  /** An assertion signed with `key` (the account's own by default), with `claims` over the right ones. */
  function assertion(claims: Record<string, unknown> = {}, key = JSON.parse(sa.keyJson(google.tokenUri)).private_key as string): string {
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ iss: sa.clientEmail, aud: google.tokenUri, scope: CLOUD_PLATFORM, iat: now, exp: now + 3600, ...claims })}`;
    return `${unsigned}.${sign('RSA-SHA256', Buffer.from(unsigned), key).toString('base64url')}`;
  }
  const ask = (jwt: string, grant = 'urn:ietf:params:oauth:grant-type:jwt-bearer') =>
    fetch(google.tokenUri, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: grant, assertion: jwt }).toString() });

  it('issues a token for a well-signed assertion, which Vertex then takes', async () => {
    // Act
    const res = await ask(assertion());
    const body = (await res.json()) as { access_token: string; expires_in: number; token_type: string };
    const answer = await fetch(`${vertex.url}/v1/projects/proj-one/locations/us-east5/publishers/google/models/gemini-2.5-flash:countTokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${body.access_token}`, 'content-type': 'application/json' },
      body: '{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}',
    });

    // Assess
    expect(res.status).toBe(200);
    expect(body).toMatchObject({ expires_in: 3599, token_type: 'Bearer' });
    expect(google.holder(body.access_token)).toBe(sa.clientEmail);
    expect(answer.status).toBe(200);
  });

  it.each([
    ['a signature by another key', () => assertion({}, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()), 'Invalid JWT Signature.'],
    ['another audience', () => assertion({ aud: 'https://oauth2.googleapis.com/token' }), 'Invalid JWT: Failed audience check.'],
    ['an assertion valid longer than an hour', () => assertion({ exp: Math.floor(Date.now() / 1000) + 7200 }), 'Invalid JWT: Token must be a short-lived token'],
    ['an expired assertion', () => assertion({ iat: 1_000_000, exp: 1_003_600 }), 'Invalid JWT: Token must be a short-lived token'],
    ['no cloud-platform scope', () => assertion({ scope: 'https://www.googleapis.com/auth/drive' }), 'Invalid OAuth scope'],
    ['an unknown account', () => assertion({ iss: 'nobody@proj-one.iam.gserviceaccount.com' }), 'Invalid JWT Signature.'],
  ])('refuses %s with 400 and Google’s words', async (_case, jwt, message) => {
    // Act
    const res = await ask(jwt());
    const body = (await res.json()) as { error: string; error_description: string };

    // Assess
    expect(res.status).toBe(400);
    expect(body.error_description).toContain(message);
  });

  it.each([
    ['no token', undefined, '/v1/projects/proj-one/locations/us-east5/publishers/anthropic/models/claude-x:rawPredict', 401, 'UNAUTHENTICATED'],
    ['a project the account has no role on', 'good', '/v1/projects/proj-two/locations/us-east5/publishers/anthropic/models/claude-x:rawPredict', 403, 'PERMISSION_DENIED'],
  ])('Vertex refuses %s', async (_case, token, path, status, googleStatus) => {
    // Prepare
    const bearer = token ? ((await (await ask(assertion())).json()) as { access_token: string }).access_token : undefined;

    // Act
    const res = await fetch(`${vertex.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) }, body: '{}' });

    // Assess
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: { status: string } }).error.status).toBe(googleStatus);
  });

  it.each([
    ['a body naming the model', { model: 'claude-x', anthropic_version: 'vertex-2023-10-16', max_tokens: 5, messages: [] }, 'model: Extra inputs are not permitted'],
    ['a body without Vertex’s version', { max_tokens: 5, messages: [] }, "anthropic_version: Input should be 'vertex-2023-10-16'"],
  ])('Claude on Vertex refuses %s in Anthropic’s shape', async (_case, body, message) => {
    // Prepare
    const bearer = ((await (await ask(assertion())).json()) as { access_token: string }).access_token;

    // Act
    const res = await fetch(`${vertex.url}/v1/projects/proj-one/locations/us-east5/publishers/anthropic/models/claude-x:rawPredict`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

    // Assess
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message } });
  });
});
