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

/** Where the CLI's environment says AWS credentials come from: a profile, or keys it holds (one at most). */
export interface AwsCredentialSource {
  profile?: string;
  credentials?: AwsCredentials;
}

/**
 * What the AWS SDK's chain would take from the environment, taken from the CLI's own: AWS_PROFILE
 * (which the SDK prefers to keys), else AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY with any
 * AWS_SESSION_TOKEN, else nothing (the default profile and the rest of the chain).
 *
 * @example
 * awsCredentialSource({ AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 's' }) // { credentials: { accessKeyId: 'AKID', secretAccessKey: 's' } }
 */
export function awsCredentialSource(env: NodeJS.ProcessEnv): AwsCredentialSource {
  if (env.AWS_PROFILE) return { profile: env.AWS_PROFILE };
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = env;
  if (!accessKeyId || !secretAccessKey) return {};
  return { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } };
}

/**
 * The one warning of the chain that is not passed on: that AWS_PROFILE and keys are both set, and a
 * later SDK may prefer the keys. The CLI makes that choice itself (awsCredentialSource, the
 * profile), from its own environment; and as the profile is always named here, the SDK would say
 * so of the process's keys even when the CLI's environment has no AWS_PROFILE.
 */
const BOTH_PROFILE_AND_KEYS = /Multiple credential sources detected/;

/**
 * A logger for the chain that passes on its warnings (conflicting container settings, expired
 * instance credentials used on, a login session that could not be refreshed), which it would
 * otherwise print to the process's stderr, and drops its debug lines.
 */
function chainLogger(warn: (message: string) => void) {
  const drop = () => {};
  return {
    debug: drop,
    info: drop,
    error: drop,
    warn: (...parts: unknown[]) => {
      const message = parts.map((part) => (part instanceof Error ? part.message : String(part))).join(' ');
      if (!BOTH_PROFILE_AND_KEYS.test(message)) warn(message);
    },
  };
}

/**
 * The AWS SDK's default credential chain (profile, SSO, web identity, container, IMDS…) for a
 * profile, loaded only when needed; `warn` hears what the chain warns about. Naming the profile,
 * the default one too, makes the chain skip its first link, the keys in the process's environment:
 * the CLI reads those from its own (awsCredentialSource). The later links still find their files
 * and endpoints through the process's environment.
 */
export async function defaultAwsCredentials(profile = 'default', warn: (message: string) => void = () => {}): Promise<AwsCredentials> {
  const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
  return defaultProvider({ profile, logger: chainLogger(warn) });
}
