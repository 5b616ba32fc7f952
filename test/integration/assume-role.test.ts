import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { REFRESH_AHEAD_MS } from '../../lib/providers/bedrock/assume-role';
import { startFakeBedrock, type BedrockRecordedRequest, type FakeBedrock } from '../fakes/bedrock';
import { sleep } from '../fakes/http';
import { startFakeSts, type FakeSts } from '../fakes/sts';
import { eventually, startHarness, type Harness } from './harness';

/**
 * Bedrock accounts in other AWS accounts, reached by assuming a role in each: the gateway asks
 * a fake STS (which checks the signature of the source credentials: the gateway's own, here from
 * the environment as the Lambda role's would come, or an account's access key) and signs its
 * Bedrock calls with what STS issued, which the fake Bedrock checks, session token and expiry.
 * The official openai client is the caller.
 */
const REGION = 'eu-west-1';
/** The gateway's own credentials (on Lambda, its role's; here the environment, which the SDK's default chain reads first). */
const GATEWAY = { accessKeyId: 'AKIDGATEWAYLAMBDA001', secretAccessKey: 'gateway/lambda+secret/0123' };
/** An access key of another account's IAM user, for the account that assumes its role with keys. */
const USER_KEY = { accessKeyId: 'AKIDPOOLUSERKEY00001', secretAccessKey: 'pool/user+secret/4567' };
const CLAUDE = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
const role = (account: string, name: string) => `arn:aws:iam::${account}:role/${name}`;
const ROLE = {
  pool1: role('111111111111', 'aigw-bedrock'),
  pool2: role('222222222222', 'aigw-bedrock'),
  crowd: role('333333333333', 'aigw-bedrock'),
  renew: role('444444444444', 'aigw-bedrock'),
  keyed: role('555555555555', 'aigw-bedrock'),
  gone: role('666666666666', 'aigw-bedrock-deleted'),
  revoked: role('777777777777', 'aigw-bedrock'),
};
/** Temporary credentials the fake Bedrock no longer honours (the role's sessions revoked in IAM). */
const revokedKeys = new Set<string>();

let h: Harness;
let sts: FakeSts;
let stsForKeys: FakeSts;
let bedrock: FakeBedrock;
let client: OpenAI;
let key: string;
let keyId: string;
const savedEnv = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = GATEWAY.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = GATEWAY.secretAccessKey;
  const trusts = { [ROLE.pool1]: { externalId: 'aigw-tenant-1' }, [ROLE.pool2]: {}, [ROLE.crowd]: {}, [ROLE.renew]: {}, [ROLE.revoked]: {} };
  // One STS trusts the gateway's own identity, the other the IAM user's key (STS checks who signs).
  sts = await startFakeSts({ ...GATEWAY, region: REGION, roles: trusts, delayMs: 20 });
  stsForKeys = await startFakeSts({ ...USER_KEY, region: REGION, roles: { [ROLE.keyed]: {} } });
  const issuedByEither = (id: string) => (revokedKeys.has(id) ? undefined : (sts.temporaryFor()(id) ?? stsForKeys.temporaryFor()(id)));
  // Bedrock honours only what STS issued: a call signed with the gateway's own key is refused.
  bedrock = await startFakeBedrock({ accessKeyId: 'AKIDNOBODYHASTHIS001', secretAccessKey: 'unused', region: REGION, temporary: issuedByEither });
  h = await startHarness({
    config: () => ({
      providers: [
        {
          id: 'pool',
          type: 'bedrock',
          region: REGION,
          baseUrl: bedrock.url,
          stsEndpoint: sts.url,
          // The provider's role is the default; each account of the pool names its own here.
          assumeRole: { roleArn: ROLE.pool2 },
          accounts: [
            { id: 'gone', assumeRole: { roleArn: ROLE.gone } },
            { id: 'pool-1', assumeRole: { roleArn: ROLE.pool1, externalId: 'aigw-tenant-1' } },
            { id: 'pool-2' },
            { id: 'crowd', assumeRole: { roleArn: ROLE.crowd } },
            { id: 'renew', assumeRole: { roleArn: ROLE.renew } },
            { id: 'revoked', assumeRole: { roleArn: ROLE.revoked } },
          ],
        },
        {
          id: 'keyed',
          type: 'bedrock',
          region: REGION,
          baseUrl: bedrock.url,
          stsEndpoint: stsForKeys.url,
          accounts: [{ id: 'user', awsCredentials: { accessKeyId: { env: 'USER_ID' }, secretAccessKey: { env: 'USER_SECRET' } }, assumeRole: { roleArn: ROLE.keyed } }],
        },
      ],
      models: [
        { name: 'claude-pool-1', targets: [{ provider: 'pool', model: CLAUDE, accounts: ['pool-1'] }] },
        { name: 'claude-failover', targets: [{ provider: 'pool', model: CLAUDE, accounts: ['gone'] }, { provider: 'pool', model: CLAUDE, accounts: ['pool-2'] }] },
        { name: 'claude-gone', targets: [{ provider: 'pool', model: CLAUDE, accounts: ['gone'] }] },
        { name: 'claude-crowd', targets: [{ provider: 'pool', model: CLAUDE, accounts: ['crowd'] }] },
        { name: 'claude-renew', targets: [{ provider: 'pool', model: CLAUDE, accounts: ['renew'] }] },
        { name: 'claude-revoked', targets: [{ provider: 'pool', model: CLAUDE, accounts: ['revoked'] }] },
        { name: 'claude-keyed', targets: [{ provider: 'keyed', model: CLAUDE }] },
      ],
    }),
    credentials: { USER_ID: USER_KEY.accessKeyId, USER_SECRET: USER_KEY.secretAccessKey },
  });
  ({ key, id: keyId } = await h.createKey({ name: 'cross-account', models: ['*'] }));
  client = h.openai({ apiKey: key });
});
afterAll(async () => {
  await h.close();
  await bedrock.close();
  await sts.close();
  await stsForKeys.close();
  process.env.AWS_ACCESS_KEY_ID = savedEnv.id;
  process.env.AWS_SECRET_ACCESS_KEY = savedEnv.secret;
  if (savedEnv.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
  if (savedEnv.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
});
beforeEach(() => {
  sts.reset();
  stsForKeys.reset();
  bedrock.reset();
  h.health.clear();
});

const ask = (model: string, text = 'hi') => client.chat.completions.create({ model, messages: [{ role: 'user', content: text }] });

/** The credentials the fake STS issued that a Bedrock request was signed with (undefined when none were). */
function signedAs(req: BedrockRecordedRequest | undefined) {
  const keyId = /Credential=([^/]+)\//.exec(String(req?.headers.authorization))?.[1] ?? '';
  return sts.issued.get(keyId) ?? stsForKeys.issued.get(keyId);
}

describe('Bedrock accounts that assume a role', () => {
  it('calls Bedrock as the role, assumed with the gateway’s own credentials, with its external id', async () => {
    // Act
    const completion = await ask('claude-pool-1', 'hello from another account');

    // Assess
    expect(completion.choices[0]?.message.content).toBe('Echo: hello from another account');
    expect(sts.refused).toEqual([]);
    expect(sts.calls).toMatchObject([{ roleArn: ROLE.pool1, externalId: 'aigw-tenant-1', roleSessionName: 'aigw-pool-pool-1' }]);
    const sent = bedrock.requests[0];
    expect(sent).toMatchObject({ signatureValid: true, operation: 'converse', modelId: CLAUDE });
    const issued = signedAs(sent);
    expect(issued?.roleArn).toBe(ROLE.pool1);
    expect(sent?.headers['x-amz-security-token']).toBe(issued?.sessionToken);
  });

  it('assumes the role with the account’s access key when it has one', async () => {
    // Act
    const completion = await ask('claude-keyed');

    // Assess
    expect(completion.choices[0]?.message.content).toBe('Echo: hi');
    expect(stsForKeys.refused).toEqual([]);
    expect(stsForKeys.calls).toMatchObject([{ roleArn: ROLE.keyed, roleSessionName: 'aigw-keyed-user' }]);
    expect(sts.calls).toEqual([]);
    expect(signedAs(bedrock.requests[0])?.roleArn).toBe(ROLE.keyed);
  });

  it('makes one STS call for many concurrent first requests, and none for the next', async () => {
    // Act: the fake STS takes 20 ms, so the first calls overlap.
    const first = await Promise.all(Array.from({ length: 20 }, (_, i) => ask('claude-crowd', `n${i}`)));
    const next = await ask('claude-crowd', 'again');

    // Assess
    expect(first.map((c) => c.choices[0]?.message.content)).toEqual(Array.from({ length: 20 }, (_, i) => `Echo: n${i}`));
    expect(next.choices[0]?.message.content).toBe('Echo: again');
    expect(sts.calls).toHaveLength(1);
    expect(bedrock.requests).toHaveLength(21);
    expect(new Set(bedrock.requests.map((r) => signedAs(r)?.accessKeyId))).toEqual(new Set([sts.calls[0]?.issued]));
  });

  it('assumes the role again once its credentials come within five minutes of expiry', async () => {
    // Prepare: credentials that last five minutes and three seconds are fresh for two or three (STS counts whole seconds).
    sts.setExpiresInSeconds(303);
    await ask('claude-renew', 'one');
    const firstKey = signedAs(bedrock.requests[0])!;
    await ask('claude-renew', 'two');
    const sameKey = signedAs(bedrock.requests[1]);
    sts.setExpiresInSeconds(undefined);
    await sleep(Math.max(0, firstKey.expiresAt - REFRESH_AHEAD_MS - Date.now()) + 50);

    // Act
    const completion = await ask('claude-renew', 'three');

    // Assess
    expect(completion.choices[0]?.message.content).toBe('Echo: three');
    expect(sameKey?.accessKeyId).toBe(firstKey.accessKeyId);
    expect(sts.calls.map((c) => c.roleArn)).toEqual([ROLE.renew, ROLE.renew]);
    const renewed = signedAs(bedrock.requests[2]);
    expect(renewed?.accessKeyId).toBe(sts.calls[1]?.issued);
    expect(renewed?.accessKeyId).not.toBe(firstKey.accessKeyId);
    expect(bedrock.requests.every((r) => r.signatureValid)).toBe(true);
  });

  it('assumes the role again after Bedrock refuses the credentials in hand (sessions revoked), instead of sending them until they expire', async () => {
    // Prepare: the role's current session is revoked in IAM (its credentials now refused), an hour before they expire.
    await ask('claude-revoked', 'one');
    const first = signedAs(bedrock.requests[0])!;
    revokedKeys.add(first.accessKeyId);
    const refused = await ask('claude-revoked', 'two').catch((e: unknown) => e);
    h.health.clear();

    // Act
    const completion = await ask('claude-revoked', 'three');

    // Assess
    expect(refused).toMatchObject({ status: 502 });
    expect(completion.choices[0]?.message.content).toBe('Echo: three');
    expect(sts.calls.map((c) => c.roleArn)).toEqual([ROLE.revoked, ROLE.revoked]);
    expect(signedAs(bedrock.requests[2])?.accessKeyId).toBe(sts.calls[1]?.issued);
  });

  it('fails over to the next account when STS refuses a role (AccessDenied), and rests the refused account as one with refused keys', async () => {
    // Prepare
    const failed = jest.spyOn(h.health, 'failed');

    // Act
    const completion = await ask('claude-failover', 'still served');
    const rests = [...failed.mock.calls];
    failed.mockRestore();

    // Assess
    expect(completion.choices[0]?.message.content).toBe('Echo: still served');
    expect(sts.calls).toMatchObject([
      { roleArn: ROLE.gone, error: 'AccessDenied' },
      { roleArn: ROLE.pool2, roleSessionName: 'aigw-pool-pool-2' },
    ]);
    expect(bedrock.requests).toHaveLength(1);
    expect(signedAs(bedrock.requests[0])?.roleArn).toBe(ROLE.pool2);
    expect(rests).toEqual([['pool/gone', 'auth', undefined]]);
    expect(h.health.isCooling('pool/gone')).toBe(true);
    await eventually(async () => {
      const record = (await h.usage(keyId)).find((u) => u.model === 'claude-failover');
      expect(record).toMatchObject({ account: 'pool-2', attempts: 2, status: 200 });
    });
  });

  it('answers 502 naming the account, not the role, when the only account’s role is refused, with no secret in it', async () => {
    // Act
    const err = await ask('claude-gone').catch((e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err).toMatchObject({ status: 502, code: 'upstream_assume_role_denied' });
    const message = (err as Error).message;
    expect(message).toContain('could not assume its AWS role for provider "pool" account "gone" (AccessDenied)');
    expect(message).not.toContain(ROLE.gone);
    for (const secret of [GATEWAY.secretAccessKey, USER_KEY.secretAccessKey]) expect(message).not.toContain(secret);
    expect(bedrock.requests).toEqual([]);
  });

  it('signs Anthropic clients’ calls to Claude on Bedrock (InvokeModel, passed through) with the role too', async () => {
    // Prepare
    const anthropic = new Anthropic({ apiKey: key, baseURL: h.gw.url, maxRetries: 0 });

    // Act
    const message = await anthropic.messages.create({ model: 'claude-pool-1', max_tokens: 50, messages: [{ role: 'user', content: 'through invoke' }] });

    // Assess
    expect(message.content[0]).toMatchObject({ type: 'text' });
    expect(bedrock.requests[0]).toMatchObject({ operation: 'invoke', signatureValid: true });
    expect(signedAs(bedrock.requests[0])?.roleArn).toBe(ROLE.pool1);
  });
});

