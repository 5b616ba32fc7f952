/**
 * Credentials of a role in another AWS account (STS AssumeRole), for Bedrock accounts that name
 * `assumeRole`. The call to STS is the AWS SDK's own (the STS client the SDK's credential
 * providers use), loaded on first use: a gateway that assumes no role never loads it.
 */
import type { AssumeRoleCommandOutput, STSClient } from '@aws-sdk/client-sts';
import { AWS_CLIENT_TIMEOUTS } from '../../aws/client-timeouts';
import type { AssumeRoleConfig } from '../../config/schema';
import { GatewayError } from '../../http/errors';
import type { AwsCredentialIdentity } from './sign';

/**
 * Credentials are renewed this long before they expire, as the SDK's own providers do: a call
 * signed just before expiry may still be running (a stream of minutes) when they lapse.
 */
export const REFRESH_AHEAD_MS = 5 * 60_000;

/**
 * An entry's credentials are dropped after a refusal at most this often: a refusal a new session
 * does not mend (the role may not invoke the model) must not cost an STS call per request.
 */
const FORGET_AT_MOST_EVERY_MS = 60_000;

/** What STS is asked for, and where. */
export interface RoleToAssume extends AssumeRoleConfig {
  /** The account's Region: STS is called at its regional endpoint, as the SDK does by default. */
  region: string;
  /** Another STS endpoint (a VPC endpoint, a fake in tests). */
  endpoint?: string | undefined;
  /** The session name when the config names none. */
  defaultSessionName: string;
  /** Named in errors: whose call failed. */
  providerId: string;
  accountId: string;
}

/** The identity that calls STS: an account's access key, or the gateway's own (the Lambda role). */
export interface RoleSource {
  /** Tells sources apart in the cache without holding a secret (`lambda-role`, or the access key id and a hash of its secret). */
  key: string;
  credentials: AwsCredentialIdentity | (() => Promise<AwsCredentialIdentity>);
}

export interface AssumedRolesOptions {
  /** Epoch ms (tests move it to see credentials renewed). */
  now?: () => number;
  refreshAheadMs?: number;
}

interface Held {
  identity: AwsCredentialIdentity;
  expiresAt: number;
}

/** One (source, role, external id, session) and what it holds: the client, the credentials, the STS call under way. */
interface Entry {
  /** The accounts (`provider/account`) it serves, so that one refused by Bedrock can drop it. */
  accounts: Set<string>;
  /** When its credentials were last dropped after a refusal (epoch ms). */
  forgottenAt?: number;
  client?: STSClient;
  held?: Held;
  pending?: Promise<AwsCredentialIdentity>;
}

type StsModule = typeof import('@aws-sdk/client-sts');

/**
 * Assumed-role credentials, cached per source, role, external id, session name and duration,
 * renewed {@link REFRESH_AHEAD_MS} before they expire; calls that find none (or stale ones) at the
 * same time share one STS call. A failed call caches nothing: the next one asks STS again.
 *
 * @example
 * const roles = new AssumedRoles();
 * const identity = await roles.credentials(
 *   { roleArn: 'arn:aws:iam::111122223333:role/aigw-bedrock', region: 'us-east-1', defaultSessionName: 'aigw-br-pool-1', providerId: 'br', accountId: 'pool-1' },
 *   { key: 'lambda-role', credentials: () => lambdaRole() },
 * );
 */
export class AssumedRoles {
  readonly #now: () => number;
  readonly #refreshAheadMs: number;
  readonly #entries = new Map<string, Entry>();
  #sts: Promise<StsModule> | undefined;

  constructor(options: AssumedRolesOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#refreshAheadMs = options.refreshAheadMs ?? REFRESH_AHEAD_MS;
  }

  /** The role's credentials, from the cache while they are fresh, else from STS. */
  credentials(role: RoleToAssume, source: RoleSource): Promise<AwsCredentialIdentity> {
    const sessionName = role.sessionName ?? role.defaultSessionName;
    const key = JSON.stringify([source.key, role.roleArn, role.externalId ?? null, sessionName, role.durationSeconds ?? null]);
    let entry = this.#entries.get(key);
    if (!entry) this.#entries.set(key, (entry = { accounts: new Set() }));
    entry.accounts.add(accountKey(role.providerId, role.accountId));
    if (entry.held && this.#now() < entry.held.expiresAt - this.#refreshAheadMs) return Promise.resolve(entry.held.identity);
    if (entry.pending) return entry.pending;
    const pending = this.#assume(entry, role, sessionName, source).finally(() => {
      if (entry.pending === pending) delete entry.pending;
    });
    entry.pending = pending;
    return pending;
  }

  /**
   * Drops the credentials held for an account after Bedrock refused them (the role's sessions
   * revoked in IAM, its permissions changed): its next call assumes the role again instead of
   * sending them until they expire, up to 12 hours later; at most once a minute per entry. A call
   * under way to STS is left to finish.
   *
   * @example
   * roles.forget('br', 'pool-1');
   */
  forget(providerId: string, accountId: string): void {
    const account = accountKey(providerId, accountId);
    const now = this.#now();
    for (const entry of this.#entries.values()) {
      if (!entry.held || !entry.accounts.has(account)) continue;
      if (entry.forgottenAt !== undefined && now - entry.forgottenAt < FORGET_AT_MOST_EVERY_MS) continue;
      entry.forgottenAt = now;
      delete entry.held;
    }
  }

  async #assume(entry: Entry, role: RoleToAssume, sessionName: string, source: RoleSource): Promise<AwsCredentialIdentity> {
    const sts = await (this.#sts ??= import('@aws-sdk/client-sts'));
    entry.client ??= new sts.STSClient({
      region: role.region,
      ...(role.endpoint ? { endpoint: role.endpoint } : {}),
      credentials: source.credentials,
      requestHandler: AWS_CLIENT_TIMEOUTS,
    });
    let answer: AssumeRoleCommandOutput;
    try {
      answer = await entry.client.send(
        new sts.AssumeRoleCommand({
          RoleArn: role.roleArn,
          RoleSessionName: sessionName,
          ...(role.externalId ? { ExternalId: role.externalId } : {}),
          ...(role.durationSeconds ? { DurationSeconds: role.durationSeconds } : {}),
        }),
      );
    } catch (err) {
      throw assumeRoleError(err, role);
    }
    const c = answer.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw assumeRoleError(new Error('STS answered without credentials'), role);
    // STS always sends an expiry; without one, trust the duration asked for (STS's default is an hour).
    const expiresAt = c.Expiration?.getTime() ?? this.#now() + (role.durationSeconds ?? 3600) * 1000;
    const identity: AwsCredentialIdentity = {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
      expiration: new Date(expiresAt),
    };
    entry.held = { identity, expiresAt };
    return identity;
  }
}

/** The error codes AWS throttles with (as the SDK's retry strategy names them); STS's is `Throttling`. */
const THROTTLING_CODES: ReadonlySet<string> = new Set(['Throttling', 'ThrottlingException', 'ThrottledException', 'RequestThrottled', 'RequestThrottledException', 'TooManyRequestsException', 'RequestLimitExceeded']);

const accountKey = (providerId: string, accountId: string) => JSON.stringify([providerId, accountId]);

/**
 * STS's refusal (AccessDenied: the role is missing, does not trust the caller, or wants another
 * external id; a ValidationError) or failure as the error of this one attempt: the account rests
 * and the call fails over. A refusal is told apart (`upstream_assume_role_denied`) because it
 * will not mend by itself; throttling, though a 400, is not one. The client is told the provider,
 * account and STS's error code; the role and STS's message are the log's `detail`. Never a key.
 */
export function assumeRoleError(err: unknown, role: Pick<RoleToAssume, 'roleArn' | 'providerId' | 'accountId'>): GatewayError {
  const e = err as { name?: unknown; message?: unknown; $metadata?: { httpStatusCode?: unknown } };
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  // STS throttles with a 400 (`Throttling: Rate exceeded`) once the SDK's own retries are spent: that mends in seconds.
  const throttled = status === 429 || (typeof e.name === 'string' && THROTTLING_CODES.has(e.name));
  const denied = status !== undefined && status >= 400 && status < 500 && !throttled;
  const name = typeof e.name === 'string' && e.name !== 'Error' ? ` (${e.name})` : '';
  const message = typeof e.message === 'string' && e.message ? e.message : 'no answer';
  // The role's ARN (the operator's AWS account and role name) and STS's words go to the log only.
  return new GatewayError('upstream_error', `The gateway could not assume its AWS role for provider "${role.providerId}" account "${role.accountId}"${name}.`, {
    code: denied ? 'upstream_assume_role_denied' : 'upstream_assume_role_failed',
    detail: `role ${role.roleArn}: ${message}`,
    cause: err,
  });
}
