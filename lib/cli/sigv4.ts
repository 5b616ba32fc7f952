import { signedHeaders, type AwsCredentials } from '../aws/sigv4';

export { NodeSha256, type AwsCredentials } from '../aws/sigv4';

const LAMBDA_URL_HOST = /^[a-z0-9]+\.lambda-url\.([a-z0-9-]+)\.on\.aws$/;

/**
 * The region of an AWS Lambda function URL (`https://<id>.lambda-url.<region>.on.aws`), or
 * undefined for any other URL.
 */
export function lambdaUrlRegion(url: URL): string | undefined {
  return url.protocol === 'https:' ? LAMBDA_URL_HOST.exec(url.hostname.toLowerCase())?.[1] : undefined;
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
  const signed = await signedHeaders({ service: 'lambda', region: options.region, credentials: options.credentials, method: request.method, url: request.url, headers: request.headers, ...(request.body !== undefined ? { body: request.body } : {}), ...(options.signingDate ? { signingDate: options.signingDate } : {}) });
  // fetch sends the host by itself (and refuses to be given one).
  const { host: _host, ...headers } = signed;
  return headers;
}

/** The AWS SDK's default credential chain (env, profile, SSO, IMDS…), loaded only when needed. */
export async function defaultAwsCredentials(): Promise<AwsCredentials> {
  const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
  return defaultProvider();
}
