import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import type { SignatureV4 } from '@smithy/signature-v4';

type SignerInit = ConstructorParameters<typeof SignatureV4>[0];
/** Fixed credentials, or a function that finds them (the AWS SDK's provider chain). */
export type AwsCredentials = SignerInit['credentials'];
type SourceData = string | ArrayBuffer | ArrayBufferView;

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

export interface SignInput {
  /** The SigV4 service name (`lambda`, `bedrock`). */
  service: string;
  region: string;
  credentials: AwsCredentials;
  method: string;
  /** Already percent-encoded where it must be: the signer encodes the path once more, as every service but S3 expects. */
  url: URL;
  /** S3 (`false`): the path is signed as it is, neither normalised nor encoded again. Default true. */
  uriEscapePath?: boolean;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  signingDate?: Date;
}

/**
 * The headers of a SigV4-signed request: the given ones plus `host`, `x-amz-date`,
 * `x-amz-content-sha256`, `authorization` and, for temporary credentials, `x-amz-security-token`.
 */
export async function signedHeaders(input: SignInput): Promise<Record<string, string>> {
  const { url } = input;
  // Loaded on first use: only Bedrock calls and the CLI's IAM requests sign, and start-up should not pay for it.
  const { SignatureV4: Signer } = await import('@smithy/signature-v4');
  const signer = new Signer({ service: input.service, region: input.region, credentials: input.credentials, sha256: NodeSha256, ...(input.uriEscapePath === false ? { uriEscapePath: false } : {}) });
  const signed = await signer.sign(
    {
      method: input.method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { ...input.headers, host: url.host },
      ...(input.body !== undefined ? { body: input.body } : {}),
    },
    input.signingDate ? { signingDate: input.signingDate } : {},
  );
  return { ...(signed.headers as Record<string, string>) };
}
