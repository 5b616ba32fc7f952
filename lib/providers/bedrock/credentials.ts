import type { CredentialRef } from '../../config/schema';
import type { AwsCredentialIdentity } from './sign';

/** What a credential source is told about the call: the provider and account config entries. */
export interface BedrockCredentialScope {
  provider: { id: string } & Record<string, unknown>;
  account: { id: string; awsCredentials?: { accessKeyId: CredentialRef; secretAccessKey: CredentialRef; sessionToken?: CredentialRef } } & Record<string, unknown>;
}

/** Finds the AWS credentials for one account's call. Implementations cache; this runs per request. */
export type BedrockCredentialSource = (scope: BedrockCredentialScope) => Promise<AwsCredentialIdentity>;

/** Resolves one credential reference (the gateway's `Credentials.resolve`). */
export type ResolveCredentialRef = (ref: CredentialRef) => Promise<string>;

/**
 * The AWS SDK's default chain (env, web identity, ECS/Lambda role, IMDS, profiles), loaded on
 * first use so a gateway without Bedrock never pays for the import. The chain memoises and
 * refreshes expiring role credentials by itself.
 */
export function defaultChainCredentials(): BedrockCredentialSource {
  let chain: Promise<() => Promise<AwsCredentialIdentity>> | undefined;
  return async function defaultChainCredentialsFor() {
    chain ??= import('@aws-sdk/credential-provider-node').then(({ defaultProvider }) => defaultProvider());
    const provide = await chain;
    return provide();
  };
}

/**
 * Static per-account credentials from the config (`accounts[].awsCredentials`, three
 * references resolved through the gateway's credential store), and `fallback` (the Lambda role,
 * by default) for accounts that name none.
 *
 * @example
 * const bedrock = createBedrockProvider({ credentials: configuredBedrockCredentials((ref) => deps.credentials.resolve(ref)) });
 */
export function configuredBedrockCredentials(resolve: ResolveCredentialRef, fallback: BedrockCredentialSource = defaultChainCredentials()): BedrockCredentialSource {
  return async function configuredBedrockCredentialsFor(scope) {
    const refs = scope.account.awsCredentials;
    if (!refs) return fallback(scope);
    const [accessKeyId, secretAccessKey, sessionToken] = await Promise.all([
      resolve(refs.accessKeyId),
      resolve(refs.secretAccessKey),
      refs.sessionToken ? resolve(refs.sessionToken) : Promise.resolve(undefined),
    ]);
    return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
  };
}
