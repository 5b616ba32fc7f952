import type { CredentialRef, GatewayConfig } from './schema';

/**
 * Where one provider account's key lives once deployed:
 * - `create`: the stack creates an empty secret named `secret`; the operator fills it.
 * - `arn`, `name`: the config named an existing secret; the stack only grants read on it.
 */
export interface AccountSecret {
  providerId: string;
  accountId: string;
  kind: 'create' | 'arn' | 'name';
  /** The secret's name (`create`, `name`) or ARN (`arn`), exactly as the Lambda will ask for it. */
  secret: string;
}

export interface AwsResolvedConfig {
  /** The config the Lambda runs with: every account key is a `{ secret }` reference. */
  config: GatewayConfig;
  /** One entry per account that has a key, in config order. */
  secrets: AccountSecret[];
}

/**
 * The name of the secret the stack creates for an account whose key is an env var or a file,
 * which exist only on the operator's machine.
 *
 * @example
 * managedSecretName('Aigw', 'openai', 'main') // 'aigw/Aigw/openai/main'
 */
export const managedSecretName = (stackName: string, providerId: string, accountId: string) => `aigw/${stackName}/${providerId}/${accountId}`;

function secretFor(stackName: string, providerId: string, accountId: string, ref: CredentialRef): AccountSecret {
  if ('secret' in ref) return { providerId, accountId, kind: ref.secret.startsWith('arn:') ? 'arn' : 'name', secret: ref.secret };
  return { providerId, accountId, kind: 'create', secret: managedSecretName(stackName, providerId, accountId) };
}

/**
 * Rewrites a config for AWS: `{env}` and `{file}` keys become `{secret}` references to the
 * secrets the stack creates (keeping `field`, so a JSON secret works as a JSON file did);
 * `{secret}` keys stay as they are. Accounts without a key (an open local server) keep none.
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
      if (!account.apiKey) return { ...account };
      const found = secretFor(stackName, provider.id, account.id, account.apiKey);
      secrets.push(found);
      const field = 'field' in account.apiKey ? account.apiKey.field : undefined;
      return { ...account, apiKey: { secret: found.secret, ...(field ? { field } : {}) } };
    }),
  }));
  return { config: { ...config, providers }, secrets };
}
