import { parseConfig } from './load';
import type { GatewayConfigInput } from './schema';
import { issuesOf } from '../../test/config-issues';

const ROLE = 'arn:aws:iam::111122223333:role/aigw-bedrock';

/** A Bedrock provider whose one account has `account` merged in, and a provider-level `provider`. */
function withBedrock(account: object, provider: object = {}): GatewayConfigInput {
  return {
    providers: [{ id: 'br', type: 'bedrock', region: 'us-east-1', accounts: [{ id: 'pool-1', ...account }], ...provider }],
    models: [{ name: 'nova', targets: [{ provider: 'br', model: 'amazon.nova-pro-v1:0' }] }],
  } as GatewayConfigInput;
}


describe('assumeRole in the gateway config', () => {
  it.each([
    ['a role in the commercial partition', ROLE],
    ['a role in China', 'arn:aws-cn:iam::111122223333:role/aigw-bedrock'],
    ['a role in GovCloud', 'arn:aws-us-gov:iam::111122223333:role/aigw-bedrock'],
    ['a role with a path', 'arn:aws:iam::111122223333:role/service-role/gateways/aigw+bedrock@team=a,b.c'],
  ])('accepts %s', (_case, roleArn) => {
    // Act
    const config = parseConfig(withBedrock({ assumeRole: { roleArn } }));

    // Assess
    expect(config.providers[0]!.accounts[0]!.assumeRole).toEqual({ roleArn });
  });

  it('keeps every field given, and the STS endpoint', () => {
    // Prepare
    const assumeRole = { roleArn: ROLE, externalId: 'aigw:tenant/42', sessionName: 'aigw-pool-1', durationSeconds: 43200 };

    // Act
    const config = parseConfig(withBedrock({ assumeRole, stsEndpoint: 'https://sts.eu-west-1.amazonaws.com' }));

    // Assess
    expect(config.providers[0]!.accounts[0]).toMatchObject({ assumeRole, stsEndpoint: 'https://sts.eu-west-1.amazonaws.com' });
  });

  it('takes a role on the provider, as the default of its accounts', () => {
    const config = parseConfig(withBedrock({}, { assumeRole: { roleArn: ROLE }, stsEndpoint: 'http://127.0.0.1:4566' }));

    expect(config.providers[0]).toMatchObject({ assumeRole: { roleArn: ROLE }, stsEndpoint: 'http://127.0.0.1:4566' });
  });

  it.each([
    ['a user ARN', { roleArn: 'arn:aws:iam::111122223333:user/alice' }, 'providers[0].accounts[0].assumeRole.roleArn: an IAM role ARN'],
    ['an unknown partition', { roleArn: 'arn:aws-xx:iam::111122223333:role/r' }, 'assumeRole.roleArn: an IAM role ARN'],
    ['an account id of 11 digits', { roleArn: 'arn:aws:iam::11112222333:role/r' }, 'assumeRole.roleArn: an IAM role ARN'],
    ['a wildcard role', { roleArn: 'arn:aws:iam::111122223333:role/*' }, 'assumeRole.roleArn: an IAM role ARN'],
    ['a role name of 65 characters', { roleArn: `arn:aws:iam::111122223333:role/${'r'.repeat(65)}` }, 'assumeRole.roleArn: an IAM role ARN'],
    ['an external id of 1 character', { roleArn: ROLE, externalId: 'x' }, 'assumeRole.externalId: an external id of at least 2 characters'],
    ['an external id of 1225 characters', { roleArn: ROLE, externalId: 'x'.repeat(1225) }, 'assumeRole.externalId: an external id of at most 1224 characters'],
    ['an external id with a space', { roleArn: ROLE, externalId: 'my id' }, 'assumeRole.externalId: an external id of letters'],
    ['a duration under 15 minutes', { roleArn: ROLE, durationSeconds: 899 }, 'assumeRole.durationSeconds: at least 900 seconds'],
    ['a duration over 12 hours', { roleArn: ROLE, durationSeconds: 43201 }, 'assumeRole.durationSeconds: at most 43200 seconds'],
    ['a session name with a space', { roleArn: ROLE, sessionName: 'my session' }, 'assumeRole.sessionName: a session name of 2 to 64'],
    ['an unknown field', { roleArn: ROLE, policy: '{}' }, 'assumeRole: Unrecognized key: "policy"'],
  ])('refuses %s, naming the field', (_case, assumeRole, expected) => {
    expect(issuesOf(withBedrock({ assumeRole })).join('\n')).toContain(expected);
  });

  it('refuses a bad role on the provider, naming the provider field', () => {
    expect(issuesOf(withBedrock({}, { assumeRole: { roleArn: 'role/x' } })).join('\n')).toContain('providers[0].assumeRole.roleArn: an IAM role ARN');
  });

  it('refuses a role on an account of another provider type', () => {
    // Prepare
    const input = {
      providers: [{ id: 'oa', type: 'openai', accounts: [{ id: 'a', apiKey: { env: 'K' }, assumeRole: { roleArn: ROLE } }] }],
      models: [{ name: 'gpt', targets: [{ provider: 'oa', model: 'gpt-4o' }] }],
    };

    // Act
    const issues = issuesOf(input);

    // Assess
    expect(issues).toEqual(['providers[0].accounts[0].assumeRole: only a Bedrock account assumes an AWS role']);
  });
});
