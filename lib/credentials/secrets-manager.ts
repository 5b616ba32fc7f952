import { SecretsManagerClient, type SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { AWS_CLIENT_TIMEOUTS } from '../aws/client-timeouts';
import type { CredentialRef } from '../config/schema';
import { LocalCredentials } from './local';
import { CredentialError, describeRef, pickField, type Credentials } from './credentials';

/** How long a warm instance keeps a secret before reading it again (rotation reaches it within this). */
const SECRET_MAX_AGE_S = 300;

/** A Secrets Manager client with the gateway's timeouts ({@link AWS_CLIENT_TIMEOUTS}). */
export function secretsManagerClient(config: SecretsManagerClientConfig = {}): SecretsManagerClient {
  return new SecretsManagerClient({ requestHandler: AWS_CLIENT_TIMEOUTS, ...config });
}

/**
 * Credentials on AWS: Secrets Manager (cached in memory by Powertools Parameters), with env and
 * file references still honoured for anything baked into the deployment.
 */
export class SecretsManagerCredentials implements Credentials {
  readonly #provider: SecretsProvider;
  readonly #local: LocalCredentials;
  readonly #stale = new Set<string>();
  /** Reads under way, by secret: the fields of one secret asked for at once share one read. */
  readonly #reading = new Map<string, Promise<unknown>>();

  constructor(options: { client?: SecretsManagerClient; env?: NodeJS.ProcessEnv } = {}) {
    this.#provider = new SecretsProvider({ awsSdkV3Client: options.client ?? secretsManagerClient() });
    this.#local = new LocalCredentials(options.env);
  }

  async resolve(ref: CredentialRef): Promise<string> {
    if (!('secret' in ref)) return this.#local.resolve(ref);
    let value: unknown;
    try {
      value = await this.#read(ref.secret);
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

  /**
   * Starts reading every secret among `refs` without waiting, so that a new instance's first
   * request finds them read (or being read) instead of adding a Secrets Manager round trip to
   * its own. A secret that cannot be read is reported by the request that needs it.
   */
  prefetch(refs: Iterable<CredentialRef>): void {
    for (const ref of refs) if ('secret' in ref && !this.#reading.has(ref.secret)) this.#read(ref.secret).catch(() => undefined);
  }

  #read(secret: string): Promise<unknown> {
    const forceFetch = this.#stale.delete(secret);
    const pending = this.#reading.get(secret);
    if (pending && !forceFetch) return pending;
    const read = this.#provider.get(secret, { maxAge: SECRET_MAX_AGE_S, forceFetch }).finally(() => {
      if (this.#reading.get(secret) === read) this.#reading.delete(secret);
    });
    this.#reading.set(secret, read);
    return read;
  }
}
