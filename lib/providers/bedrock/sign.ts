import { signedHeaders } from '../../aws/sigv4';
import { upstreamTimeouts, type UpstreamRequest, type UpstreamTimeouts } from '../../upstream/http';

/** AWS credentials as the signer needs them (the shape of the SDK's `AwsCredentialIdentity`). */
export interface AwsCredentialIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

/** The SigV4 service name of bedrock-runtime (not `bedrock-runtime`). */
export const BEDROCK_SIGNING_SERVICE = 'bedrock';

/** The Bedrock Runtime operations the gateway calls. */
export type BedrockOperation = 'converse' | 'converse-stream' | 'invoke' | 'invoke-with-response-stream';

/** Where one Bedrock account's calls go, and the region they are signed for. */
export interface BedrockTarget {
  endpoint: string;
  region: string;
}

/**
 * The endpoint and signing region for a provider and account: the account's region wins over
 * the provider's; `baseUrl` (a VPC endpoint, or a fake in tests) replaces the public endpoint.
 */
export function bedrockTarget(provider: Record<string, unknown>, account: Record<string, unknown>): BedrockTarget {
  const region = str(account.region) ?? str(provider.region);
  if (!region) throw new Error(`Bedrock provider "${String(provider.id)}" account "${String(account.id)}" has no region`);
  const base = str(account.baseUrl) ?? str(provider.baseUrl) ?? `https://bedrock-runtime.${region}.amazonaws.com`;
  return { endpoint: base.replace(/\/+$/, ''), region };
}

/**
 * Where one account's Agents for Amazon Bedrock runtime calls go (Rerank), signed for the same
 * Region and service name (`bedrock`) as bedrock-runtime: the account's Region wins over the
 * provider's; the provider's `agentRuntimeBaseUrl` (a VPC endpoint, or a fake in tests) replaces
 * the public endpoint. `baseUrl` does not: it names bedrock-runtime, another host.
 *
 * @example
 * bedrockAgentRuntimeTarget({ id: 'aws', region: 'us-west-2' }, { id: 'a' });
 * // → { endpoint: 'https://bedrock-agent-runtime.us-west-2.amazonaws.com', region: 'us-west-2' }
 */
export function bedrockAgentRuntimeTarget(provider: Record<string, unknown>, account: Record<string, unknown>): BedrockTarget {
  const { region } = bedrockTarget(provider, account);
  const base = str(provider.agentRuntimeBaseUrl) ?? `https://bedrock-agent-runtime.${region}.amazonaws.com`;
  return { endpoint: base.replace(/\/+$/, ''), region };
}

/**
 * The URL of one operation on one model. The model id is one path segment, so the `:` of a
 * versioned id and the `/` of an inference-profile ARN are percent-encoded, like the AWS SDK does.
 */
export function bedrockModelUrl(endpoint: string, modelId: string, operation: BedrockOperation): string {
  return `${endpoint.replace(/\/+$/, '')}/model/${encodePathSegment(modelId)}/${operation}`;
}

/** encodeURIComponent plus the RFC 3986 reserved characters it leaves alone, as SigV4 wants. */
export function encodePathSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export interface SignBedrockRequest {
  url: string;
  method: 'GET' | 'POST';
  /** Headers to sign and send (content-type, accept…); `host` is added. */
  headers: Record<string, string>;
  /** The exact bytes that will be sent. */
  body: string | Uint8Array;
  region: string;
  credentials: AwsCredentialIdentity;
  signingDate?: Date;
}

/**
 * The headers to send for a SigV4-signed Bedrock request: the given ones plus `host`,
 * `x-amz-date`, `x-amz-content-sha256`, `authorization` and, for temporary credentials,
 * `x-amz-security-token`. The path is signed as sent (already percent-encoded) and the signer
 * encodes it once more for the canonical request, which is what AWS expects of every service but S3.
 * `host` stays in the result: the upstream client sends it as given, so what was signed is what goes out.
 *
 * @example
 * const headers = await signBedrockRequest({
 *   url: bedrockModelUrl('https://bedrock-runtime.us-east-1.amazonaws.com', 'anthropic.claude-3-5-sonnet-20240620-v1:0', 'converse'),
 *   method: 'POST', headers: { 'content-type': 'application/json' }, body, region: 'us-east-1', credentials,
 * });
 */
export async function signBedrockRequest(request: SignBedrockRequest): Promise<Record<string, string>> {
  return signedHeaders({
    service: BEDROCK_SIGNING_SERVICE,
    region: request.region,
    credentials: request.credentials,
    method: request.method,
    url: new URL(request.url),
    headers: request.headers,
    body: request.body,
    ...(request.signingDate ? { signingDate: request.signingDate } : {}),
  });
}

/** A signed POST to Bedrock Runtime as the upstream client sends it. */
export interface SignedBedrockPost {
  url: string;
  headers: Record<string, string>;
  body: string;
  region: string;
  credentials: AwsCredentialIdentity;
  timeouts: UpstreamTimeouts;
  signal?: AbortSignal | undefined;
  signingDate?: Date | undefined;
}

/** The upstream request of one Bedrock Runtime call, signed (`signBedrockRequest`) over the exact bytes it sends. */
export async function signedBedrockPost(post: SignedBedrockPost): Promise<UpstreamRequest> {
  const { url, body } = post;
  return {
    url,
    method: 'POST',
    headers: await signBedrockRequest({ url, method: 'POST', headers: post.headers, body, region: post.region, credentials: post.credentials, ...(post.signingDate ? { signingDate: post.signingDate } : {}) }),
    body,
    ...upstreamTimeouts(post.timeouts),
    ...(post.signal ? { signal: post.signal } : {}),
  };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
