/**
 * A fake AWS STS on 127.0.0.1 for Bedrock accounts that assume a role: it checks the SigV4
 * signature of every request (service `sts`, made with the source credentials it was given),
 * serves the Query API's `AssumeRole` (form-encoded `Action=AssumeRole&Version=2011-06-15&…`) for
 * the roles it was told exist, answers with STS's XML (`AssumeRoleResponse`, or `ErrorResponse`
 * with `AccessDenied` as STS sends it for a role that does not exist or does not trust the caller,
 * or for a wrong external id), and issues temporary credentials that the fake Bedrock can honour
 * (`temporary`).
 *
 * @example
 * const sts = await startFakeSts({ accessKeyId: 'AKIDSRC', secretAccessKey: 'src-secret', region: 'us-east-1', roles: { [ROLE]: {} } });
 * const bedrock = await startFakeBedrock({ …, temporary: sts.temporary });
 * // … a Bedrock account with assumeRole: { roleArn: ROLE } and stsEndpoint: sts.url …
 * expect(sts.calls).toHaveLength(1);
 */
import { randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback, randomAlnum, readBodyBytes, recordRequest, sleep } from './http';
import { checkSigV4, type TemporaryCredentials } from './sigv4-check';

export interface FakeStsOptions {
  /** The source credentials allowed to assume the roles (the gateway's own, or an account's access key). */
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** Roles that exist and trust the source, by ARN; `externalId` when the trust policy asks for one. */
  roles: Record<string, { externalId?: string }>;
  /** How long issued credentials last; the request's DurationSeconds (default 3600) when absent. */
  expiresInSeconds?: number;
  /** Wait this long before answering (so concurrent first calls overlap). */
  delayMs?: number;
}

/** One AssumeRole call as the fake read it, and what came of it. */
export interface AssumeRoleCall {
  roleArn: string;
  roleSessionName: string;
  externalId: string | undefined;
  durationSeconds: number | undefined;
  /** The access key id it issued, or the error code it answered. */
  issued?: string;
  error?: string;
}

/** Temporary credentials the fake issued, and for which role. */
export interface IssuedCredentials extends TemporaryCredentials {
  accessKeyId: string;
  roleArn: string;
}

export interface FakeSts {
  url: string;
  /** Every well-signed AssumeRole call, oldest first. */
  calls: AssumeRoleCall[];
  /** Requests refused before reading the action (bad signature…), with the error type each got. */
  refused: string[];
  /** Everything issued, by access key id. */
  issued: Map<string, IssuedCredentials>;
  /** The lookup the fake Bedrock takes: credentials issued for `roleArn` (any role when absent). */
  temporaryFor(roleArn?: string): (accessKeyId: string) => TemporaryCredentials | undefined;
  /** Changes how long credentials issued from now on last. */
  setExpiresInSeconds(seconds: number | undefined): void;
  reset(): void;
  close(): Promise<void>;
}

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

export async function startFakeSts(options: FakeStsOptions): Promise<FakeSts> {
  const calls: AssumeRoleCall[] = [];
  const refused: string[] = [];
  const issued = new Map<string, IssuedCredentials>();
  let expiresInSeconds = options.expiresInSeconds;
  const closing = new AbortController();
  const server = createServer((req, res) => {
    void (async () => {
      const raw = await readBodyBytes(req);
      const record = recordRequest(req, raw.toString('utf8'), Date.now());
      const { accessKeyId, secretAccessKey, region } = options;
      const rejection = await checkSigV4(req, record, raw, { accessKeyId, secretAccessKey, region, service: 'sts' });
      if (rejection) {
        refused.push(rejection.type);
        return fail(res, rejection.status, rejection.type, rejection.message);
      }
      const form = new URLSearchParams(record.rawBody);
      if (req.method !== 'POST' || form.get('Action') !== 'AssumeRole' || form.get('Version') !== '2011-06-15') {
        refused.push('InvalidAction');
        return fail(res, 400, 'InvalidAction', `Could not find operation ${form.get('Action')} for version ${form.get('Version')}`);
      }
      const duration = form.get('DurationSeconds');
      const call: AssumeRoleCall = {
        roleArn: form.get('RoleArn') ?? '',
        roleSessionName: form.get('RoleSessionName') ?? '',
        externalId: form.get('ExternalId') ?? undefined,
        durationSeconds: duration === null ? undefined : Number(duration),
      };
      calls.push(call);
      if (options.delayMs) await sleep(options.delayMs, closing.signal);
      if (closing.signal.aborted) return;
      const refusal = refusalOf(call, options, accessKeyId);
      if (refusal) {
        call.error = refusal.code;
        return fail(res, refusal.status, refusal.code, refusal.message);
      }
      const lasts = expiresInSeconds ?? call.durationSeconds ?? 3600;
      // STS writes the expiry to the second.
      const expiresAt = Math.floor((Date.now() + lasts * 1000) / 1000) * 1000;
      const credentials: IssuedCredentials = {
        accessKeyId: `ASIA${randomAlnum(16).toUpperCase()}`,
        secretAccessKey: randomAlnum(40),
        sessionToken: `FwoGZXIvYXdzE${randomAlnum(120)}`,
        expiresAt,
        roleArn: call.roleArn,
      };
      issued.set(credentials.accessKeyId, credentials);
      call.issued = credentials.accessKeyId;
      const roleName = call.roleArn.split('/').pop();
      const accountId = call.roleArn.split(':')[4];
      res.writeHead(200, { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() });
      res.end(
        `<AssumeRoleResponse xmlns="${NS}">\n` +
          `  <AssumeRoleResult>\n` +
          `    <AssumedRoleUser>\n` +
          `      <AssumedRoleId>AROA${randomAlnum(17).toUpperCase()}:${call.roleSessionName}</AssumedRoleId>\n` +
          `      <Arn>arn:aws:sts::${accountId}:assumed-role/${roleName}/${call.roleSessionName}</Arn>\n` +
          `    </AssumedRoleUser>\n` +
          `    <Credentials>\n` +
          `      <AccessKeyId>${credentials.accessKeyId}</AccessKeyId>\n` +
          `      <SecretAccessKey>${credentials.secretAccessKey}</SecretAccessKey>\n` +
          `      <SessionToken>${credentials.sessionToken}</SessionToken>\n` +
          `      <Expiration>${new Date(expiresAt).toISOString().replace('.000Z', 'Z')}</Expiration>\n` +
          `    </Credentials>\n` +
          `  </AssumeRoleResult>\n` +
          `  <ResponseMetadata>\n` +
          `    <RequestId>${randomUUID()}</RequestId>\n` +
          `  </ResponseMetadata>\n` +
          `</AssumeRoleResponse>\n`,
      );
    })();
  });
  const url = await listenOnLoopback(server);
  return {
    url,
    calls,
    refused,
    issued,
    temporaryFor: (roleArn) => (id) => {
      const found = issued.get(id);
      return found && (!roleArn || found.roleArn === roleArn) ? found : undefined;
    },
    setExpiresInSeconds: (seconds) => {
      expiresInSeconds = seconds;
    },
    reset: () => {
      calls.length = 0;
      refused.length = 0;
    },
    close: () => {
      // A reply still waiting out its delay ends now: its timer would hold the test's process open.
      closing.abort();
      return closeServer(server);
    },
  };
}

/** STS's answer to a call it refuses: a malformed one (400 ValidationError), or one not allowed (403 AccessDenied). */
function refusalOf(call: AssumeRoleCall, options: FakeStsOptions, sourceKeyId: string): { status: number; code: string; message: string } | undefined {
  if (!/^[\w+=,.@-]{2,64}$/.test(call.roleSessionName)) {
    return { status: 400, code: 'ValidationError', message: `1 validation error detected: Value '${call.roleSessionName}' at 'roleSessionName' failed to satisfy constraint` };
  }
  if (call.durationSeconds !== undefined && (call.durationSeconds < 900 || call.durationSeconds > 43200)) {
    return { status: 400, code: 'ValidationError', message: `1 validation error detected: Value '${call.durationSeconds}' at 'durationSeconds' failed to satisfy constraint` };
  }
  const role = options.roles[call.roleArn];
  // STS gives one answer for a missing role, a role that does not trust the caller and a wrong
  // external id, so a caller cannot tell which roles exist.
  if (!role || role.externalId !== call.externalId) {
    return { status: 403, code: 'AccessDenied', message: `User: arn:aws:iam::000000000000:user/${sourceKeyId} is not authorized to perform: sts:AssumeRole on resource: ${call.roleArn}` };
  }
  return undefined;
}

function fail(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'text/xml' });
  res.end(`<ErrorResponse xmlns="${NS}">\n  <Error>\n    <Type>Sender</Type>\n    <Code>${code}</Code>\n    <Message>${escapeXml(message)}</Message>\n  </Error>\n  <RequestId>${randomUUID()}</RequestId>\n</ErrorResponse>\n`);
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
