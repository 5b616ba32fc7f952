import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

type SignerInit = ConstructorParameters<typeof SignatureV4>[0];
/** Fixed credentials, or a function that finds them (the AWS SDK's provider chain). */
export type AwsCredentials = SignerInit['credentials'];
type SourceData = string | ArrayBuffer | ArrayBufferView;

const LAMBDA_URL_HOST = /^[a-z0-9]+\.lambda-url\.([a-z0-9-]+)\.on\.aws$/;

/**
 * The region of an AWS Lambda function URL (`https://<id>.lambda-url.<region>.on.aws`), or
 * undefined for any other URL.
 */
export function lambdaUrlRegion(url: URL): string | undefined {
  return url.protocol === 'https:' ? LAMBDA_URL_HOST.exec(url.hostname.toLowerCase())?.[1] : undefined;
}

const toBytes = (data: SourceData): Uint8Array =>
  typeof data === 'string' ? Buffer.from(data, 'utf8') : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);

/** SHA-256 (or HMAC-SHA-256 with a secret) from node:crypto, in the shape the signer expects. */
export class NodeSha256 {
  readonly #secret: Uint8Array | undefined;
  #hash: Hash | Hmac;

  constructor(secret?: SourceData) {
    this.#secret = secret === undefined ? undefined : toBytes(secret);
    this.#hash = this.#fresh();
  }

  update(data: SourceData): void {
    this.#hash.update(toBytes(data));
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }

  reset(): void {
    this.#hash = this.#fresh();
  }

  #fresh(): Hash | Hmac {
    return this.#secret ? createHmac('sha256', this.#secret) : createHash('sha256');
  }
}

export interface RequestToSign {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
}

/**
 * Signs a request to a Lambda function URL with IAM auth (SigV4, service `lambda`) and returns
 * the headers to send: the given ones plus `authorization`, `x-amz-date`,
 * `x-amz-content-sha256` and, for temporary credentials, `x-amz-security-token`.
 *
 * @example
 * const headers = await signLambdaUrlRequest(
 *   { method: 'GET', url: new URL('https://abc.lambda-url.eu-west-1.on.aws/admin/keys'), headers: {} },
 *   { region: 'eu-west-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } },
 * );
 */
export async function signLambdaUrlRequest(
  request: RequestToSign,
  options: { region: string; credentials: AwsCredentials; signingDate?: Date },
): Promise<Record<string, string>> {
  const signer = new SignatureV4({ service: 'lambda', region: options.region, credentials: options.credentials, sha256: NodeSha256 });
  const { url } = request;
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      // The host is part of what is signed; fetch sends the same one by itself.
      headers: { ...request.headers, host: url.host },
      body: request.body,
    },
    options.signingDate ? { signingDate: options.signingDate } : {},
  );
  const { host: _host, ...headers } = signed.headers as Record<string, string>;
  return headers;
}

/** The AWS SDK's default credential chain (env, profile, SSO, IMDS…), loaded only when needed. */
export async function defaultAwsCredentials(): Promise<AwsCredentials> {
  const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
  return defaultProvider();
}
