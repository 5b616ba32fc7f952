import type { GatewayConfig } from '../config/schema';

/** A credential the config reads from an environment variable that is not set. */
export interface MissingVariable {
  name: string;
  /** The provider, and the account when the reference is on one. */
  provider: string;
  account?: string;
}

/** The variable names of every `{ "env": NAME }` reference in a part of the config. */
function envNames(value: unknown, names: Set<string>): Set<string> {
  if (Array.isArray(value)) for (const item of value) envNames(item, names);
  else if (value && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 1 && entries[0]![0] === 'env' && typeof entries[0]![1] === 'string') names.add(entries[0]![1]);
    else for (const [, item] of entries) envNames(item, names);
  }
  return names;
}

/**
 * The credential variables the config refers to (`apiKey`, `awsCredentials`, `entra`,
 * `serviceAccount`…, on an account or on the provider) that are not set: the server starts, and
 * each call to those accounts answers 502, so the start-up lines name them first.
 */
export function missingVariables(config: GatewayConfig, env: NodeJS.ProcessEnv): MissingVariable[] {
  const missing: MissingVariable[] = [];
  for (const provider of config.providers) {
    const { accounts, ...own } = provider;
    for (const name of envNames(own, new Set())) if (!env[name]) missing.push({ name, provider: provider.id });
    for (const account of accounts) for (const name of envNames(account, new Set())) if (!env[name]) missing.push({ name, provider: provider.id, account: account.id });
  }
  return missing;
}

/** One start-up line per missing variable. */
export function missingVariableLines(missing: readonly MissingVariable[]): string[] {
  return missing.map(({ name, provider, account }) => `  NOTE:   ${name} is not set (provider "${provider}"${account ? ` account "${account}"` : ''}): calls there will answer 502 until it is.`);
}
