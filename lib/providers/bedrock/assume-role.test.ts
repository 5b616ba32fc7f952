import { createServer } from 'node:http';
import { startFakeSts, type FakeSts } from '../../../test/fakes/sts';
import { listenOnLoopback, closeServer } from '../../../test/fakes/http';
import { GatewayError } from '../../http/errors';
import { AssumedRoles, assumeRoleError, REFRESH_AHEAD_MS, type RoleSource, type RoleToAssume } from './assume-role';
import { configuredBedrockCredentials, type BedrockCredentialScope } from './credentials';

const SOURCE = { accessKeyId: 'AKIDGATEWAYROLE00001', secretAccessKey: 'gateway/role+secret/0123456789' };
const REGION = 'eu-west-1';
const ROLE_A = 'arn:aws:iam::111111111111:role/aigw-bedrock';
const ROLE_B = 'arn:aws:iam::222222222222:role/path/aigw-bedrock';
const ROLE_MISSING = 'arn:aws:iam::333333333333:role/not-there';

let sts: FakeSts;

beforeAll(async () => {
  sts = await startFakeSts({ ...SOURCE, region: REGION, roles: { [ROLE_A]: {}, [ROLE_B]: { externalId: 'tenant-42' } } });
});
afterEach(() => {
  sts.reset();
  sts.setExpiresInSeconds(undefined);
});
afterAll(() => sts.close());

const role = (over: Partial<RoleToAssume> = {}): RoleToAssume => ({ roleArn: ROLE_A, region: REGION, endpoint: sts.url, defaultSessionName: 'aigw-br-pool-1', providerId: 'br', accountId: 'pool-1', ...over });
const fromKeys: RoleSource = { key: 'keys', credentials: SOURCE };

describe('AssumedRoles against a fake STS', () => {
  it('assumes the role with the source credentials, signed as STS checks, and returns temporary credentials', async () => {
    // Prepare
    const roles = new AssumedRoles();

    // Act
    const identity = await roles.credentials(role({ durationSeconds: 900 }), fromKeys);

    // Assess
    expect(sts.refused).toEqual([]);
    expect(sts.calls).toEqual([{ roleArn: ROLE_A, roleSessionName: 'aigw-br-pool-1', externalId: undefined, durationSeconds: 900, issued: identity.accessKeyId }]);
    const issued = sts.issued.get(identity.accessKeyId)!;
    expect(identity).toEqual({ accessKeyId: issued.accessKeyId, secretAccessKey: issued.secretAccessKey, sessionToken: issued.sessionToken, expiration: new Date(issued.expiresAt) });
  });

  it('sends the external id and the session name the config names', async () => {
    // Act
    await new AssumedRoles().credentials(role({ roleArn: ROLE_B, externalId: 'tenant-42', sessionName: 'gateway-eu' }), fromKeys);

    // Assess
    expect(sts.calls).toMatchObject([{ roleArn: ROLE_B, externalId: 'tenant-42', roleSessionName: 'gateway-eu' }]);
    expect(sts.calls[0]?.error).toBeUndefined();
  });

  it('keeps the credentials while they are fresh: one STS call for many requests', async () => {
    // Prepare
    const roles = new AssumedRoles();
    const first = await roles.credentials(role(), fromKeys);

    // Act
    const later = await Promise.all(Array.from({ length: 5 }, () => roles.credentials(role(), fromKeys)));

    // Assess
    expect(sts.calls).toHaveLength(1);
    expect(later.every((c) => c === first)).toBe(true);
  });

  it('drops an account’s credentials when Bedrock refuses them, at most once a minute (a refusal that a new session does not mend must not cost an STS call per request)', async () => {
    // Prepare
    let now = Date.now();
    const roles = new AssumedRoles({ now: () => now });
    const first = await roles.credentials(role(), fromKeys);

    // Act: Bedrock refuses each call (say the role may not invoke the model), ten times in a minute, then once more.
    roles.forget('br', 'pool-1');
    const second = await roles.credentials(role(), fromKeys);
    for (let i = 0; i < 10; i++) {
      now += 5_000;
      roles.forget('br', 'pool-1');
      await roles.credentials(role(), fromKeys);
    }
    const withinTheMinute = sts.calls.length;
    now += 10_000;
    roles.forget('br', 'pool-1');
    const third = await roles.credentials(role(), fromKeys);

    // Assess
    expect(second.accessKeyId).not.toBe(first.accessKeyId);
    expect(withinTheMinute).toBe(2);
    expect(sts.calls).toHaveLength(3);
    expect(third.accessKeyId).not.toBe(second.accessKeyId);
  });

  it('forgets only what the named account uses', async () => {
    // Prepare
    const roles = new AssumedRoles();
    const mine = await roles.credentials(role(), fromKeys);
    const theirs = await roles.credentials(role({ roleArn: ROLE_B, externalId: 'tenant-42', defaultSessionName: 'aigw-br-pool-2', accountId: 'pool-2' }), fromKeys);

    // Act
    roles.forget('br', 'pool-2');

    // Assess
    expect(await roles.credentials(role(), fromKeys)).toBe(mine);
    expect((await roles.credentials(role({ roleArn: ROLE_B, externalId: 'tenant-42', defaultSessionName: 'aigw-br-pool-2', accountId: 'pool-2' }), fromKeys)).accessKeyId).not.toBe(theirs.accessKeyId);
    expect(sts.calls).toHaveLength(3);
  });

  it('shares one STS call among concurrent first calls', async () => {
    // Prepare
    const slow = await startFakeSts({ ...SOURCE, region: REGION, roles: { [ROLE_A]: {} }, delayMs: 50 });
    const roles = new AssumedRoles();

    // Act
    const all = await Promise.all(Array.from({ length: 50 }, () => roles.credentials(role({ endpoint: slow.url }), fromKeys)));
    await slow.close();

    // Assess
    expect(slow.calls).toHaveLength(1);
    expect(new Set(all.map((c) => c.accessKeyId)).size).toBe(1);
  });

  it('renews the credentials five minutes before they expire, with one call for the requests that find them stale', async () => {
    // Prepare: the clock is the test's, the expiry STS's.
    let now = Date.now();
    const roles = new AssumedRoles({ now: () => now });
    const first = await roles.credentials(role(), fromKeys);
    const expiresAt = first.expiration!.getTime();
    // STS's clock does not move with the test's: what it issues next lasts long past the moved clock.
    sts.setExpiresInSeconds(7200);

    // Act
    now = expiresAt - REFRESH_AHEAD_MS - 1;
    const stillFresh = await roles.credentials(role(), fromKeys);
    now = expiresAt - REFRESH_AHEAD_MS;
    const renewed = await Promise.all([roles.credentials(role(), fromKeys), roles.credentials(role(), fromKeys)]);
    const afterRenewal = await roles.credentials(role(), fromKeys);

    // Assess
    expect(stillFresh).toBe(first);
    expect(sts.calls).toHaveLength(2);
    expect(renewed[0]!.accessKeyId).not.toBe(first.accessKeyId);
    expect(renewed[1]).toBe(renewed[0]);
    expect(afterRenewal).toBe(renewed[0]);
  });

  it('keeps apart credentials of other roles, external ids and sources', async () => {
    // Prepare
    const roles = new AssumedRoles();
    const other: RoleSource = { key: 'other-keys', credentials: SOURCE };

    // Act
    const a = await roles.credentials(role(), fromKeys);
    const b = await roles.credentials(role({ roleArn: ROLE_B, externalId: 'tenant-42' }), fromKeys);
    const fromOther = await roles.credentials(role(), other);

    // Assess
    expect(sts.calls.map((c) => c.roleArn)).toEqual([ROLE_A, ROLE_B, ROLE_A]);
    expect(new Set([a.accessKeyId, b.accessKeyId, fromOther.accessKeyId]).size).toBe(3);
  });

  it.each([
    ['a role that does not exist', { roleArn: ROLE_MISSING }],
    ['a wrong external id', { roleArn: ROLE_B, externalId: 'tenant-43' }],
    ['no external id where the role asks for one', { roleArn: ROLE_B }],
  ])('refuses %s with an error naming STS’s AccessDenied, the role for the log only, and no secret', async (_case, asked) => {
    // Act
    const err = await new AssumedRoles().credentials(role(asked), fromKeys).catch((e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ status: 502, code: 'upstream_assume_role_denied' });
    const { message, detail } = err as GatewayError;
    expect(message).toBe('The gateway could not assume its AWS role for provider "br" account "pool-1" (AccessDenied).');
    expect(message).not.toContain(asked.roleArn);
    expect(detail).toContain(`role ${asked.roleArn}: User: `);
    expect(`${message} ${detail}`).not.toContain(SOURCE.secretAccessKey);
  });

  it('caches no refusal: the next call asks STS again', async () => {
    // Prepare
    const roles = new AssumedRoles();
    await roles.credentials(role({ roleArn: ROLE_MISSING }), fromKeys).catch(() => undefined);

    // Act
    const again = await roles.credentials(role({ roleArn: ROLE_MISSING }), fromKeys).catch((e: unknown) => e);

    // Assess
    expect(again).toMatchObject({ code: 'upstream_assume_role_denied' });
    expect(sts.calls).toHaveLength(2);
  });

  it('reports source credentials STS does not know as a refusal too', async () => {
    // Act
    const err = await new AssumedRoles().credentials(role(), { key: 'wrong', credentials: { ...SOURCE, secretAccessKey: 'not-the-secret' } }).catch((e: unknown) => e);

    // Assess
    expect(sts.refused).toEqual(['InvalidSignatureException']);
    expect(err).toMatchObject({ code: 'upstream_assume_role_denied' });
    expect((err as Error).message).not.toContain('not-the-secret');
  });

  it('reports an STS that cannot be reached as a failure, not a refusal', async () => {
    // Prepare: a port that was open a moment ago and is closed now.
    const server = createServer();
    const url = await listenOnLoopback(server);
    await closeServer(server);

    // Act
    const err = await new AssumedRoles().credentials(role({ endpoint: url }), fromKeys).catch((e: unknown) => e);

    // Assess
    expect(err).toMatchObject({ status: 502, code: 'upstream_assume_role_failed' });
    expect((err as GatewayError).message).toContain('could not assume its AWS role for provider "br"');
    expect((err as GatewayError).detail).toContain(`role ${ROLE_A}`);
  });
});

describe('assumeRoleError', () => {
  // STS's errors as the SDK throws them: its code as `name`, its HTTP status in `$metadata`.
  it.each([
    ['AccessDenied', 403, 'upstream_assume_role_denied'],
    ['ValidationError', 400, 'upstream_assume_role_denied'],
    ['RegionDisabledException', 403, 'upstream_assume_role_denied'],
    ['InvalidClientTokenId', 403, 'upstream_assume_role_denied'],
    // STS throttles with a 400 ("Throttling: Rate exceeded"): it mends in seconds, it is no refusal.
    ['Throttling', 400, 'upstream_assume_role_failed'],
    ['ThrottlingException', 400, 'upstream_assume_role_failed'],
    ['TooManyRequestsException', 429, 'upstream_assume_role_failed'],
    ['InternalFailure', 500, 'upstream_assume_role_failed'],
  ])('tells STS’s %s (%i) apart as %s', (name, status, code) => {
    // Prepare
    const err = Object.assign(new Error('Rate exceeded'), { name, $metadata: { httpStatusCode: status } });

    // Act
    const mapped = assumeRoleError(err, { roleArn: ROLE_A, providerId: 'br', accountId: 'pool-1' });

    // Assess
    expect(mapped).toMatchObject({ status: 502, code });
  });
});

describe('configuredBedrockCredentials with assumeRole', () => {
  const lambdaRole = jest.fn(async () => SOURCE);
  const scope = (account: Record<string, unknown>, provider: Record<string, unknown> = {}): BedrockCredentialScope => ({
    provider: { id: 'br', type: 'bedrock', region: REGION, stsEndpoint: sts.url, ...provider },
    account: { id: 'pool-1', weight: 1, ...account },
  });
  afterEach(() => lambdaRole.mockClear());

  it('assumes the account’s role with the gateway’s own credentials when it has no access key', async () => {
    // Prepare
    const credentials = configuredBedrockCredentials(async () => 'unused', lambdaRole);

    // Act
    const identity = await credentials(scope({ assumeRole: { roleArn: ROLE_A } }));

    // Assess
    expect(lambdaRole).toHaveBeenCalled();
    expect(sts.calls).toMatchObject([{ roleArn: ROLE_A, roleSessionName: 'aigw-br-pool-1', issued: identity.accessKeyId }]);
    expect(identity.sessionToken).toBe(sts.issued.get(identity.accessKeyId)?.sessionToken);
  });

  it('assumes it with the account’s access key when it has one, never asking the gateway’s role', async () => {
    // Prepare
    const values: Record<string, string> = { ID: SOURCE.accessKeyId, SECRET: SOURCE.secretAccessKey };
    const credentials = configuredBedrockCredentials(async (ref) => values[(ref as { env: string }).env]!, lambdaRole);
    const awsCredentials = { accessKeyId: { env: 'ID' }, secretAccessKey: { env: 'SECRET' } };

    // Act
    const identity = await credentials(scope({ awsCredentials, assumeRole: { roleArn: ROLE_A } }));

    // Assess
    expect(lambdaRole).not.toHaveBeenCalled();
    expect(sts.refused).toEqual([]);
    expect(identity.accessKeyId).toBe(sts.calls[0]?.issued);
  });

  it('takes the provider’s role for accounts that name none, and the account’s own over it', async () => {
    // Prepare
    const credentials = configuredBedrockCredentials(async () => 'unused', lambdaRole);
    const provider = { assumeRole: { roleArn: ROLE_A } };

    // Act
    await credentials(scope({ id: 'pool-1' }, provider));
    await credentials(scope({ id: 'pool-2', assumeRole: { roleArn: ROLE_B, externalId: 'tenant-42' } }, provider));

    // Assess
    expect(sts.calls).toMatchObject([
      { roleArn: ROLE_A, roleSessionName: 'aigw-br-pool-1' },
      { roleArn: ROLE_B, roleSessionName: 'aigw-br-pool-2', externalId: 'tenant-42' },
    ]);
  });

  it('uses the account’s STS endpoint over the provider’s', async () => {
    // Prepare
    const credentials = configuredBedrockCredentials(async () => 'unused', lambdaRole);

    // Act
    const err = await credentials(scope({ assumeRole: { roleArn: ROLE_A }, stsEndpoint: 'http://127.0.0.1:9' })).catch((e: unknown) => e);

    // Assess: port 9 (discard) is closed on loopback; the provider's fake STS was not asked.
    expect(err).toMatchObject({ code: 'upstream_assume_role_failed' });
    expect(sts.calls).toEqual([]);
  });

  it('asks no STS for accounts without a role', async () => {
    // Prepare
    const credentials = configuredBedrockCredentials(async () => 'unused', lambdaRole);

    // Act
    const identity = await credentials(scope({}));

    // Assess
    expect(identity).toBe(SOURCE);
    expect(sts.calls).toEqual([]);
  });
});
