import type { CredentialRef, GatewayConfig } from '../config/schema';
import { accountCredentialRefs, providerCredentialRefs } from '../credentials/credentials';

/** A credential the config reads from an environment variable that is not set. */
export interface MissingVariable {
  name: string;
  /** The provider, and the account when the reference is on one. */
  provider: string;
  account?: string;
}

/**
 * The credential variables the config refers to (`apiKey`, `awsCredentials`, `entra`,
 * `serviceAccount`…, on an account or on the provider) that are not set: the server starts, and
 * each call to those accounts answers 502, so the start-up lines name them first.
 */
export function missingVariables(config: GatewayConfig, env: NodeJS.ProcessEnv): MissingVariable[] {
  const missing: MissingVariable[] = [];
  for (const provider of config.providers) {
    for (const name of unsetNames(providerCredentialRefs(provider), env)) missing.push({ name, provider: provider.id });
    // Each account's own references, without its provider's: those are named once above, not once an account.
    for (const account of provider.accounts) for (const name of unsetNames(accountCredentialRefs(account), env)) missing.push({ name, provider: provider.id, account: account.id });
  }
  return missing;
}

/** The environment variables `refs` read that are unset or empty, each once (an AWS key's parts may share one), in order. */
function unsetNames(refs: readonly CredentialRef[], env: NodeJS.ProcessEnv): string[] {
  return [...new Set(refs.flatMap((ref) => ('env' in ref ? [ref.env] : [])))].filter((name) => !env[name]);
}

/** One start-up line per missing variable. */
export function missingVariableLines(missing: readonly MissingVariable[]): string[] {
  return missing.map(({ name, provider, account }) => `  NOTE:   ${name} is not set (provider "${provider}"${account ? ` account "${account}"` : ''}): calls there will answer 502 until it is.`);
}
