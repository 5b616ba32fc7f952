import { parseConfig } from './load';
import { managedSecretName, resolveForAws } from './resolve-for-aws';

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
      { providerId: 'openai', accountId: 'env', kind: 'create', secret: 'aigw/Aigw/openai/env' },
      { providerId: 'openai', accountId: 'file', kind: 'create', secret: 'aigw/Aigw/openai/file' },
      { providerId: 'openai', accountId: 'arn', kind: 'arn', secret: ARN },
      { providerId: 'local', accountId: 'named', kind: 'name', secret: 'shared/local' },
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
});
