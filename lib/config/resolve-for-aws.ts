import type { AccountConfig, CredentialRef, GatewayConfig } from './schema';

/**
 * Where one provider account's credential lives once deployed:
 * - `create`: the stack creates an empty secret named `secret`; the operator fills it.
 * - `arn`, `name`: the config named an existing secret; the stack only grants read on it.
 */
export interface AccountSecret {
  providerId: string;
  accountId: string;
  /**
   * What the secret holds: the account's API key (`apiKey`), or its static AWS access key
   * (`awsCredentials`; a created one is a JSON object with the {@link AWS_CREDENTIAL_FIELDS}).
   */
  holds: 'apiKey' | 'awsCredentials';
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

function importedSecret(providerId: string, accountId: string, holds: AccountSecret['holds'], ref: { secret: string }): AccountSecret {
  return { providerId, accountId, holds, kind: ref.secret.startsWith('arn:') ? 'arn' : 'name', secret: ref.secret };
}

/**
 * Rewrites a config for AWS, where only Secrets Manager references can be read:
 * - an `{env}` or `{file}` API key becomes a `{secret}` reference to a secret the stack creates
 *   (keeping `field`, so a JSON secret works as a JSON file did);
 * - the `{env}` and `{file}` references of an account's `awsCredentials` become fields of one
 *   JSON secret the stack creates for that account (`{ secret, field: 'accessKeyId' }`…);
 * - `{secret}` references stay as they are, and are listed so the stack grants read on them.
 * Accounts without credentials (an open local server, Bedrock on the Lambda role) keep none.
 * Pure: the input is not modified.
 *
 * @example
 * const { config, secrets } = resolveForAws(readConfigFile('gateway.config.json'), 'Aigw');
 */
export function resolveForAws(config: GatewayConfig, stackName: string): AwsResolvedConfig {
  const secrets: AccountSecret[] = [];
  const providers = config.providers.map((provider) => ({
    ...provider,
    accounts: provider.accounts.map((account) => {
      const found: AccountSecret[] = [];
      const resolved: AccountConfig = { ...account };
      if (account.apiKey) resolved.apiKey = resolveApiKey(account.apiKey);
      if (account.awsCredentials) resolved.awsCredentials = resolveAwsCredentials(account.awsCredentials);
      for (const s of found) if (!secrets.some((known) => sameSecret(known, s))) secrets.push(s);
      return resolved;

      function resolveApiKey(ref: CredentialRef): CredentialRef {
        if ('secret' in ref) {
          found.push(importedSecret(provider.id, account.id, 'apiKey', ref));
          return ref;
        }
        const secret = managedSecretName(stackName, provider.id, account.id);
        found.push({ providerId: provider.id, accountId: account.id, holds: 'apiKey', kind: 'create', secret });
        return { secret, ...('field' in ref && ref.field ? { field: ref.field } : {}) };
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
    }),
  }));
  return { config: { ...config, providers }, secrets };
}

/** One account's three access-key references often name one secret: it is listed (and created) once. */
function sameSecret(a: AccountSecret, b: AccountSecret): boolean {
  return a.providerId === b.providerId && a.accountId === b.accountId && a.holds === b.holds && a.secret === b.secret;
}
