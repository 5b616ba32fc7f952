import { createHash } from 'node:crypto';
import type { AssumeRoleConfig, CredentialRef } from '../../config/schema';
import { unusableCredentials } from '../../credentials/credentials';
import { AssumedRoles, type RoleSource } from './assume-role';
import { bedrockTarget, type AwsCredentialIdentity } from './sign';

/** What a credential source is told about the call: the provider and account config entries. */
export interface BedrockCredentialScope {
  provider: { id: string; assumeRole?: AssumeRoleConfig; stsEndpoint?: string } & Record<string, unknown>;
  account: {
    id: string;
    awsCredentials?: { accessKeyId: CredentialRef; secretAccessKey: CredentialRef; sessionToken?: CredentialRef };
    assumeRole?: AssumeRoleConfig;
    stsEndpoint?: string;
  } & Record<string, unknown>;
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
 * Per-account credentials from the config: static keys (`accounts[].awsCredentials`, three
 * references resolved through the gateway's credential store), and `fallback` (the Lambda role,
 * by default) for accounts that name none. An account with `assumeRole` (its own, else its
 * provider's) is called as that role, assumed through `roles` with those keys, or with
 * `fallback` when it has none.
 *
 * @example
 * const bedrock = createBedrockProvider({ credentials: configuredBedrockCredentials((ref) => deps.credentials.resolve(ref)) });
 */
export function configuredBedrockCredentials(
  resolve: ResolveCredentialRef,
  fallback: BedrockCredentialSource = defaultChainCredentials(),
  roles: AssumedRoles = new AssumedRoles(),
): BedrockCredentialSource {
  return async function configuredBedrockCredentialsFor(scope) {
    const { account, provider } = scope;
    // A key that cannot be read is this account's failure (it rests, the pool fails over), told as the others' are.
    const own = account.awsCredentials ? await staticCredentials(resolve, account.awsCredentials).catch((err: unknown) => Promise.reject(unusableCredentials(err, provider.id, account.id))) : undefined;
    const role = account.assumeRole ?? provider.assumeRole;
    if (!role) return own ?? fallback(scope);
    const source: RoleSource = own ? { key: `key:${own.accessKeyId}:${fingerprint(own)}`, credentials: own } : { key: 'lambda-role', credentials: () => fallback(scope) };
    return roles.credentials(
      {
        ...role,
        region: bedrockTarget(provider, account).region,
        endpoint: account.stsEndpoint ?? provider.stsEndpoint,
        // Ids are letters, digits and _.-, all allowed in a session name; CloudTrail in the other account shows it.
        defaultSessionName: `aigw-${provider.id}-${account.id}`.slice(0, 64),
        providerId: provider.id,
        accountId: account.id,
      },
      source,
    );
  };
}

async function staticCredentials(resolve: ResolveCredentialRef, refs: NonNullable<BedrockCredentialScope['account']['awsCredentials']>): Promise<AwsCredentialIdentity> {
  const [accessKeyId, secretAccessKey, sessionToken] = await Promise.all([
    resolve(refs.accessKeyId),
    resolve(refs.secretAccessKey),
    refs.sessionToken ? resolve(refs.sessionToken) : Promise.resolve(undefined),
  ]);
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

/** Tells a rotated secret of the same access key apart in the cache, without keeping the secret in a key. */
function fingerprint({ secretAccessKey, sessionToken }: AwsCredentialIdentity): string {
  return createHash('sha256').update(`${secretAccessKey}\n${sessionToken ?? ''}`).digest('base64url').slice(0, 16);
}
