import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { startFakeBedrock, type FakeBedrock } from './bedrock';
import { sleep } from './http';
import { startFakeSts, type FakeSts } from './sts';

const SOURCE = { accessKeyId: 'AKIDFAKESTSSOURCE001', secretAccessKey: 'fake/sts+source/0123456789' };
const REGION = 'ap-southeast-2';
const ROLE = 'arn:aws:iam::123456789012:role/aigw-bedrock';

describe('fake STS, through the AWS SDK’s STS client', () => {
  let sts: FakeSts;
  let bedrock: FakeBedrock;
  const client = () => new STSClient({ region: REGION, endpoint: sts.url, credentials: SOURCE, maxAttempts: 1 });
  const assume = (over: Partial<ConstructorParameters<typeof AssumeRoleCommand>[0]> = {}) => client().send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'test-session', ...over }));

  beforeAll(async () => {
    sts = await startFakeSts({ ...SOURCE, region: REGION, roles: { [ROLE]: {} } });
    bedrock = await startFakeBedrock({ accessKeyId: 'AKIDNOTUSED000000001', secretAccessKey: 'x', region: REGION, temporary: sts.temporaryFor(ROLE) });
  });
  afterEach(() => {
    sts.reset();
    sts.setExpiresInSeconds(undefined);
  });
  afterAll(async () => {
    await sts.close();
    await bedrock.close();
  });

  it('answers AssumeRole in the shape the SDK reads: credentials, expiry, the assumed role', async () => {
    // Act
    const answer = await assume({ DurationSeconds: 1800 });

    // Assess
    const issued = sts.issued.get(answer.Credentials!.AccessKeyId!)!;
    expect(answer.Credentials).toEqual({ AccessKeyId: issued.accessKeyId, SecretAccessKey: issued.secretAccessKey, SessionToken: issued.sessionToken, Expiration: new Date(issued.expiresAt) });
    expect(issued.expiresAt - Date.now()).toBeGreaterThan(1790_000);
    expect(answer.AssumedRoleUser?.Arn).toBe('arn:aws:sts::123456789012:assumed-role/aigw-bedrock/test-session');
  });

  it.each([
    ['a duration under 900 s', { DurationSeconds: 60 }, 'ValidationError', 400],
    ['a session name with a space', { RoleSessionName: 'a b' }, 'ValidationError', 400],
    ['an external id the role does not ask for', { ExternalId: 'surprise' }, 'AccessDenied', 403],
    ['a role that does not exist', { RoleArn: 'arn:aws:iam::123456789012:role/nope' }, 'AccessDenied', 403],
  ])('refuses %s with STS’s XML error, which the SDK reads', async (_case, over, name, status) => {
    // Act
    const err = await assume(over).catch((e: unknown) => e);

    // Assess
    expect(err).toMatchObject({ name, $metadata: { httpStatusCode: status } });
  });

  it('refuses a request not signed with the source key', async () => {
    // Act
    const err = await new STSClient({ region: REGION, endpoint: sts.url, credentials: { ...SOURCE, secretAccessKey: 'wrong' }, maxAttempts: 1 })
      .send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'test-session' }))
      .catch((e: unknown) => e);

    // Assess
    expect(err).toMatchObject({ name: 'InvalidSignatureException', $metadata: { httpStatusCode: 403 } });
    expect(sts.refused).toEqual(['InvalidSignatureException']);
    expect(sts.calls).toEqual([]);
  });

  it('issues credentials the fake Bedrock honours with their session token, until they expire', async () => {
    // Prepare: credentials that last one to two seconds (STS counts whole seconds).
    sts.setExpiresInSeconds(2);
    const { Credentials: c } = await assume();
    const bedrockWith = (sessionToken: string | undefined) =>
      new BedrockRuntimeClient({ region: REGION, endpoint: bedrock.url, credentials: { accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey!, ...(sessionToken ? { sessionToken } : {}) }, requestHandler: new NodeHttpHandler(), maxAttempts: 1 });
    const converse = (sessionToken: string | undefined) =>
      bedrockWith(sessionToken).send(new ConverseCommand({ modelId: 'amazon.nova-pro-v1:0', messages: [{ role: 'user', content: [{ text: 'hi' }] }] })).catch((e: unknown) => e);

    // Act
    const withToken = await converse(c!.SessionToken);
    const withoutToken = await converse(undefined);
    await sleep(Math.max(0, c!.Expiration!.getTime() - Date.now()) + 10);
    const expired = await converse(c!.SessionToken);

    // Assess
    expect(withToken).toMatchObject({ output: { message: { content: [{ text: 'Echo: hi' }] } } });
    expect(withoutToken).toMatchObject({ name: 'UnrecognizedClientException' });
    expect(expired).toMatchObject({ name: 'ExpiredTokenException' });
  });
});
