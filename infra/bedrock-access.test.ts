import { App, Stack } from 'aws-cdk-lib';
import { AccountRootPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import { ConfigError, parseConfig } from '../lib/config/load';
import { assumedRoleArns, bedrockInvokeResources, bedrockRerankUsesRole, grantAssumeRoles, roleChainingIssues } from './constructs/bedrock-access';

const SCOPE = { partition: 'aws', accountId: '111122223333' };
const ROLE = 'arn:aws:iam::444455556666:role/aigw-bedrock';
const STATIC_KEY = { accessKeyId: { env: 'ID' }, secretAccessKey: { env: 'SECRET' } };
const APP_PROFILE = 'arn:aws:bedrock:us-west-2:111122223333:application-inference-profile/abc123';
const SYSTEM_PROFILE = 'arn:aws:bedrock:eu-west-1:111122223333:inference-profile/eu.anthropic.claude-3-7-sonnet-20250219-v1:0';

/** A config with one Bedrock provider (us-east-1 unless an account says otherwise) and one model per target. */
function configWith(accounts: object[], targets: object[], extra: object[] = []) {
  return parseConfig({
    providers: [{ id: 'br', type: 'bedrock', region: 'us-east-1', accounts }, ...extra],
    models: targets.map((t, i) => ({ name: `m${i}`, targets: [{ provider: 'br', ...t }] })),
  });
}

/** The resources, each as its ARN, with "(wildcard)" after those that carry a reason. */
function arnsOf(config: ReturnType<typeof configWith>) {
  return bedrockInvokeResources(config, SCOPE).map((r) => (r.wildcardReason ? `${r.arn} (wildcard)` : r.arn));
}

describe('bedrockInvokeResources', () => {
  it.each([
    {
      case: 'a foundation model id is that model in the account Region',
      model: 'amazon.nova-pro-v1:0',
      arns: ['arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0'],
    },
    {
      case: 'a US profile id is the profile in the account Region and its model in any Region',
      model: 'us.anthropic.claude-sonnet-4-20250514-v1:0',
      arns: [
        'arn:aws:bedrock:us-east-1:111122223333:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0',
        'arn:aws:bedrock:*::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0 (wildcard)',
      ],
    },
    {
      case: 'a global profile id is the profile and its model in any Region (the "*" also matches the Region-less ARN)',
      model: 'global.anthropic.claude-sonnet-4-5-20250929-v1:0',
      arns: [
        'arn:aws:bedrock:us-east-1:111122223333:inference-profile/global.anthropic.claude-sonnet-4-5-20250929-v1:0',
        'arn:aws:bedrock:*::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0 (wildcard)',
      ],
    },
    {
      case: 'a hyphenated prefix (us-gov.) is a profile too',
      model: 'us-gov.anthropic.claude-3-5-sonnet-20240620-v1:0',
      arns: [
        'arn:aws:bedrock:us-east-1:111122223333:inference-profile/us-gov.anthropic.claude-3-5-sonnet-20240620-v1:0',
        'arn:aws:bedrock:*::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0 (wildcard)',
      ],
    },
    {
      case: 'a foundation model ARN is that ARN',
      model: 'arn:aws:bedrock:us-west-2::foundation-model/meta.llama3-70b-instruct-v1:0',
      arns: ['arn:aws:bedrock:us-west-2::foundation-model/meta.llama3-70b-instruct-v1:0'],
    },
    {
      case: 'a cross-Region profile ARN is that ARN and its model in any Region',
      model: SYSTEM_PROFILE,
      arns: [SYSTEM_PROFILE, 'arn:aws:bedrock:*::foundation-model/anthropic.claude-3-7-sonnet-20250219-v1:0 (wildcard)'],
    },
    {
      case: 'an application inference profile ARN is that ARN and any foundation model of its Region',
      model: APP_PROFILE,
      arns: [APP_PROFILE, 'arn:aws:bedrock:us-west-2::foundation-model/* (wildcard)'],
    },
    {
      case: 'a provisioned throughput ARN is that ARN alone',
      model: 'arn:aws:bedrock:us-east-1:111122223333:provisioned-model/pt123',
      arns: ['arn:aws:bedrock:us-east-1:111122223333:provisioned-model/pt123'],
    },
  ])('$case', ({ model, arns }) => {
    // Act
    const found = arnsOf(configWith([{ id: 'role' }], [{ model }]));

    // Assess
    expect(found).toEqual(arns);
  });

  it('builds ARNs with the partition and account it is given (pseudo parameters in the stack)', () => {
    // Act
    const found = bedrockInvokeResources(configWith([{ id: 'role' }], [{ model: 'eu.amazon.nova-pro-v1:0' }]), { partition: 'aws-cn', accountId: '999' });

    // Assess
    expect(found.map((r) => r.arn)).toEqual(['arn:aws-cn:bedrock:us-east-1:999:inference-profile/eu.amazon.nova-pro-v1:0', 'arn:aws-cn:bedrock:*::foundation-model/amazon.nova-pro-v1:0']);
  });

  it('grants each Region an account of the target uses, the account Region winning over the provider one', () => {
    // Prepare
    const config = configWith([{ id: 'east' }, { id: 'west', region: 'us-west-2' }], [{ model: 'amazon.nova-pro-v1:0' }]);

    // Act
    const found = arnsOf(config);

    // Assess
    expect(found).toEqual(['arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0', 'arn:aws:bedrock:us-west-2::foundation-model/amazon.nova-pro-v1:0']);
  });

  it('asks nothing of the role for accounts with their own access key, nor for targets pinned to them', () => {
    // Prepare
    const accounts = [{ id: 'role' }, { id: 'static', region: 'eu-west-1', awsCredentials: STATIC_KEY }];
    const config = configWith(accounts, [{ model: 'amazon.nova-pro-v1:0' }, { model: 'meta.llama3-70b-instruct-v1:0', accounts: ['static'] }]);

    // Act
    const found = arnsOf(config);

    // Assess
    expect(found).toEqual(['arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0']);
  });

  it('asks nothing of the role for accounts that assume another account’s role, their own or their provider’s', () => {
    // Prepare
    const accounts = [{ id: 'role' }, { id: 'other', region: 'eu-west-1', assumeRole: { roleArn: ROLE } }];
    const config = configWith(accounts, [{ model: 'amazon.nova-pro-v1:0' }]);
    const byProvider = parseConfig({
      providers: [{ id: 'br', type: 'bedrock', region: 'us-east-1', assumeRole: { roleArn: ROLE }, accounts: [{ id: 'a' }, { id: 'b' }] }],
      models: [{ name: 'm', targets: [{ provider: 'br', model: 'amazon.nova-pro-v1:0' }] }],
    });

    // Act
    const found = arnsOf(config);

    // Assess
    expect(found).toEqual(['arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0']);
    expect(bedrockInvokeResources(byProvider, SCOPE)).toEqual([]);
  });

  it('is empty when every Bedrock account has its own access key', () => {
    expect(arnsOf(configWith([{ id: 'static', awsCredentials: STATIC_KEY }], [{ model: 'amazon.nova-pro-v1:0' }]))).toEqual([]);
  });

  it('ignores targets of other providers, even with Bedrock-like model ids', () => {
    // Prepare
    const openai = { id: 'oa', type: 'openai-compatible', baseUrl: 'https://example.com/v1', accounts: [{ id: 'a' }] };
    const config = parseConfig({
      providers: [{ id: 'br', type: 'bedrock', region: 'us-east-1', accounts: [{ id: 'role' }] }, openai],
      models: [{ name: 'm', targets: [{ provider: 'oa', model: 'us.anthropic.claude-sonnet-4-20250514-v1:0' }] }],
    });

    // Act
    const found = bedrockInvokeResources(config, SCOPE);

    // Assess
    expect(found).toEqual([]);
  });

  it('lists a resource once however many targets and accounts lead to it', () => {
    // Prepare
    const config = configWith([{ id: 'a' }, { id: 'b' }], [{ model: 'us.amazon.nova-pro-v1:0' }, { model: 'eu.amazon.nova-pro-v1:0', accounts: ['b'] }]);

    // Act
    const found = arnsOf(config);

    // Assess
    expect(found).toEqual([
      'arn:aws:bedrock:us-east-1:111122223333:inference-profile/us.amazon.nova-pro-v1:0',
      'arn:aws:bedrock:*::foundation-model/amazon.nova-pro-v1:0 (wildcard)',
      'arn:aws:bedrock:us-east-1:111122223333:inference-profile/eu.amazon.nova-pro-v1:0',
    ]);
  });
});

describe('assumedRoleArns', () => {
  it('lists the role of each account that assumes one with the Lambda role, its own or its provider’s, once each, in config order', () => {
    // Prepare
    const other = 'arn:aws-us-gov:iam::777788889999:role/team/aigw';
    const config = parseConfig({
      providers: [
        { id: 'br', type: 'bedrock', region: 'us-east-1', assumeRole: { roleArn: ROLE }, accounts: [{ id: 'a' }, { id: 'b', assumeRole: { roleArn: other, externalId: 'x1' } }, { id: 'c' }] },
        { id: 'br2', type: 'bedrock', region: 'us-west-2', accounts: [{ id: 'd', assumeRole: { roleArn: other } }, { id: 'e' }] },
      ],
      models: [{ name: 'm', targets: [{ provider: 'br', model: 'amazon.nova-pro-v1:0' }] }],
    });

    // Act
    const arns = assumedRoleArns(config);

    // Assess
    expect(arns).toEqual([ROLE, other]);
  });

  it('leaves out roles assumed with an account’s own access key', () => {
    const config = configWith([{ id: 'keyed', awsCredentials: STATIC_KEY, assumeRole: { roleArn: ROLE } }], [{ model: 'amazon.nova-pro-v1:0' }]);
    expect(assumedRoleArns(config)).toEqual([]);
  });

  it('is empty for a config that assumes no role', () => {
    expect(assumedRoleArns(configWith([{ id: 'role' }], [{ model: 'amazon.nova-pro-v1:0' }]))).toEqual([]);
  });
});

describe('bedrockRerankUsesRole', () => {
  it.each([
    { case: "Cohere's rerank model on a role-signed account", accounts: [{ id: 'role' }], target: { model: 'cohere.rerank-v3-5:0' }, uses: true },
    { case: "Amazon's rerank model by its foundation-model ARN", accounts: [{ id: 'role' }], target: { model: 'arn:aws:bedrock:us-west-2::foundation-model/amazon.rerank-v1:0' }, uses: true },
    { case: 'a rerank model pinned to an account with its own key', accounts: [{ id: 'role' }, { id: 'static', awsCredentials: STATIC_KEY }], target: { model: 'amazon.rerank-v1:0', accounts: ['static'] }, uses: false },
    { case: 'a rerank model whose only account has its own key', accounts: [{ id: 'static', awsCredentials: STATIC_KEY }], target: { model: 'cohere.rerank-v3-5:0' }, uses: false },
    { case: "a rerank model whose only account assumes another account's role", accounts: [{ id: 'pool', assumeRole: { roleArn: ROLE } }], target: { model: 'cohere.rerank-v3-5:0' }, uses: false },
    { case: 'chat and embedding models only', accounts: [{ id: 'role' }], target: { model: 'cohere.embed-english-v3' }, uses: false },
  ])('is $uses for $case', ({ accounts, target, uses }) => {
    expect(bedrockRerankUsesRole(configWith(accounts, [target]))).toBe(uses);
  });

  it('is false for a rerank model id on a provider of another type', () => {
    const config = parseConfig({
      providers: [{ id: 'oa', type: 'openai-compatible', baseUrl: 'https://example.com/v1', accounts: [{ id: 'a' }] }],
      models: [{ name: 'm', targets: [{ provider: 'oa', model: 'cohere.rerank-v3-5:0' }] }],
    });

    expect(bedrockRerankUsesRole(config)).toBe(false);
  });

  it('leaves the rerank model to bedrockInvokeResources, which grants InvokeModel on its foundation-model ARN', () => {
    expect(arnsOf(configWith([{ id: 'role' }], [{ model: 'cohere.rerank-v3-5:0' }]))).toEqual(['arn:aws:bedrock:us-east-1::foundation-model/cohere.rerank-v3-5:0']);
  });
});

describe('roleChainingIssues', () => {
  // A role assumed with another role's session (the Lambda role's, or temporary keys) is role chaining, which AWS caps at an hour.
  it.each([
    ['the Lambda role asking over an hour', [{ id: 'a', assumeRole: { roleArn: ROLE, durationSeconds: 7200 } }], {}, ['providers[0].accounts[0].assumeRole.durationSeconds']],
    ['the provider’s role asking over an hour for an account without keys', [{ id: 'a' }], { assumeRole: { roleArn: ROLE, durationSeconds: 43200 } }, ['providers[0].assumeRole.durationSeconds']],
    ['temporary keys (with a session token) asking over an hour', [{ id: 'a', awsCredentials: { ...STATIC_KEY, sessionToken: { env: 'TOKEN' } }, assumeRole: { roleArn: ROLE, durationSeconds: 3601 } }], {}, ['providers[0].accounts[0].assumeRole.durationSeconds']],
    ['the Lambda role asking an hour', [{ id: 'a', assumeRole: { roleArn: ROLE, durationSeconds: 3600 } }], {}, []],
    ['an IAM user’s key asking 12 hours', [{ id: 'a', awsCredentials: STATIC_KEY, assumeRole: { roleArn: ROLE, durationSeconds: 43200 } }], {}, []],
    ['no duration (STS’s hour)', [{ id: 'a', assumeRole: { roleArn: ROLE } }], {}, []],
  ])('%s', (_name, accounts, provider, fields) => {
    // Prepare
    const config = parseConfig({ providers: [{ id: 'br', type: 'bedrock', region: 'us-east-1', ...provider, accounts }], models: [{ name: 'm', targets: [{ provider: 'br', model: 'amazon.nova-pro-v1:0' }] }] });

    // Act
    const issues = roleChainingIssues(config);

    // Assess
    expect(issues.map((i) => i.split(':')[0])).toEqual(fields);
    for (const issue of issues) expect(issue).toContain('role chaining');
  });

  it('stops the stack: grantAssumeRoles throws a ConfigError naming the field', () => {
    // Prepare
    const stack = new Stack(new App(), 'T');
    const role = new Role(stack, 'Proxy', { assumedBy: new AccountRootPrincipal() });
    const config = configWith([{ id: 'a', assumeRole: { roleArn: ROLE, durationSeconds: 7200 } }], [{ model: 'amazon.nova-pro-v1:0' }]);

    // Act
    const act = () => grantAssumeRoles(role, config);

    // Assess
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(/providers\[0\]\.accounts\[0\]\.assumeRole\.durationSeconds/);
  });
});
