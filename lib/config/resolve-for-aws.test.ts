import { parseConfig } from './load';
import { managedAwsCredentialsSecretName, managedEntraSecretName, managedSecretName, resolveForAws } from './resolve-for-aws';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:team/openai-AbCdEf';

function config() {
  return parseConfig({
    providers: [
      {
        id: 'openai',
        type: 'openai',
        accounts: [
          { id: 'env', apiKey: { env: 'OPENAI_API_KEY' } },
          { id: 'file', apiKey: { file: 'keys.json', field: 'openai' } },
          { id: 'arn', apiKey: { secret: ARN, field: 'key' } },
        ],
      },
      { id: 'local', type: 'openai-compatible', baseUrl: 'http://127.0.0.1:11434/v1', accounts: [{ id: 'open' }, { id: 'named', apiKey: { secret: 'shared/local' } }] },
    ],
    models: [{ name: 'm', targets: [{ provider: 'openai', model: 'm' }] }],
  });
}

describe('resolveForAws', () => {
  it('points env and file keys at the secrets the stack creates, keeping the field', () => {
    // Act
    const { config: resolved } = resolveForAws(config(), 'Aigw');

    // Assess
    const [envAccount, fileAccount] = resolved.providers[0]!.accounts;
    expect(envAccount!.apiKey).toEqual({ secret: 'aigw/Aigw/openai/env' });
    expect(fileAccount!.apiKey).toEqual({ secret: 'aigw/Aigw/openai/file', field: 'openai' });
  });

  it('keeps secret references by ARN and by name as they are', () => {
    // Act
    const { config: resolved } = resolveForAws(config(), 'Aigw');

    // Assess
    expect(resolved.providers[0]!.accounts[2]!.apiKey).toEqual({ secret: ARN, field: 'key' });
    expect(resolved.providers[1]!.accounts[1]!.apiKey).toEqual({ secret: 'shared/local' });
  });

  it('lists one secret per account with a key, saying which to create and which to import', () => {
    // Act
    const { secrets } = resolveForAws(config(), 'Aigw');

    // Assess
    expect(secrets).toEqual([
      { providerId: 'openai', accountId: 'env', holds: 'apiKey', kind: 'create', secret: 'aigw/Aigw/openai/env' },
      { providerId: 'openai', accountId: 'file', holds: 'apiKey', kind: 'create', secret: 'aigw/Aigw/openai/file' },
      { providerId: 'openai', accountId: 'arn', holds: 'apiKey', kind: 'arn', secret: ARN },
      { providerId: 'local', accountId: 'named', holds: 'apiKey', kind: 'name', secret: 'shared/local' },
    ]);
  });

  it('leaves an account without a key without one', () => {
    // Act
    const { config: resolved } = resolveForAws(config(), 'Aigw');

    // Assess
    expect(resolved.providers[1]!.accounts[0]).not.toHaveProperty('apiKey');
  });

  it('does not modify the config it is given', () => {
    // Prepare
    const original = config();
    const copy = structuredClone(original);

    // Act
    resolveForAws(original, 'Aigw');

    // Assess
    expect(original).toEqual(copy);
  });

  it('produces a config that is still valid', () => {
    // Act
    const { config: resolved } = resolveForAws(config(), 'Aigw');

    // Assess
    expect(parseConfig(resolved)).toEqual(resolved);
  });

  it('names managed secrets by stack, provider and account', () => {
    expect(managedSecretName('Prod', 'openai', 'main')).toBe('aigw/Prod/openai/main');
  });

  it('names the secret of an account\'s AWS access key apart from its API key secret', () => {
    expect(managedAwsCredentialsSecretName('Prod', 'bedrock', 'main')).toBe('aigw/Prod/bedrock/main/aws-credentials');
  });
});

const AWS_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:team/bedrock-AbCdEf';
const NAME = 'aigw/Aigw/bedrock/a/aws-credentials';

/** One Bedrock account with `awsCredentials` (or none), resolved for the stack "Aigw". */
function resolveBedrockAccount(awsCredentials: unknown) {
  const account = { id: 'a', ...(awsCredentials ? { awsCredentials } : {}) };
  const config = parseConfig({
    providers: [{ id: 'bedrock', type: 'bedrock', region: 'us-east-1', accounts: [account] }],
    models: [{ name: 'm', targets: [{ provider: 'bedrock', model: 'amazon.nova-pro-v1:0' }] }],
  });
  const { config: resolved, secrets } = resolveForAws(config, 'Aigw');
  return { account: resolved.providers[0]!.accounts[0]!, secrets };
}

const created = { providerId: 'bedrock', accountId: 'a', holds: 'awsCredentials', kind: 'create', secret: NAME };

describe('resolveForAws with Bedrock access keys', () => {
  it.each([
    {
      case: 'env references become fields of one created secret',
      given: { accessKeyId: { env: 'AWS_KEY' }, secretAccessKey: { env: 'AWS_SECRET' } },
      refs: { accessKeyId: { secret: NAME, field: 'accessKeyId' }, secretAccessKey: { secret: NAME, field: 'secretAccessKey' } },
      secrets: [created],
    },
    {
      case: 'file references lose the field they had in the file, the session token included',
      given: { accessKeyId: { file: 'aws.json', field: 'id' }, secretAccessKey: { file: 'aws.json', field: 'key' }, sessionToken: { env: 'AWS_TOKEN' } },
      refs: {
        accessKeyId: { secret: NAME, field: 'accessKeyId' },
        secretAccessKey: { secret: NAME, field: 'secretAccessKey' },
        sessionToken: { secret: NAME, field: 'sessionToken' },
      },
      secrets: [created],
    },
    {
      case: 'secret references stay, and one secret named by several of them is listed once',
      given: { accessKeyId: { secret: AWS_ARN, field: 'id' }, secretAccessKey: { secret: AWS_ARN, field: 'key' } },
      refs: { accessKeyId: { secret: AWS_ARN, field: 'id' }, secretAccessKey: { secret: AWS_ARN, field: 'key' } },
      secrets: [{ providerId: 'bedrock', accountId: 'a', holds: 'awsCredentials', kind: 'arn', secret: AWS_ARN }],
    },
    {
      case: 'a mix keeps the secret references and creates a secret for the rest',
      given: { accessKeyId: { secret: 'team/bedrock', field: 'id' }, secretAccessKey: { env: 'AWS_SECRET' } },
      refs: { accessKeyId: { secret: 'team/bedrock', field: 'id' }, secretAccessKey: { secret: NAME, field: 'secretAccessKey' } },
      secrets: [{ providerId: 'bedrock', accountId: 'a', holds: 'awsCredentials', kind: 'name', secret: 'team/bedrock' }, created],
    },
  ])('$case', ({ given, refs, secrets: expected }) => {
    // Act
    const { account, secrets } = resolveBedrockAccount(given);

    // Assess
    expect(account.awsCredentials).toEqual(refs);
    expect(secrets).toEqual(expected);
  });

  it('gives an account that signs with the Lambda role no secret and no credentials', () => {
    // Act
    const { account, secrets } = resolveBedrockAccount(undefined);

    // Assess
    expect(account).not.toHaveProperty('awsCredentials');
    expect(account).not.toHaveProperty('apiKey');
    expect(secrets).toEqual([]);
  });

  it('keeps an API key secret and an access key secret of one account apart', () => {
    // Prepare
    const config = parseConfig({
      providers: [{ id: 'bedrock', type: 'bedrock', region: 'us-east-1', accounts: [{ id: 'a', apiKey: { env: 'KEY' }, awsCredentials: { accessKeyId: { env: 'ID' }, secretAccessKey: { env: 'SECRET' } } }] }],
      models: [{ name: 'm', targets: [{ provider: 'bedrock', model: 'amazon.nova-pro-v1:0' }] }],
    });

    // Act
    const { secrets } = resolveForAws(config, 'Aigw');

    // Assess
    expect(secrets.map((s) => [s.holds, s.secret])).toEqual([
      ['apiKey', 'aigw/Aigw/bedrock/a'],
      ['awsCredentials', NAME],
    ]);
  });

  it('produces a config that is still valid and leaves the given one alone', () => {
    // Prepare
    const config = parseConfig({
      providers: [{ id: 'bedrock', type: 'bedrock', region: 'us-east-1', accounts: [{ id: 'a', awsCredentials: { accessKeyId: { env: 'ID' }, secretAccessKey: { file: 'k', field: 'x' } } }] }],
      models: [{ name: 'm', targets: [{ provider: 'bedrock', model: 'amazon.nova-pro-v1:0' }] }],
    });
    const copy = structuredClone(config);

    // Act
    const { config: resolved } = resolveForAws(config, 'Aigw');

    // Assess
    expect(parseConfig(resolved)).toEqual(resolved);
    expect(config).toEqual(copy);
  });
});

describe('resolveForAws with Entra ID on Azure OpenAI', () => {
  const principal = { tenantId: 'contoso.onmicrosoft.com', clientId: '0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0' };
  const ARN_SP = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:team/azure-sp-AbCdEf';

  function resolveAzure(provider: Record<string, unknown>, accounts: Record<string, unknown>[]) {
    const config = parseConfig({
      providers: [{ id: 'azure', type: 'azure-openai', baseUrl: 'https://contoso.openai.azure.com', ...provider, accounts }],
      models: [{ name: 'm', targets: [{ provider: 'azure', model: 'gpt4o' }] }],
    });
    const copy = structuredClone(config);
    const { config: resolved, secrets } = resolveForAws(config, 'Aigw');
    expect(config).toEqual(copy);
    expect(parseConfig(resolved)).toEqual(resolved);
    return { provider: resolved.providers[0]! as { entra?: { clientSecret: unknown }; accounts: { entra?: { clientSecret: unknown } }[] }, secrets };
  }

  it('points an account’s env client secret at a secret the stack creates for it, keeping the rest of the principal', () => {
    // Act
    const { provider, secrets } = resolveAzure({}, [{ id: 'east', entra: { ...principal, clientSecret: { env: 'AZURE_CLIENT_SECRET' } } }]);

    // Assess
    expect(provider.accounts[0]!.entra).toEqual({ ...principal, clientSecret: { secret: 'aigw/Aigw/azure/east/entra-client-secret' }, authorityHost: 'https://login.microsoftonline.com', scope: 'https://cognitiveservices.azure.com/.default' });
    expect(secrets).toEqual([{ providerId: 'azure', accountId: 'east', holds: 'entraClientSecret', kind: 'create', secret: 'aigw/Aigw/azure/east/entra-client-secret' }]);
  });

  it('gives a provider’s principal one secret its accounts share, and keeps an imported one as it is', () => {
    // Act
    const { provider, secrets } = resolveAzure({ entra: { ...principal, clientSecret: { file: 'azure.json', field: 'secret' } } }, [
      { id: 'east' },
      { id: 'north' },
      { id: 'west', entra: { ...principal, clientSecret: { secret: ARN_SP } } },
    ]);

    // Assess
    expect(provider.entra!.clientSecret).toEqual({ secret: 'aigw/Aigw/azure/_provider/entra-client-secret', field: 'secret' });
    expect(provider.accounts[2]!.entra!.clientSecret).toEqual({ secret: ARN_SP });
    expect(secrets).toEqual([
      { providerId: 'azure', accountId: 'west', holds: 'entraClientSecret', kind: 'arn', secret: ARN_SP },
      { providerId: 'azure', holds: 'entraClientSecret', kind: 'create', secret: 'aigw/Aigw/azure/_provider/entra-client-secret' },
    ]);
  });

  it('creates no secret for a provider principal that no account signs in with', () => {
    // Act
    const { provider, secrets } = resolveAzure({ entra: { ...principal, clientSecret: { env: 'AZURE_CLIENT_SECRET' } } }, [{ id: 'legacy', apiKey: { env: 'AZURE_KEY' } }]);

    // Assess
    expect(provider.entra!.clientSecret).toEqual({ env: 'AZURE_CLIENT_SECRET' });
    expect(secrets.map((s) => s.secret)).toEqual(['aigw/Aigw/azure/legacy']);
  });

  it('names the client secrets apart from every account’s key and access key', () => {
    expect(managedEntraSecretName('Prod', 'azure', 'east')).toBe('aigw/Prod/azure/east/entra-client-secret');
    expect(managedEntraSecretName('Prod', 'azure', undefined)).toBe('aigw/Prod/azure/_provider/entra-client-secret');
  });
});

describe('resolveForAws with Vertex AI service accounts', () => {
  const ARN_KEY = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:team/vertex-sa-AbCdEf';

  it('points an env or file key at a secret the stack creates per account, and imports a named one', () => {
    // Prepare
    const config = parseConfig({
      providers: [
        {
          id: 'vertex',
          type: 'vertex',
          project: 'my-project-123',
          region: 'us-east5',
          accounts: [
            { id: 'prod', serviceAccount: { env: 'VERTEX_SA_KEY' } },
            { id: 'eu', serviceAccount: { file: 'eu-key.json' }, project: 'my-eu-project', region: 'europe-west1' },
            { id: 'shared', serviceAccount: { secret: ARN_KEY } },
          ],
        },
      ],
      models: [{ name: 'claude-sonnet-4-5', targets: [{ provider: 'vertex', model: 'claude-sonnet-4-5@20250929' }] }],
    });

    // Act
    const { config: resolved, secrets } = resolveForAws(config, 'Aigw');

    // Assess
    expect(resolved.providers[0]!.accounts.map((a) => a.serviceAccount)).toEqual([
      { secret: 'aigw/Aigw/vertex/prod/service-account-key' },
      { secret: 'aigw/Aigw/vertex/eu/service-account-key' },
      { secret: ARN_KEY },
    ]);
    expect(secrets).toEqual([
      { providerId: 'vertex', accountId: 'prod', holds: 'serviceAccountKey', kind: 'create', secret: 'aigw/Aigw/vertex/prod/service-account-key' },
      { providerId: 'vertex', accountId: 'eu', holds: 'serviceAccountKey', kind: 'create', secret: 'aigw/Aigw/vertex/eu/service-account-key' },
      { providerId: 'vertex', accountId: 'shared', holds: 'serviceAccountKey', kind: 'arn', secret: ARN_KEY },
    ]);
    expect(parseConfig(resolved)).toEqual(resolved);
  });
});
