import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { CredentialRef } from '../config/schema';
import { LocalCredentials } from './local';
import { CredentialError, describeRef, pickField, type Credentials } from './credentials';

/** How long a warm instance keeps a secret before reading it again (rotation reaches it within this). */
const SECRET_MAX_AGE_S = 300;

/**
 * Credentials on AWS: Secrets Manager (cached in memory by Powertools Parameters), with env and
 * file references still honoured for anything baked into the deployment.
 */
export class SecretsManagerCredentials implements Credentials {
  readonly #provider: SecretsProvider;
  readonly #local: LocalCredentials;
  readonly #stale = new Set<string>();

  constructor(options: { client?: SecretsManagerClient; env?: NodeJS.ProcessEnv } = {}) {
    this.#provider = new SecretsProvider({ awsSdkV3Client: options.client ?? new SecretsManagerClient({}) });
    this.#local = new LocalCredentials(options.env);
  }

  async resolve(ref: CredentialRef): Promise<string> {
    if (!('secret' in ref)) return this.#local.resolve(ref);
    const forceFetch = this.#stale.delete(ref.secret);
    let value: unknown;
    try {
      value = await this.#provider.get(ref.secret, { maxAge: SECRET_MAX_AGE_S, forceFetch });
    } catch (err) {
      throw new CredentialError(`cannot read ${describeRef(ref)}: ${(err as Error).message}`, { cause: err });
    }
    if (typeof value !== 'string' || !value) throw new CredentialError(`${describeRef(ref)} has no string value`);
    return pickField(value, ref);
  }

  refresh(ref: CredentialRef): void {
    if ('secret' in ref) this.#stale.add(ref.secret);
    else this.#local.refresh(ref);
  }
}
