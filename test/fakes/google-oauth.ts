/**
 * A fake Google OAuth2 token endpoint (https://oauth2.googleapis.com/token) on 127.0.0.1, for
 * service accounts: `POST /token` with the JWT bearer grant, form-encoded. It checks what Google
 * checks: the grant type, the assertion's RS256 signature with the service account's public key,
 * its claims (`iss` a known account, `aud` this endpoint, a scope, `iat`/`exp` within the hour and
 * not expired), and answers with Google's bodies (`{access_token, expires_in, token_type}`, or
 * `{error, error_description}` as Google words each mistake). Tokens live `expiresInS` (short, for
 * tests) and the fake Vertex checks them with `accepts`.
 *
 * @example
 * const sa = testServiceAccount('aigw@my-project.iam.gserviceaccount.com');
 * const google = await startFakeGoogleOAuth({ accounts: [sa], expiresInS: 2 });
 * const keyJson = sa.keyJson(google.tokenUri);  // what the gateway's `serviceAccount` reference resolves to
 */
import { generateKeyPairSync, randomBytes, verify, type KeyObject } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback, readBodyBytes, recordRequest, type RecordedRequest } from './http';

export const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';

/** A service account as a test holds it: its email, its key pair, and its JSON key for a token endpoint. */
export interface TestServiceAccount {
  clientEmail: string;
  privateKeyId: string;
  publicKey: KeyObject;
  /** The key file Google Cloud's console downloads, pointing at `tokenUri`. */
  keyJson(tokenUri: string): string;
}

/** A new service account with a fresh 2048-bit RSA key (as Google issues them). */
export function testServiceAccount(clientEmail: string): TestServiceAccount {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyId = randomBytes(20).toString('hex');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const project = /@([^.]+)\./.exec(clientEmail)?.[1] ?? 'test-project';
  return {
    clientEmail,
    privateKeyId,
    publicKey,
    keyJson: (tokenUri) =>
      JSON.stringify({
        type: 'service_account',
        project_id: project,
        private_key_id: privateKeyId,
        private_key: pem,
        client_email: clientEmail,
        client_id: '1'.repeat(21),
        auth_uri: 'https://accounts.google.com/o/oauth2/auth',
        token_uri: tokenUri,
        auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
        client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(clientEmail)}`,
        universe_domain: 'googleapis.com',
      }),
  };
}

export interface FakeGoogleOAuthOptions {
  /** The service accounts whose keys it knows; others are refused as deleted accounts are. */
  accounts: TestServiceAccount[];
  /** Lifetime of the tokens issued, in seconds. Default 3599 (Google's usual). */
  expiresInS?: number;
  /**
   * Epoch ms: when a token issued now expires, and whether one has (what Vertex checks). A test
   * gives the gateway's clock, so that a token lapses when the test moves that clock, for both
   * sides at once. The assertion's `iat`/`exp` are checked by the wall clock, which signs them.
   */
  now?: () => number;
}

export interface FakeGoogleOAuth {
  /** The token endpoint, e.g. `http://127.0.0.1:41234/token` (a key's `token_uri`). */
  tokenUri: string;
  requests: RecordedRequest[];
  /** Tokens issued, oldest first, with whom to. */
  issued: { token: string; clientEmail: string }[];
  /** The `error_description` of every refusal, oldest first. */
  refused: string[];
  /** Lifetime of tokens issued from now on. */
  expiresInS: number;
  /** Whether `token` is one this fake issued and has not expired, and to whom: what Vertex checks. */
  holder(token: string): string | undefined;
  /** Forgets a service account's key from now on (the key deleted in the console). */
  deleteKey(clientEmail: string): void;
  close(): Promise<void>;
}

export async function startFakeGoogleOAuth(options: FakeGoogleOAuthOptions): Promise<FakeGoogleOAuth> {
  const accounts = new Map(options.accounts.map((a) => [a.clientEmail, a]));
  const live = new Map<string, { clientEmail: string; until: number }>();
  const now = options.now ?? Date.now;
  let tokenUri = '';
  const fake: Omit<FakeGoogleOAuth, 'tokenUri' | 'close'> = {
    requests: [],
    issued: [],
    refused: [],
    expiresInS: options.expiresInS ?? 3599,
    holder: (token) => {
      const entry = live.get(token);
      return entry && entry.until > now() ? entry.clientEmail : undefined;
    },
    deleteKey: (email) => void accounts.delete(email),
  };

  const server = createServer((req, res) => {
    void (async () => {
      const raw = await readBodyBytes(req);
      const record = recordRequest(req, raw.toString('utf8'), Date.now());
      fake.requests.push(record);
      const refuse = (status: number, error: string, description: string) => {
        fake.refused.push(description);
        writeJson(res, status, { error, error_description: description });
      };
      if (req.method !== 'POST' || record.path !== '/token') return writeJson(res, 404, { error: 'not_found' });
      const form = new URLSearchParams(record.rawBody);
      if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return refuse(400, 'unsupported_grant_type', 'Invalid grant_type: ' + String(form.get('grant_type')));
      const assertion = form.get('assertion') ?? '';
      const [h, c, s] = assertion.split('.');
      if (!h || !c || !s) return refuse(400, 'invalid_request', 'Invalid JWT: missing the assertion or one of its parts');
      let header: Record<string, unknown>;
      let claims: Record<string, unknown>;
      try {
        header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, unknown>;
        claims = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as Record<string, unknown>;
      } catch {
        return refuse(400, 'invalid_grant', 'Invalid JWT: the header or the claims are not base64url JSON');
      }
      if (header.alg !== 'RS256') return refuse(400, 'invalid_grant', `Invalid JWT: alg ${String(header.alg)} (only RS256)`);
      const account = accounts.get(String(claims.iss));
      // Google says "Invalid JWT Signature." for a deleted key as for a wrong one: it has no key to check with.
      if (!account) return refuse(400, 'invalid_grant', 'Invalid JWT Signature.');
      if (!verify('RSA-SHA256', Buffer.from(`${h}.${c}`), account.publicKey, Buffer.from(s, 'base64url'))) return refuse(400, 'invalid_grant', 'Invalid JWT Signature.');
      if (header.kid !== undefined && header.kid !== account.privateKeyId) return refuse(400, 'invalid_grant', 'Invalid JWT Signature.');
      if (claims.sub !== undefined && claims.sub !== claims.iss) return refuse(401, 'unauthorized_client', 'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.');
      if (claims.aud !== tokenUri) return refuse(400, 'invalid_grant', `Invalid JWT: Failed audience check. The right audience is ${tokenUri}`);
      const nowS = Math.floor(Date.now() / 1000);
      const iat = Number(claims.iat);
      const exp = Number(claims.exp);
      if (!Number.isInteger(iat) || !Number.isInteger(exp) || exp - iat > 3600 || iat > nowS + 300 || exp < nowS) {
        return refuse(400, 'invalid_grant', 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.');
      }
      if (typeof claims.scope !== 'string' || !claims.scope.split(' ').includes(CLOUD_PLATFORM)) return refuse(400, 'invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
      const token = `ya29.c.${randomBytes(48).toString('base64url')}`;
      live.set(token, { clientEmail: account.clientEmail, until: now() + fake.expiresInS * 1000 });
      fake.issued.push({ token, clientEmail: account.clientEmail });
      writeJson(res, 200, { access_token: token, expires_in: fake.expiresInS, token_type: 'Bearer' });
    })().catch((err: unknown) => {
      // A bug in the fake: answer as Google's front end fails, so no test waits out a timeout.
      if (!res.headersSent) writeJson(res, 500, { error: 'internal_failure', error_description: `fake-google-oauth failed: ${(err as Error).message}` });
    });
  });
  const origin = await listenOnLoopback(server);
  tokenUri = `${origin}/token`;
  return Object.assign(fake, { tokenUri, close: () => closeServer(server) });
}

function writeJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache, no-store, max-age=0, must-revalidate' });
  res.end(text);
}
