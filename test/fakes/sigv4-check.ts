/**
 * AWS's SigV4 check, as the fakes of AWS services (Bedrock, SNS) run it: the signature recomputed
 * from the method, path, query, signed headers and body bytes with the secret the fake was given.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../../lib/cli/sigv4';
import type { RecordedRequest } from './http';

/** Who may call the fake, and as which service in which Region. */
export interface SigV4Expectation {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  service: string;
  /** Temporary credentials the fake also honours (a fake STS's), by access key id. */
  temporary?: (accessKeyId: string) => TemporaryCredentials | undefined;
}

/** A set of temporary credentials as STS issued them: the request must carry the token, before it expires. */
export interface TemporaryCredentials {
  secretAccessKey: string;
  sessionToken: string;
  /** Epoch ms. */
  expiresAt: number;
}

/** Why AWS would refuse the request: its error type, message and status. */
export interface SigV4Rejection {
  type: string;
  message: string;
  status: number;
}

const CLOCK_SKEW_MS = 5 * 60_000;

/** AWS's checks, in AWS's order, with AWS's answers; undefined when the signature holds. */
export async function checkSigV4(req: IncomingMessage, record: Pick<RecordedRequest, 'method' | 'path' | 'search'>, body: Buffer, expected: SigV4Expectation): Promise<SigV4Rejection | undefined> {
  const reject = (type: string, message: string, status = 403): SigV4Rejection => ({ type, message, status });
  const auth = req.headers.authorization;
  if (!auth) return reject('MissingAuthenticationTokenException', 'Missing Authentication Token');
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^, ]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return reject('IncompleteSignatureException', `Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters.`);
  const [, keyId = '', , region, service, signedList = '', signature] = m;
  const temporary = keyId === expected.accessKeyId ? undefined : expected.temporary?.(keyId);
  if (keyId !== expected.accessKeyId && !temporary) return reject('UnrecognizedClientException', 'The security token included in the request is invalid.');
  if (temporary) {
    if (header(req, 'x-amz-security-token') !== temporary.sessionToken) return reject('UnrecognizedClientException', 'The security token included in the request is invalid.');
    if (Date.now() >= temporary.expiresAt) return reject('ExpiredTokenException', 'The security token included in the request is expired');
  }
  const secretAccessKey = temporary?.secretAccessKey ?? expected.secretAccessKey;
  if (region !== expected.region || service !== expected.service) {
    return reject('InvalidSignatureException', `Credential should be scoped to a valid region and to the correct service: '${expected.service}' in '${expected.region}'.`);
  }
  const amzDate = header(req, 'x-amz-date');
  const date = amzDate ? parseAmzDate(amzDate) : undefined;
  if (!date) return reject('IncompleteSignatureException', 'Authorization header requires existence of either a \'X-Amz-Date\' or a \'Date\' header.');
  if (Math.abs(Date.now() - date.getTime()) > CLOCK_SKEW_MS) return reject('InvalidSignatureException', `Signature expired: ${amzDate} is now earlier or later than 5 minutes from now.`);
  const claimedHash = header(req, 'x-amz-content-sha256');
  if (claimedHash && claimedHash !== createHash('sha256').update(body).digest('hex')) {
    return reject('InvalidSignatureException', 'The provided \'x-amz-content-sha256\' header does not match what was computed.');
  }
  const signed = signedList.split(';');
  const headers = Object.fromEntries(signed.map((name) => [name, header(req, name) ?? '']));
  const token = signed.includes('x-amz-security-token') ? header(req, 'x-amz-security-token') : undefined;
  // S3 alone takes the path as its object key encoded once, without normalising it; every other service encodes the path it got once more.
  const s3 = expected.service === 's3';
  const signer = new SignatureV4({
    service: expected.service,
    region,
    credentials: { accessKeyId: keyId, secretAccessKey, ...(token ? { sessionToken: token } : {}) },
    sha256: NodeSha256,
    applyChecksum: signed.includes('x-amz-content-sha256'),
    uriEscapePath: !s3,
  });
  const query = Object.fromEntries(new URLSearchParams(record.search));
  const path = s3 ? s3CanonicalPath(record.path) : record.path;
  const recomputed = await signer.sign({ method: record.method, protocol: 'http:', hostname: '127.0.0.1', path, query, headers, body }, { signingDate: date, signableHeaders: new Set(signed) });
  const expectedSignature = /Signature=([0-9a-f]{64})/.exec(String(recomputed.headers.authorization))?.[1];
  if (expectedSignature !== signature) {
    return reject(
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    );
  }
  return undefined;
}

/** S3's canonical URI: the object key (each segment as it decodes) URI-encoded once, every byte but `A-Za-z0-9-._~` and the slashes. */
function s3CanonicalPath(path: string): string {
  return path
    .split('/')
    .map((segment) => encodeURIComponent(decodeURIComponent(segment)).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** `20240102T030405Z` as a Date. */
function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}
