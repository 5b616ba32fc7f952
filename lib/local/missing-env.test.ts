import { parseConfig } from '../config/load';
import { missingVariableLines, missingVariables } from './missing-env';

const model = (provider: string) => ({ name: `m-${provider}`, targets: [{ provider, model: 'x' }] });

describe('missingVariables', () => {
  it.each([
    ['an account key that is set', [{ id: 'o', type: 'openai', accounts: [{ id: 'a', apiKey: { env: 'K' } }] }], { K: 'sk' }, []],
    ['an account key that is not', [{ id: 'o', type: 'openai', accounts: [{ id: 'a', apiKey: { env: 'K' } }] }], {}, [{ name: 'K', provider: 'o', account: 'a' }]],
    ['an empty one, as unset', [{ id: 'o', type: 'openai', accounts: [{ id: 'a', apiKey: { env: 'K' } }] }], { K: '' }, [{ name: 'K', provider: 'o', account: 'a' }]],
    ['a key read from a file, not the environment', [{ id: 'o', type: 'openai', accounts: [{ id: 'a', apiKey: { file: '/k.json', field: 'key' } }] }], {}, []],
    ['an account without a key (openai-compatible)', [{ id: 'c', type: 'openai-compatible', baseUrl: 'http://127.0.0.1:11434/v1', accounts: [{ id: 'a' }] }], {}, []],
    [
      "Bedrock's static keys, each part",
      [{ id: 'b', type: 'bedrock', region: 'eu-west-1', accounts: [{ id: 'a', awsCredentials: { accessKeyId: { env: 'AK' }, secretAccessKey: { env: 'SK' } } }] }],
      { AK: 'x' },
      [{ name: 'SK', provider: 'b', account: 'a' }],
    ],
    [
      "an Entra client secret on the provider, for its accounts",
      [{ id: 'z', type: 'azure-openai', baseUrl: 'https://r.openai.azure.com', entra: { tenantId: 't', clientId: 'c', clientSecret: { env: 'ENTRA' } }, accounts: [{ id: 'a' }] }],
      {},
      [{ name: 'ENTRA', provider: 'z' }],
    ],
    [
      'no header named env: a header is no credential',
      [{ id: 'o', type: 'openai', accounts: [{ id: 'a', apiKey: { env: 'K' }, headers: { env: 'staging' } }] }],
      { K: 'k' },
      [],
    ],
    [
      "an Entra client secret on the provider, once however many accounts use it",
      [{ id: 'z', type: 'azure-openai', baseUrl: 'https://r.openai.azure.com', entra: { tenantId: 't', clientId: 'c', clientSecret: { env: 'ENTRA' } }, accounts: [{ id: 'a' }, { id: 'b' }] }],
      {},
      [{ name: 'ENTRA', provider: 'z' }],
    ],
    [
      "an Entra client secret on the provider whose accounts all have their own, as the config still names it",
      [{ id: 'z', type: 'azure-openai', baseUrl: 'https://r.openai.azure.com', entra: { tenantId: 't', clientId: 'c', clientSecret: { env: 'ENTRA' } }, accounts: [{ id: 'a', apiKey: { env: 'AZ' } }] }],
      { AZ: 'k' },
      [{ name: 'ENTRA', provider: 'z' }],
    ],
    [
      "an account's own Entra client secret, on the account",
      [{ id: 'z', type: 'azure-openai', baseUrl: 'https://r.openai.azure.com', accounts: [{ id: 'a', entra: { tenantId: 't', clientId: 'c', clientSecret: { env: 'OWN' } } }] }],
      {},
      [{ name: 'OWN', provider: 'z', account: 'a' }],
    ],
    [
      "a Vertex service account's key",
      [{ id: 'v', type: 'vertex', project: 'my-project-1', region: 'us-east5', accounts: [{ id: 'a', serviceAccount: { env: 'SA' } }] }],
      {},
      [{ name: 'SA', provider: 'v', account: 'a' }],
    ],
    [
      "Bedrock's session token, and one variable both parts of a key read, once",
      [{ id: 'b', type: 'bedrock', region: 'eu-west-1', accounts: [{ id: 'a', awsCredentials: { accessKeyId: { env: 'AWS' }, secretAccessKey: { env: 'AWS' }, sessionToken: { env: 'ST' } } }] }],
      {},
      [
        { name: 'AWS', provider: 'b', account: 'a' },
        { name: 'ST', provider: 'b', account: 'a' },
      ],
    ],
  ])('%s', (_name, providers, env, expected) => {
    // Prepare
    const config = parseConfig({ providers, models: providers.map((p) => model(p.id)) });

    // Act
    const missing = missingVariables(config, env);

    // Assess
    expect(missing).toEqual(expected);
  });
});

const ENTRA = (clientSecret: object) => ({ tenantId: 't', clientId: 'c', clientSecret });

/** A provider of each kind, with each kind of credential, headers and assumed roles among them. */
const EVERY_KIND = parseConfig({
  providers: [
    { id: 'o', type: 'openai', accounts: [{ id: 'a', apiKey: { env: 'OPENAI_KEY' }, headers: { 'OpenAI-Organization': 'org-1' } }] },
    { id: 'c', type: 'anthropic', accounts: [{ id: 'file', apiKey: { file: '/run/keys.json', field: 'anthropic' } }, { id: 'env', apiKey: { env: 'ANTHROPIC_KEY' }, headers: { 'x-team': 'env' } }] },
    { id: 'g', type: 'gemini', accounts: [{ id: 'a', apiKey: { secret: 'gateway/gemini' } }] },
    {
      id: 'z',
      type: 'azure-openai',
      baseUrl: 'https://r.openai.azure.com',
      entra: ENTRA({ env: 'ENTRA_SHARED' }),
      accounts: [{ id: 'shared' }, { id: 'own', entra: ENTRA({ env: 'ENTRA_OWN' }) }, { id: 'key', apiKey: { env: 'AZURE_KEY' } }],
    },
    { id: 'v', type: 'vertex', project: 'my-project-1', region: 'us-east5', accounts: [{ id: 'a', serviceAccount: { env: 'VERTEX_SA' } }, { id: 'b', serviceAccount: { file: '/run/sa.json' } }] },
    {
      id: 'b',
      type: 'bedrock',
      region: 'us-east-1',
      assumeRole: { roleArn: 'arn:aws:iam::123456789012:role/aigw-bedrock', externalId: 'ext-1' },
      accounts: [
        { id: 'keys', awsCredentials: { accessKeyId: { env: 'AWS_AK' }, secretAccessKey: { env: 'AWS_SK' }, sessionToken: { env: 'AWS_ST' } } },
        { id: 'role', assumeRole: { roleArn: 'arn:aws:iam::210987654321:role/other' }, awsCredentials: { accessKeyId: { env: 'ROLE_AK' }, secretAccessKey: { secret: 'gateway/role', field: 'secret' } } },
        { id: 'lambda' },
      ],
    },
  ],
  models: ['o', 'c', 'g', 'z', 'v', 'b'].map(model),
});

describe('missingVariables on a config of every kind of credential', () => {
  it('names each of the credentials of every kind, where it is', () => {
    // Act
    const missing = missingVariables(EVERY_KIND, {});

    // Assess: each reference where it is, so that one the credential walker loses fails here.
    expect(missing).toEqual([
      { name: 'OPENAI_KEY', provider: 'o', account: 'a' },
      { name: 'ANTHROPIC_KEY', provider: 'c', account: 'env' },
      { name: 'ENTRA_SHARED', provider: 'z' },
      { name: 'ENTRA_OWN', provider: 'z', account: 'own' },
      { name: 'AZURE_KEY', provider: 'z', account: 'key' },
      { name: 'VERTEX_SA', provider: 'v', account: 'a' },
      { name: 'AWS_AK', provider: 'b', account: 'keys' },
      { name: 'AWS_SK', provider: 'b', account: 'keys' },
      { name: 'AWS_ST', provider: 'b', account: 'keys' },
      { name: 'ROLE_AK', provider: 'b', account: 'role' },
    ]);
  });
});

describe('missingVariableLines', () => {
  it('names the variable and where it is used, one line each', () => {
    expect(missingVariableLines([{ name: 'K', provider: 'o', account: 'a' }, { name: 'ENTRA', provider: 'z' }])).toEqual([
      '  NOTE:   K is not set (provider "o" account "a"): calls there will answer 502 until it is.',
      '  NOTE:   ENTRA is not set (provider "z"): calls there will answer 502 until it is.',
    ]);
  });
});
