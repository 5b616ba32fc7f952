import type { AwsCredentials } from '../aws/sigv4';
import { signedFetch } from '../aws/signed-fetch';
import { awsEndpointSuffix } from '../aws/endpoints';
import type { AuditSink } from './log';

export interface S3AuditSinkOptions {
  bucket: string;
  region: string;
  credentials: AwsCredentials;
  /** S3's endpoint, addressed path-style (`<endpoint>/<bucket>/<key>`): a fake's on loopback in tests. Default virtual-hosted `https://<bucket>.s3.<region>.amazonaws.com`. */
  endpoint?: string;
  fetch?: typeof fetch;
  /** Gives up on a PUT after this long. */
  timeoutMs?: number;
}

const DEFAULTS = { timeoutMs: 10_000 } as const;

/**
 * Audit records as S3 objects, each one SigV4-signed `PUT` (gzip, `content-encoding: gzip`),
 * signed by the gateway's own signer as SNS's Publish is: `@aws-sdk/client-s3` is large and would
 * slow every cold start, and one PUT does not need it. The key is encoded once, as S3 wants it,
 * and signed as sent (S3, unlike other services, does not encode the path again nor normalise it).
 *
 * @example
 * new S3AuditSink({ bucket: process.env.GATEWAY_AUDIT_BUCKET!, region: process.env.AWS_REGION!, credentials: defaultProvider() })
 */
export class S3AuditSink implements AuditSink {
  readonly #options: S3AuditSinkOptions;

  constructor(options: S3AuditSinkOptions) {
    this.#options = options;
  }

  get description(): string {
    return `s3://${this.#options.bucket}/audit/`;
  }

  async put(key: string, gzipped: Buffer): Promise<void> {
    const { bucket, region, credentials, endpoint } = this.#options;
    const path = s3KeyPath(key);
    const url = endpoint ? new URL(`${endpoint.replace(/\/+$/, '')}/${bucket}/${path}`) : new URL(`https://${bucket}.s3.${region}.${awsEndpointSuffix(region)}/${path}`);
    await signedFetch(
      {
        service: 's3',
        region,
        credentials,
        method: 'PUT',
        url,
        // S3 checks the path as sent (the key encoded once), not encoded again as other services do.
        uriEscapePath: false,
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(gzipped.byteLength) },
        body: gzipped,
      },
      { what: `S3 PUT s3://${bucket}/${key}`, timeoutMs: this.#options.timeoutMs ?? DEFAULTS.timeoutMs, ...(this.#options.fetch ? { fetch: this.#options.fetch } : {}) },
    );
  }
}

/**
 * An object key as S3 wants it in the path and in the signature: each byte but `A-Za-z0-9-._~`
 * percent-encoded, the slashes left as they are (empty segments too: S3 does not normalise keys).
 */
function s3KeyPath(key: string): string {
  return key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}
