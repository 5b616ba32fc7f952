/**
 * A fake Microsoft Entra ID token endpoint on 127.0.0.1 (it stands for the authority host,
 * https://login.microsoftonline.com): `POST /{tenant}/oauth2/v2.0/token` with the
 * client-credentials grant, form-encoded. It checks the tenant, the grant type, the client id and
 * secret and the scope as Entra does, answers with Entra's bodies (`{token_type, expires_in,
 * ext_expires_in, access_token}`, or `{error, error_description, error_codes, …}` with the AADSTS
 * code Entra gives for each mistake), and issues tokens that live `expiresInS` (short, for tests)
 * and that the fake Azure OpenAI resource can check (`accepts`), as Azure checks Entra's signature.
 *
 * @example
 * const entra = await startFakeEntra({ tenantId: TENANT, clientId: CLIENT, clientSecret: 'secret', expiresInS: 2 });
 * const azure = await startFakeAzureOpenAI({ entra });
 * // … an account with entra: { tenantId: TENANT, clientId: CLIENT, clientSecret: {env: …}, authorityHost: entra.url } …
 * entra.refuse('unavailable');
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback, readBodyBytes, recordRequest, type RecordedRequest } from './http';

export const COGNITIVE_SERVICES_SCOPE = 'https://cognitiveservices.azure.com/.default';

export interface FakeEntraOptions {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** The scope a token may be asked for. Default Azure AI services'. */
  scope?: string;
  /** Lifetime of the tokens issued, in seconds. Default 3599 (Entra's usual). */
  expiresInS?: number;
  /**
   * Epoch ms: when a token issued now expires, and whether one has (what Azure checks). A test
   * gives the gateway's clock, so that a token lapses when the test moves that clock, for both
   * sides at once. The token's own `iat`/`exp` claims stay on the wall clock.
   */
  now?: () => number;
}

/** How the fake refuses, when told to: the secret was rotated away, or the endpoint is unwell. */
export type EntraRefusal = 'invalid_client' | 'unavailable';

export interface FakeEntra {
  /** The authority host, e.g. `http://127.0.0.1:41234`. */
  url: string;
  requests: RecordedRequest[];
  /** Tokens issued, oldest first. */
  issued: string[];
  /** The `error` of every refusal, oldest first. */
  refused: string[];
  /** Lifetime of tokens issued from now on. */
  expiresInS: number;
  /** Refuses every token request from now on in this way, or issues again (`undefined`). */
  refuse(how: EntraRefusal | undefined): void;
  /** Whether `token` is one this fake issued for the scope, not expired and not revoked: what Azure checks. */
  accepts(token: string): boolean;
  /** Makes a token it issued invalid (as a revoked session or a role removed would, for Azure). */
  revoke(token: string): void;
  close(): Promise<void>;
}

export async function startFakeEntra(options: FakeEntraOptions): Promise<FakeEntra> {
  const scope = options.scope ?? COGNITIVE_SERVICES_SCOPE;
  const live = new Map<string, number>();
  const now = options.now ?? Date.now;
  let refusal: EntraRefusal | undefined;
  const fake: Omit<FakeEntra, 'url' | 'close'> = {
    requests: [],
    issued: [],
    refused: [],
    expiresInS: options.expiresInS ?? 3599,
    refuse: (how) => void (refusal = how),
    accepts: (token) => (live.get(token) ?? 0) > now(),
    revoke: (token) => void live.delete(token),
  };

  const server = createServer((req, res) => {
    void (async () => {
      const raw = await readBodyBytes(req);
      const record = recordRequest(req, raw.toString('utf8'), Date.now());
      fake.requests.push(record);
      const refuse = (status: number, error: string, code: number, description: string) => {
        fake.refused.push(error);
        writeError(res, status, error, code, description);
      };
      const path = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(record.path);
      if (req.method !== 'POST' || !path) return refuse(404, 'invalid_request', 900561, 'The endpoint only accepts POST requests.');
      const tenant = decodeURIComponent(path[1]!);
      if (tenant !== options.tenantId) return refuse(400, 'invalid_tenant', 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
      if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
        return refuse(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'grant_type'.");
      }
      if (refusal === 'unavailable') return refuse(503, 'temporarily_unavailable', 50196, 'The server is temporarily unavailable. Please try again later.');
      const form = new URLSearchParams(record.rawBody);
      const grant = form.get('grant_type');
      if (grant !== 'client_credentials') return refuse(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grant}'.`);
      const clientId = form.get('client_id');
      if (clientId !== options.clientId) {
        return refuse(400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${tenant}'.`);
      }
      if (refusal === 'invalid_client' || form.get('client_secret') !== options.clientSecret) {
        return refuse(
          401,
          'invalid_client',
          7000215,
          `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
        );
      }
      const asked = form.get('scope') ?? '';
      if (!asked.endsWith('/.default')) {
        return refuse(400, 'invalid_scope', 1002012, `The provided value for scope ${asked} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
      }
      if (asked !== scope) return refuse(400, 'invalid_resource', 500011, `The resource principal named ${asked.replace(/\/\.default$/, '')} was not found in the tenant named ${tenant}.`);
      const token = accessToken(tenant, clientId, fake.expiresInS);
      live.set(token, now() + fake.expiresInS * 1000);
      fake.issued.push(token);
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store, no-cache' });
      res.end(JSON.stringify({ token_type: 'Bearer', expires_in: fake.expiresInS, ext_expires_in: fake.expiresInS, access_token: token }));
    })();
  });
  const url = await listenOnLoopback(server);
  return Object.assign(fake, { url, close: () => closeServer(server) });
}

/** A token shaped as Entra's are (a JWT with the audience, tenant, app and expiry); only the fake reads it. */
function accessToken(tenant: string, appId: string, expiresInS: number): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return [
    part({ typ: 'JWT', alg: 'RS256', kid: 'fake' }),
    part({ aud: 'https://cognitiveservices.azure.com', iss: `https://sts.windows.net/${tenant}/`, iat: now, nbf: now, exp: now + expiresInS, appid: appId, tid: tenant, oid: randomUUID() }),
    randomBytes(32).toString('base64url'),
  ].join('.');
}

/** Entra's error body: the AADSTS code leads the description, with its trace and correlation ids after it. */
function writeError(res: ServerResponse, status: number, error: string, code: number, description: string): void {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(
    JSON.stringify({
      error,
      error_description: `AADSTS${code}: ${description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    }),
  );
}
