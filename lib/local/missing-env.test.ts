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
  ])('%s', (_name, providers, env, expected) => {
    // Prepare
    const config = parseConfig({ providers, models: providers.map((p) => model(p.id)) });

    // Act
    const missing = missingVariables(config, env);

    // Assess
    expect(missing).toEqual(expected);
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
