import type { CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { GatewayStack } from './gateway-stack';
import { APP_PROFILE_ARN, BEDROCK_CONFIG, BEDROCK_RERANK_CONFIG, CROSS_ACCOUNT_CONFIG, FIXTURE_CONFIG, IMPORTED_ARN, POOL_ROLE_ARNS, fixtureApp } from './test-fixtures';

type Statement = { Action: string | string[]; Resource: unknown; Effect: string; Condition?: unknown };

let stack: GatewayStack;
let template: Template;

beforeAll(() => {
  stack = fixtureApp().stack;
  template = Template.fromStack(stack);
});

function policyOf(roleLogicalIdPrefix: string, of: Template = template): Statement[] {
  const policies = of.findResources('AWS::IAM::Policy');
  const found = Object.entries(policies).filter(([id]) => id.startsWith(roleLogicalIdPrefix));
  expect(found).toHaveLength(1);
  return (found[0]![1] as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement;
}

const actionsOf = (s: Statement) => [s.Action].flat();

describe('GatewayStack table', () => {
  it('has the key schema, index and TTL the stores expect', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'PK', KeyType: 'HASH' },
        { AttributeName: 'SK', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'GSI1',
          KeySchema: [
            { AttributeName: 'GSI1PK', KeyType: 'HASH' },
            { AttributeName: 'GSI1SK', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    });
  });

  it('is on-demand, with point-in-time recovery, and outlives the stack', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });
});

describe('GatewayStack functions', () => {
  it('runs the proxy on Node 24, arm64, 1 GB, for up to 15 minutes', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('proxy'),
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 1024,
      Timeout: 900,
      Environment: {
        Variables: {
          GATEWAY_TABLE_NAME: { Ref: Match.stringLikeRegexp('^StorageTable') },
          POWERTOOLS_SERVICE_NAME: 'aigw',
          POWERTOOLS_METRICS_NAMESPACE: 'aigw',
          NODE_OPTIONS: '--enable-source-maps',
        },
      },
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^ProxyLambdaLogs') } },
    });
  });

  it('runs the admin API on Node 24, arm64, against the same table', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('admin'),
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Environment: { Variables: { GATEWAY_TABLE_NAME: { Ref: Match.stringLikeRegexp('^StorageTable') }, NODE_OPTIONS: '--enable-source-maps' } },
    });
  });

  it('tells the admin API the names of the config\'s rule sets and parameter policies, so it refuses others', () => {
    // Prepare
    const config = { ...FIXTURE_CONFIG, guardrails: { rules: [], sets: { strict: { rules: [{ detect: 'secrets', action: 'block' }] } } }, paramPolicies: { ci: { force: { temperature: 0 } } } };

    // Act
    const named = Template.fromStack(fixtureApp(config).stack);

    // Assess
    named.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('admin'),
      Environment: { Variables: Match.objectLike({ GATEWAY_POLICY_NAMES: JSON.stringify({ guardrailSets: ['strict'], paramPolicies: ['ci'] }) }) },
    });
  });

  it('tells the admin API a config has no rule sets nor policies, so it refuses every name rather than taking any', () => {
    // Assess: FIXTURE_CONFIG has neither; without the variable the admin API would take any well-formed name and lock the key out
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('admin'),
      Environment: { Variables: Match.objectLike({ GATEWAY_POLICY_NAMES: JSON.stringify({ guardrailSets: [], paramPolicies: [] }) }) },
    });
  });

  it('keeps the config out of environment variables (it is bundled instead)', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    for (const fn of functions) expect(JSON.stringify(fn)).not.toContain('GATEWAY_CONFIG');
  });

  it('gives each function its own log group, kept one month', () => {
    template.resourceCountIs('AWS::Logs::LogGroup', 4);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });
});

describe('GatewayStack function URLs', () => {
  it('streams the proxy publicly, leaving CORS to the function (infra/cors.test.ts)', () => {
    template.hasResourceProperties('AWS::Lambda::Url', {
      TargetFunctionArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ProxyLambda'), 'Arn'] },
      AuthType: 'NONE',
      InvokeMode: 'RESPONSE_STREAM',
      Cors: Match.absent(),
    });
  });

  it('lets anyone invoke the proxy URL, which a public URL needs both permissions for', () => {
    const proxyFn = { 'Fn::GetAtt': [Match.stringLikeRegexp('^ProxyLambdaFunction'), 'Arn'] };
    template.hasResourceProperties('AWS::Lambda::Permission', { Action: 'lambda:InvokeFunctionUrl', FunctionName: proxyFn, FunctionUrlAuthType: 'NONE', Principal: '*' });
    template.hasResourceProperties('AWS::Lambda::Permission', { Action: 'lambda:InvokeFunction', FunctionName: proxyFn, InvokedViaFunctionUrl: true, Principal: '*' });
  });

  it('grants nobody the admin function: callers need IAM permission of their own', () => {
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission'));
    expect(JSON.stringify(permissions)).not.toMatch(/AdminLambda/);
  });

  it('puts the admin API behind IAM auth', () => {
    template.hasResourceProperties('AWS::Lambda::Url', {
      TargetFunctionArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AdminLambda'), 'Arn'] },
      AuthType: 'AWS_IAM',
    });
  });
});

describe('GatewayStack provider secrets', () => {
  it('creates one secret per account whose key is an env var or a file, under a deterministic name', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 2);
    template.hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'aigw/Aigw/openai/main' });
    template.hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'aigw/Aigw/openai/backup' });
  });

  it('creates one secret per account when every key is local', () => {
    const accounts = [{ id: 'a', apiKey: { env: 'A' } }, { id: 'b', apiKey: { env: 'B' } }, { id: 'c', apiKey: { file: 'c.txt' } }];
    const { stack } = fixtureApp({ ...FIXTURE_CONFIG, providers: [{ id: 'openai', type: 'openai', accounts }] });
    Template.fromStack(stack).resourceCountIs('AWS::SecretsManager::Secret', accounts.length);
  });

  it('puts no secret value in the template, not even a generated one', () => {
    const secrets = Object.values(template.findResources('AWS::SecretsManager::Secret')) as { Properties: object }[];
    for (const s of secrets) {
      expect(s.Properties).not.toHaveProperty('SecretString');
      expect(s.Properties).not.toHaveProperty('GenerateSecretString');
    }
  });

  it('names secrets after the stack, so two gateways in one account do not collide', () => {
    const { stack } = fixtureApp(FIXTURE_CONFIG, { stackName: 'Staging' });
    Template.fromStack(stack).hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'aigw/Staging/openai/main' });
  });
});

describe('GatewayStack permissions', () => {
  it('lets the proxy read exactly its provider secrets', () => {
    const reads = policyOf('ProxyLambdaRole').filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
    const created = (key: string) => ({ Ref: stack.getLogicalId(stack.secrets.created.get(key)!.node.defaultChild as CfnElement) });
    const byName = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':secret:shared/vllm-??????']] };
    expect(reads).toEqual([
      {
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: [created('openai/main'), created('openai/backup'), IMPORTED_ARN, `${IMPORTED_ARN}-??????`, byName],
      },
    ]);
  });

  it.each(['ProxyLambdaRole', 'AdminLambdaRole'])('%s reads and writes single items of the table and its index', (role) => {
    const statements = policyOf(role).filter((s) => actionsOf(s).includes('dynamodb:GetItem'));
    expect(statements).toHaveLength(1);
    expect(actionsOf(statements[0]!).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    expect(JSON.stringify(statements[0]!.Resource)).toContain('/index/GSI1');
  });

  it('lets only the proxy write in batches (usage records), on the table alone', () => {
    const batch = (role: string) => policyOf(role).filter((s) => actionsOf(s).includes('dynamodb:BatchWriteItem'));
    expect(batch('ProxyLambdaRole')).toEqual([{ Effect: 'Allow', Action: 'dynamodb:BatchWriteItem', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^StorageTable/), 'Arn'] } }]);
    expect(batch('AdminLambdaRole')).toEqual([]);
  });

  it.each(['ProxyLambdaRole', 'AdminLambdaRole'])('%s may not scan, delete (but teams) or manage the table, nor use wildcard resources', (role) => {
    const dynamo = policyOf(role).filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    const unconditioned = dynamo.filter((s) => !s.Condition);
    expect(unconditioned.flatMap(actionsOf).filter((a) => /Scan|Delete|Table|\*/.test(a))).toEqual([]);
    expect(JSON.stringify(dynamo.map((s) => s.Resource))).not.toContain('*');
  });

  it('lets the admin API delete team items and key items (rotations) only, and the proxy delete nothing', () => {
    const deletes = (role: string) => policyOf(role).filter((s) => actionsOf(s).includes('dynamodb:DeleteItem'));
    const deleteUnder = (prefix: string) => ({
      Effect: 'Allow',
      Action: 'dynamodb:DeleteItem',
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^StorageTable/), 'Arn'] },
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [prefix] } },
    });

    expect(deletes('AdminLambdaRole')).toEqual([deleteUnder('TEAM#*'), deleteUnder('KEY#*')]);
    expect(deletes('ProxyLambdaRole')).toEqual([]);
  });

  it('lets the roll-up only query the table and its index and put whole items, and nothing else', () => {
    const statements = policyOf('RollupLambdaRole').filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));

    expect(statements.flatMap(actionsOf).sort()).toEqual(['dynamodb:PutItem', 'dynamodb:Query']);
    expect(JSON.stringify(statements[0]!.Resource)).toContain('/index/GSI1');
    expect(JSON.stringify(policyOf('RollupLambdaRole'))).not.toContain('secretsmanager');
  });

  it('gives the admin API no access to provider secrets', () => {
    expect(JSON.stringify(policyOf('AdminLambdaRole'))).not.toContain('secretsmanager');
  });

  it('attaches no managed policies to the roles (four functions, two schedules)', () => {
    const roles = Object.values(template.findResources('AWS::IAM::Role')) as { Properties: object }[];
    expect(roles).toHaveLength(6);
    for (const role of roles) expect(role.Properties).not.toHaveProperty('ManagedPolicyArns');
  });
});

describe('GatewayStack with Bedrock', () => {
  let bedrockStack: GatewayStack;
  let bedrock: Template;

  beforeAll(() => {
    bedrockStack = fixtureApp(BEDROCK_CONFIG).stack;
    bedrock = Template.fromStack(bedrockStack);
  });

  const invokes = (s: Statement) => actionsOf(s).some((a) => a.startsWith('bedrock:'));
  const arn = (...parts: unknown[]) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ...parts]] });

  it('lets the proxy invoke exactly the models its role-signed accounts route to', () => {
    // Act
    const statements = policyOf('ProxyLambdaRole', bedrock).filter(invokes);

    // Assess: nothing for the static account's Llama in eu-west-1; the sonnet profile's model in any Region.
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
        Resource: [
          arn(':bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0'),
          arn(':bedrock:us-east-1:', { Ref: 'AWS::AccountId' }, ':inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0'),
          arn(':bedrock:*::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0'),
          APP_PROFILE_ARN,
          'arn:aws:bedrock:us-west-2::foundation-model/*',
        ],
      },
    ]);
  });

  it('gives the admin API no Bedrock access', () => {
    expect(policyOf('AdminLambdaRole', bedrock).filter(invokes)).toEqual([]);
  });

  it('creates one secret for the static access key, besides the OpenAI key, and lets the proxy read both', () => {
    // Act
    const reads = policyOf('ProxyLambdaRole', bedrock).filter((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'));

    // Assess
    bedrock.resourceCountIs('AWS::SecretsManager::Secret', 2);
    bedrock.hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'aigw/Aigw/bedrock/static/aws-credentials', Description: Match.stringLikeRegexp('accessKeyId') });
    const created = (key: string) => ({ Ref: bedrockStack.getLogicalId(bedrockStack.secrets.created.get(key)!.node.defaultChild as CfnElement) });
    expect(reads).toEqual([{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: [created('openai/main'), created('bedrock/static/aws-credentials')] }]);
  });

  it('puts no secret value in the template', () => {
    const secrets = Object.values(bedrock.findResources('AWS::SecretsManager::Secret')) as { Properties: object }[];
    for (const s of secrets) {
      expect(s.Properties).not.toHaveProperty('SecretString');
      expect(s.Properties).not.toHaveProperty('GenerateSecretString');
    }
  });

  it('grants no Bedrock access for a config without Bedrock', () => {
    expect(policyOf('ProxyLambdaRole').filter(invokes)).toEqual([]);
  });

  it('grants no Bedrock access when every Bedrock account signs with its own access key', () => {
    // Prepare
    const awsCredentials = { accessKeyId: { env: 'ID' }, secretAccessKey: { env: 'SECRET' } };
    const config = {
      providers: [{ id: 'bedrock', type: 'bedrock', region: 'us-east-1', accounts: [{ id: 'a', awsCredentials }, { id: 'b', awsCredentials }] }],
      models: [{ name: 'sonnet', targets: [{ provider: 'bedrock', model: 'us.anthropic.claude-sonnet-4-20250514-v1:0' }] }],
    };

    // Act
    const statements = policyOf('ProxyLambdaRole', Template.fromStack(fixtureApp(config).stack)).filter(invokes);

    // Assess
    expect(statements).toEqual([]);
  });
});

describe('GatewayStack with Bedrock across AWS accounts', () => {
  const assumes = (s: Statement) => actionsOf(s).some((a) => a.startsWith('sts:'));
  const invokes = (s: Statement) => actionsOf(s).some((a) => a.startsWith('bedrock:'));

  it('lets the proxy assume exactly the roles its accounts assume with the Lambda role, and invoke nothing itself', () => {
    // Act
    const statements = policyOf('ProxyLambdaRole', Template.fromStack(fixtureApp(CROSS_ACCOUNT_CONFIG).stack));

    // Assess: the keyed account's role is assumed with its own key, so the proxy's role needs nothing for it.
    expect(statements.filter(assumes)).toEqual([{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: [...POOL_ROLE_ARNS] }]);
    expect(statements.filter(invokes)).toEqual([]);
  });

  it.each([
    ['a config without Bedrock', FIXTURE_CONFIG],
    ['Bedrock accounts that sign with the Lambda role or a key', BEDROCK_CONFIG],
  ])('lets the proxy assume no role with %s', (_case, config) => {
    expect(policyOf('ProxyLambdaRole', Template.fromStack(fixtureApp(config).stack)).filter(assumes)).toEqual([]);
  });

  it('gives the admin API no role to assume', () => {
    expect(policyOf('AdminLambdaRole', Template.fromStack(fixtureApp(CROSS_ACCOUNT_CONFIG).stack)).filter(assumes)).toEqual([]);
  });
});

describe('GatewayStack with Azure OpenAI on Entra ID', () => {
  const ENTRA_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:team/azure-sp-AbCdEf';
  const principal = { tenantId: 'contoso.onmicrosoft.com', clientId: '0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0' };
  let azureStack: GatewayStack;
  let azure: Template;

  beforeAll(() => {
    azureStack = fixtureApp({
      providers: [
        {
          id: 'azure',
          type: 'azure-openai',
          baseUrl: 'https://contoso.openai.azure.com',
          entra: { ...principal, clientSecret: { env: 'AZURE_CLIENT_SECRET' } },
          accounts: [{ id: 'east' }, { id: 'west', entra: { ...principal, clientSecret: { secret: ENTRA_ARN } } }, { id: 'legacy', apiKey: { env: 'AZURE_KEY' } }],
        },
      ],
      models: [{ name: 'gpt-4o', targets: [{ provider: 'azure', model: 'gpt4o' }] }],
    }).stack;
    azure = Template.fromStack(azureStack);
  });

  it('creates one secret for the provider’s client secret, shared by its accounts, and one for the key account', () => {
    // Assess
    azure.resourceCountIs('AWS::SecretsManager::Secret', 2);
    azure.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'aigw/Aigw/azure/_provider/entra-client-secret',
      Description: Match.stringLikeRegexp('Entra ID service principal .* of the accounts of provider "azure"'),
    });
    azure.hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'aigw/Aigw/azure/legacy' });
  });

  it('lets the proxy read the created secrets and the imported client secret, and nothing else', () => {
    // Act
    const reads = policyOf('ProxyLambdaRole', azure).filter((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'));

    // Assess
    const created = (key: string) => ({ Ref: azureStack.getLogicalId(azureStack.secrets.created.get(key)!.node.defaultChild as CfnElement) });
    expect(reads).toEqual([
      { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: [ENTRA_ARN, `${ENTRA_ARN}-??????`, created('azure/legacy'), created('azure/_provider/entra-client-secret')] },
    ]);
  });

  it('puts no secret value in the template', () => {
    const secrets = Object.values(azure.findResources('AWS::SecretsManager::Secret')) as { Properties: object }[];
    for (const s of secrets) {
      expect(s.Properties).not.toHaveProperty('SecretString');
      expect(s.Properties).not.toHaveProperty('GenerateSecretString');
    }
  });
});

describe('GatewayStack with Bedrock rerank', () => {
  const bedrockStatements = (template: Template) => policyOf('ProxyLambdaRole', template).filter((s) => actionsOf(s).some((a) => a.startsWith('bedrock:')));

  it("lets the proxy call Rerank (on \"*\", the only resource IAM authorises it on) and invoke the role-signed rerank model, nothing of the static account's", () => {
    // Act
    const statements = bedrockStatements(Template.fromStack(fixtureApp(BEDROCK_RERANK_CONFIG).stack));

    // Assess
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
        Resource: [
          { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:us-west-2::foundation-model/cohere.rerank-v3-5:0']] },
          { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:us-west-2::foundation-model/amazon.nova-pro-v1:0']] },
        ],
      },
      { Effect: 'Allow', Action: 'bedrock:Rerank', Resource: '*' },
    ]);
  });

  it('grants no Rerank when no Bedrock target reranks', () => {
    const statements = bedrockStatements(Template.fromStack(fixtureApp(BEDROCK_CONFIG).stack));

    expect(statements.flatMap(actionsOf)).not.toContain('bedrock:Rerank');
  });

  it('grants no Rerank when the only rerank target signs with its own access key', () => {
    // Prepare
    const config = { ...BEDROCK_RERANK_CONFIG, models: BEDROCK_RERANK_CONFIG.models.filter((m) => m.name !== 'rerank-v3.5') };

    // Act
    const statements = bedrockStatements(Template.fromStack(fixtureApp(config).stack));

    // Assess
    expect(statements.flatMap(actionsOf)).toEqual(['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream']);
  });
});

describe('GatewayStack with Vertex AI service accounts', () => {
  const KEY_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:team/vertex-sa-AbCdEf';
  let vertexStack: GatewayStack;
  let vertex: Template;

  beforeAll(() => {
    vertexStack = fixtureApp({
      providers: [
        {
          id: 'vertex',
          type: 'vertex',
          project: 'my-project-123',
          region: 'us-east5',
          accounts: [
            { id: 'prod', serviceAccount: { env: 'VERTEX_SA_KEY' } },
            { id: 'eu', serviceAccount: { secret: KEY_ARN }, project: 'my-eu-project', region: 'europe-west1' },
          ],
        },
      ],
      models: [{ name: 'claude-sonnet-4-5', targets: [{ provider: 'vertex', model: 'claude-sonnet-4-5@20250929' }] }],
    }).stack;
    vertex = Template.fromStack(vertexStack);
  });

  it('creates one empty secret for the account whose key is an env var, described for the operator', () => {
    // Assess
    vertex.resourceCountIs('AWS::SecretsManager::Secret', 1);
    vertex.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'aigw/Aigw/vertex/prod/service-account-key',
      Description: Match.stringLikeRegexp('Google service account JSON key .* of account "prod" of provider "vertex"'),
    });
    const [secret] = Object.values(vertex.findResources('AWS::SecretsManager::Secret')) as { Properties: object }[];
    expect(secret!.Properties).not.toHaveProperty('SecretString');
    expect(secret!.Properties).not.toHaveProperty('GenerateSecretString');
  });

  it('lets the proxy read the created key and the imported one, and nothing else', () => {
    // Act
    const reads = policyOf('ProxyLambdaRole', vertex).filter((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'));

    // Assess
    const created = { Ref: vertexStack.getLogicalId(vertexStack.secrets.created.get('vertex/prod/service-account-key')!.node.defaultChild as CfnElement) };
    expect(reads).toEqual([{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: [created, KEY_ARN, `${KEY_ARN}-??????`] }]);
  });
});

describe('GatewayStack outputs', () => {
  it.each(['ProxyUrl', 'AdminUrl', 'TableName'])('outputs %s', (name) => {
    template.hasOutput(name, {});
  });

  it('outputs the proxy role’s ARN, which the trust policies of roles in other accounts name', () => {
    const role = stack.getLogicalId(stack.proxy.fn.role!.node.defaultChild as CfnElement);
    template.hasOutput('ProxyRoleArn', { Value: { 'Fn::GetAtt': [role, 'Arn'] } });
  });
});

describe('GatewayStack usage roll-up', () => {
  it('runs the roll-up function every hour, retried twice, with the table name', () => {
    const rollupFn = stack.getLogicalId(stack.rollup.fn.node.defaultChild as CfnElement);

    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 600,
      Environment: { Variables: Match.objectLike({ GATEWAY_TABLE_NAME: { Ref: Match.stringLikeRegexp('^StorageTable') } }) },
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^RollupLambdaLogs') } },
    });
    // EventBridge Scheduler (retries, a maximum event age), invoking through a role of its own.
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 hour)',
      State: 'ENABLED',
      Target: Match.objectLike({ Arn: { 'Fn::GetAtt': [rollupFn, 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 } }),
    });
    expectInvokedBySchedulerOnly(rollupFn);
  });

  it('alarms when the roll-up fails', () => {
    const rollupFn = stack.getLogicalId(stack.rollup.fn.node.defaultChild as CfnElement);

    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `${stack.stackName}-RollupErrors`,
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: rollupFn } }],
      Threshold: 1,
    });
  });
});

describe('GatewayStack budget alerts', () => {
  const alertsFn = () => stack.getLogicalId(stack.budgetAlerts.fn.node.defaultChild as CfnElement);
  const topic = () => stack.getLogicalId(stack.observability.topic.node.defaultChild as CfnElement);

  it('runs the budget alerts every 5 minutes on a schedule of their own, with the table, the topic and the thresholds', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('budget alerts'),
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Environment: {
        Variables: Match.objectLike({
          GATEWAY_TABLE_NAME: { Ref: Match.stringLikeRegexp('^StorageTable') },
          ALERT_TOPIC_ARN: { Ref: topic() },
          GATEWAY_BUDGET_THRESHOLDS: '0.8,1',
        }),
      },
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^BudgetAlertsLambdaLogs') } },
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      Target: Match.objectLike({ Arn: { 'Fn::GetAtt': [alertsFn(), 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 1, MaximumEventAgeInSeconds: 300 } }),
    });
    expectInvokedBySchedulerOnly(alertsFn());
  });

  it('lets the budget alerts publish to the alarm topic alone, list, batch-read, and update alert marks only', () => {
    const statements = policyOf('BudgetAlertsLambdaRole');

    expect(statements.map(actionsOf)).toEqual([['logs:CreateLogStream', 'logs:PutLogEvents'], ['dynamodb:Query'], ['dynamodb:BatchGetItem'], ['dynamodb:UpdateItem'], ['sns:Publish']]);
    expect(statements.find((s) => actionsOf(s).includes('sns:Publish'))?.Resource).toEqual({ Ref: topic() });
    expect(statements.find((s) => actionsOf(s).includes('dynamodb:UpdateItem'))?.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['ALERT#*'] } });
  });

  it('lets the proxy publish end users\' budget alerts to the alarm topic alone, whose ARN it gets in its environment', () => {
    const publishing = policyOf('ProxyLambdaRole').filter((s) => actionsOf(s).some((a) => a.startsWith('sns:')));

    expect(publishing.map((s) => [actionsOf(s), s.Resource])).toEqual([[['sns:Publish'], { Ref: topic() }]]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('proxy'),
      Environment: { Variables: Match.objectLike({ ALERT_TOPIC_ARN: { Ref: topic() } }) },
    });
  });

  it('gives nobody else the right to publish, and the proxy no batch reads', () => {
    for (const role of ['AdminLambdaRole', 'RollupLambdaRole']) expect(JSON.stringify(policyOf(role))).not.toContain('sns:Publish');
    expect(JSON.stringify(policyOf('ProxyLambdaRole'))).not.toContain('BatchGetItem');
    expect(JSON.stringify(policyOf('AdminLambdaRole'))).toContain('dynamodb:BatchGetItem');
  });

  it('takes the thresholds from the config', () => {
    const app = fixtureApp({ ...FIXTURE_CONFIG, alerts: { budgetThresholds: [0.5, 0.9, 1] } });

    Template.fromStack(app.stack).hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('budget alerts'),
      Environment: { Variables: Match.objectLike({ GATEWAY_BUDGET_THRESHOLDS: '0.5,0.9,1' }) },
    });
  });

  it('alarms when alerts cannot be sent for 15 minutes', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `${stack.stackName}-BudgetAlertErrors`,
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: alertsFn() } }],
      EvaluationPeriods: 3,
    });
  });
});

/** A scheduled function is invoked by EventBridge Scheduler's role, which may invoke it (and nothing else), and by no resource policy. */
function expectInvokedBySchedulerOnly(fnLogicalId: string): void {
  const roles = template.findResources('AWS::IAM::Role', {
    Properties: { AssumeRolePolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' } })]) } },
  });
  const invokes = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
    JSON.stringify(policy).includes(`"${fnLogicalId}"`) && JSON.stringify(policy).includes('lambda:InvokeFunction'),
  );
  expect(Object.keys(roles).length).toBeGreaterThan(0);
  expect(invokes).toHaveLength(1);
  expect(JSON.stringify(invokes[0])).not.toContain('"*"');
  const permissions = template.findResources('AWS::Lambda::Permission', { Properties: { FunctionName: { 'Fn::GetAtt': [fnLogicalId, 'Arn'] } } });
  expect(Object.keys(permissions)).toHaveLength(0);
}
