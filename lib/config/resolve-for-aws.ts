import type { AccountConfig, CredentialRef, GatewayConfig } from './schema';

/**
 * Where one provider account's credential lives once deployed:
 * - `create`: the stack creates an empty secret named `secret`; the operator fills it.
 * - `arn`, `name`: the config named an existing secret; the stack only grants read on it.
 */
export interface AccountSecret {
  providerId: string;
  /** Absent for the client secret of a provider's `entra`, which its accounts share. */
  accountId?: string;
  /**
   * What the secret holds: the account's API key (`apiKey`), its static AWS access key
   * (`awsCredentials`; a created one is a JSON object with the {@link AWS_CREDENTIAL_FIELDS}), or
   * the client secret of its Entra ID service principal (`entraClientSecret`), or its Google
   * service account's JSON key (`serviceAccountKey`, Vertex AI).
   */
  holds: 'apiKey' | 'awsCredentials' | 'entraClientSecret' | 'serviceAccountKey';
  kind: 'create' | 'arn' | 'name';
  /** The secret's name (`create`, `name`) or ARN (`arn`), exactly as the Lambda will ask for it. */
  secret: string;
}

export interface AwsResolvedConfig {
  /** The config the Lambda runs with: every account credential is a `{ secret }` reference. */
  config: GatewayConfig;
  /** One entry per secret an account's credentials live in, in config order, each listed once per account. */
  secrets: AccountSecret[];
}

type AwsCredentialRefs = NonNullable<AccountConfig['awsCredentials']>;

/** The keys of the JSON object in a secret the stack creates for an account's `awsCredentials`. */
export const AWS_CREDENTIAL_FIELDS = ['accessKeyId', 'secretAccessKey', 'sessionToken'] as const satisfies readonly (keyof AwsCredentialRefs)[];

/**
 * The name of the secret the stack creates for an account whose key is an env var or a file,
 * which exist only on the operator's machine.
 *
 * @example
 * managedSecretName('Aigw', 'openai', 'main') // 'aigw/Aigw/openai/main'
 */
export const managedSecretName = (stackName: string, providerId: string, accountId: string) => `aigw/${stackName}/${providerId}/${accountId}`;

/**
 * The name of the secret the stack creates for an account whose `awsCredentials` name env vars or
 * files: one JSON secret for the whole access key. Ids hold no "/", so it cannot be another
 * account's key secret, and an account may have both.
 *
 * @example
 * managedAwsCredentialsSecretName('Aigw', 'bedrock', 'static') // 'aigw/Aigw/bedrock/static/aws-credentials'
 */
export const managedAwsCredentialsSecretName = (stackName: string, providerId: string, accountId: string) =>
  `${managedSecretName(stackName, providerId, accountId)}/aws-credentials`;

/**
 * The name of the secret the stack creates for the client secret of an Entra ID principal named
 * with an env var or a file: the account's, or with no account the provider's (which its accounts
 * share; no account id starts with "_", so it is no account's).
 *
 * @example
 * managedEntraSecretName('Aigw', 'azure', 'east') // 'aigw/Aigw/azure/east/entra-client-secret'
 * managedEntraSecretName('Aigw', 'azure', undefined) // 'aigw/Aigw/azure/_provider/entra-client-secret'
 */
export const managedEntraSecretName = (stackName: string, providerId: string, accountId: string | undefined) =>
  `${managedSecretName(stackName, providerId, accountId ?? '_provider')}/entra-client-secret`;

/**
 * The name of the secret the stack creates for a Vertex AI account's service account key named
 * with an env var or a file: the key file's JSON, whole, as Google Cloud downloads it.
 *
 * @example
 * managedServiceAccountSecretName('Aigw', 'vertex', 'prod') // 'aigw/Aigw/vertex/prod/service-account-key'
 */
export const managedServiceAccountSecretName = (stackName: string, providerId: string, accountId: string) => `${managedSecretName(stackName, providerId, accountId)}/service-account-key`;

function importedSecret(providerId: string, accountId: string | undefined, holds: AccountSecret['holds'], ref: { secret: string }): AccountSecret {
  return { providerId, ...(accountId !== undefined ? { accountId } : {}), holds, kind: ref.secret.startsWith('arn:') ? 'arn' : 'name', secret: ref.secret };
}

/**
 * Rewrites a config for AWS, where only Secrets Manager references can be read:
 * - an `{env}` or `{file}` API key becomes a `{secret}` reference to a secret the stack creates
 *   (keeping `field`, so a JSON secret works as a JSON file did);
 * - the `{env}` and `{file}` references of an account's `awsCredentials` become fields of one
 *   JSON secret the stack creates for that account (`{ secret, field: 'accessKeyId' }`…);
 * - the `{env}` or `{file}` client secret of an Entra ID principal becomes a `{secret}` reference
 *   to a secret the stack creates, one per account, or one per provider for the provider's `entra`;
 * - the `{env}` or `{file}` service account key of a Vertex AI account becomes a `{secret}`
 *   reference to a secret the stack creates for that account;
 * - `{secret}` references stay as they are, and are listed so the stack grants read on them.
 * Accounts without credentials (an open local server, Bedrock on the Lambda role) keep none.
 * Pure: the input is not modified.
 *
 * @example
 * const { config, secrets } = resolveForAws(readConfigFile('gateway.config.json'), 'Aigw');
 */
export function resolveForAws(config: GatewayConfig, stackName: string): AwsResolvedConfig {
  const secrets: AccountSecret[] = [];
  const list = (found: AccountSecret[]) => {
    for (const s of found) if (!secrets.some((known) => sameSecret(known, s))) secrets.push(s);
  };
  const providers = config.providers.map((provider) => {
    const accounts = provider.accounts.map((account) => {
      const found: AccountSecret[] = [];
      const resolved: AccountConfig = { ...account };
      if (account.apiKey) resolved.apiKey = resolveOne(account.apiKey, 'apiKey', managedSecretName(stackName, provider.id, account.id));
      if (account.awsCredentials) resolved.awsCredentials = resolveAwsCredentials(account.awsCredentials);
      if (account.entra) resolved.entra = { ...account.entra, clientSecret: resolveOne(account.entra.clientSecret, 'entraClientSecret', managedEntraSecretName(stackName, provider.id, account.id)) };
      if (account.serviceAccount) resolved.serviceAccount = resolveOne(account.serviceAccount, 'serviceAccountKey', managedServiceAccountSecretName(stackName, provider.id, account.id));
      list(found);
      return resolved;

      function resolveOne(ref: CredentialRef, holds: AccountSecret['holds'], secret: string): CredentialRef {
        found.push(secretOf(provider.id, account.id, holds, ref, secret));
        return 'secret' in ref ? ref : { secret, ...('field' in ref && ref.field ? { field: ref.field } : {}) };
      }

      function resolveAwsCredentials(refs: AwsCredentialRefs): AwsCredentialRefs {
        const out: Partial<Record<keyof AwsCredentialRefs, CredentialRef>> = {};
        for (const field of AWS_CREDENTIAL_FIELDS) {
          const ref = refs[field];
          if (!ref) continue;
          if ('secret' in ref) {
            found.push(importedSecret(provider.id, account.id, 'awsCredentials', ref));
            out[field] = ref;
            continue;
          }
          // The created secret has fixed keys; the local reference's own `field` named a key of
          // the operator's file and does not carry over.
          const secret = managedAwsCredentialsSecretName(stackName, provider.id, account.id);
          found.push({ providerId: provider.id, accountId: account.id, holds: 'awsCredentials', kind: 'create', secret });
          out[field] = { secret, field };
        }
        return out as AwsCredentialRefs;
      }
    });
    // A provider's principal gets its secret only when an account signs in with it (one with neither `apiKey` nor `entra` of its own).
    if (provider.type !== 'azure-openai' || !provider.entra || !provider.accounts.some((a) => !a.apiKey && !a.entra)) return { ...provider, accounts };
    const ref = provider.entra.clientSecret;
    const secret = managedEntraSecretName(stackName, provider.id, undefined);
    list([secretOf(provider.id, undefined, 'entraClientSecret', ref, secret)]);
    return { ...provider, entra: { ...provider.entra, clientSecret: 'secret' in ref ? ref : { secret, ...('field' in ref && ref.field ? { field: ref.field } : {}) } }, accounts };
  });
  return { config: { ...config, providers }, secrets };
}

/** A secret reference is imported as it is; an env var or a file becomes the secret `secret`, which the stack creates. */
function secretOf(providerId: string, accountId: string | undefined, holds: AccountSecret['holds'], ref: CredentialRef, secret: string): AccountSecret {
  if ('secret' in ref) return importedSecret(providerId, accountId, holds, ref);
  return { providerId, ...(accountId !== undefined ? { accountId } : {}), holds, kind: 'create', secret };
}

/** One account's three access-key references often name one secret: it is listed (and created) once. */
function sameSecret(a: AccountSecret, b: AccountSecret): boolean {
  return a.providerId === b.providerId && a.accountId === b.accountId && a.holds === b.holds && a.secret === b.secret;
}
