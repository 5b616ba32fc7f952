import { entraOf, type AccountConfig, type CredentialRef, type EntraConfig } from '../config/schema';
import { GatewayError } from '../http/errors';

/** Where provider secrets come from. Implementations cache; `refresh` drops a cached value (after an upstream 401). */
export interface Credentials {
  resolve(ref: CredentialRef): Promise<string>;
  refresh(ref: CredentialRef): void;
}

export class CredentialError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CredentialError';
  }
}

/**
 * An identity provider's token endpoint could not answer (unreachable, too slow, throttling, a
 * 5xx): it mends by itself, the account's secret is not in doubt.
 */
export class CredentialsUnavailableError extends CredentialError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CredentialsUnavailableError';
  }
}

/**
 * An account's credentials that could not be had, as the client's error: which provider and
 * account (the operator's labels, worth reporting) and whether it may mend by itself. The
 * credential error's own words name the operator's things (an environment variable, a secret, a
 * tenant, a service account, a token endpoint's host): they are the log's `detail`, never the body's.
 *
 * @example
 * unusableCredentials(new CredentialError('environment variable OPENAI_KEY is not set'), 'openai', 'main')
 * // message: 'The gateway has no usable credentials for provider "openai" account "main": they are missing or were refused.'
 * // code: 'upstream_credentials_missing', detail: 'environment variable OPENAI_KEY is not set'
 */
export function unusableCredentials(err: unknown, providerId: string, accountId: string): GatewayError {
  const unavailable = err instanceof CredentialsUnavailableError;
  const why = unavailable ? 'its identity provider could not be reached or did not answer' : 'they are missing or were refused';
  return new GatewayError('upstream_error', `The gateway has no usable credentials for provider "${providerId}" account "${accountId}": ${why}.`, {
    code: unavailable ? 'upstream_credentials_unavailable' : 'upstream_credentials_missing',
    detail: err instanceof CredentialError ? err.message : 'unreadable',
    cause: err,
  });
}

/**
 * Every credential reference of one provider account: its API key, its AWS access key's parts,
 * the client secret of the Entra ID principal it signs in with (its own, or its provider's), and
 * its Google service account's key.
 */
export function accountCredentialRefs(account: Pick<AccountConfig, 'apiKey' | 'awsCredentials' | 'entra' | 'serviceAccount'>, provider: object = {}): CredentialRef[] {
  const aws = account.awsCredentials;
  const entra = entraOf(provider, account);
  return [account.apiKey, aws?.accessKeyId, aws?.secretAccessKey, aws?.sessionToken, entra?.clientSecret, account.serviceAccount].filter((ref): ref is CredentialRef => ref !== undefined);
}

/**
 * The credential references a provider holds for its accounts, apart from any account's own: the
 * client secret of its Entra ID principal (which `accountCredentialRefs` gives, with the
 * provider, for each account that signs in with it). Listed even when every account has its own,
 * as the config still names it.
 *
 * @example
 * providerCredentialRefs({ id: 'azure', entra: { tenantId: 't', clientId: 'c', clientSecret: { env: 'ENTRA' } } }) // [{ env: 'ENTRA' }]
 * providerCredentialRefs({ id: 'openai' })                                                                        // []
 */
export function providerCredentialRefs(provider: object): CredentialRef[] {
  // A parsed config's provider (the schema allows `entra` only on Azure's), however loosely the caller holds it, as `entraOf` reads it.
  const { entra } = provider as { entra?: EntraConfig };
  return entra ? [entra.clientSecret] : [];
}

export function describeRef(ref: CredentialRef): string {
  if ('env' in ref) return `environment variable ${ref.env}`;
  if ('secret' in ref) return `secret ${ref.secret}${ref.field ? ` (field ${ref.field})` : ''}`;
  return `file ${ref.file}${ref.field ? ` (field ${ref.field})` : ''}`;
}

/** Picks `field` out of a JSON secret or file, or returns the text itself. */
export function pickField(text: string, ref: CredentialRef): string {
  const field = 'field' in ref ? ref.field : undefined;
  if (!field) return text.trim();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CredentialError(`${describeRef(ref)} is not JSON, so it has no field "${field}"`);
  }
  const value = (parsed as Record<string, unknown> | null)?.[field];
  if (typeof value !== 'string' || !value) throw new CredentialError(`${describeRef(ref)} has no string field "${field}"`);
  return value;
}
