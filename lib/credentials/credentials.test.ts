import type { AccountConfig } from '../config/schema';
import { accountCredentialRefs, providerCredentialRefs } from './credentials';

const entra = (secret: string) => ({
  tenantId: 'tenant',
  clientId: 'client',
  clientSecret: { secret },
  authorityHost: 'https://login.microsoftonline.com',
  scope: 'https://cognitiveservices.azure.com/.default',
});

describe('accountCredentialRefs (what a cold start prefetches and a refused account reads again)', () => {
  it.each<[string, AccountConfig, object, string[]]>([
    ['an API key', { id: 'a', weight: 1, apiKey: { secret: 'key' } }, {}, ['key']],
    [
      'an AWS access key',
      { id: 'a', weight: 1, awsCredentials: { accessKeyId: { secret: 'aws', field: 'accessKeyId' }, secretAccessKey: { secret: 'aws', field: 'secretAccessKey' } } },
      {},
      ['aws', 'aws'],
    ],
    ['the account’s Entra client secret', { id: 'a', weight: 1, entra: entra('own') }, { entra: entra('provider') }, ['own']],
    ['the provider’s Entra client secret, for an account with none of its own', { id: 'a', weight: 1 }, { entra: entra('provider') }, ['provider']],
    ['only the key of a key account in a provider with Entra', { id: 'a', weight: 1, apiKey: { secret: 'key' } }, { entra: entra('provider') }, ['key']],
  ])('lists %s', (_what, account, provider, secrets) => {
    // Act
    const refs = accountCredentialRefs(account, provider);

    // Assess
    expect(refs.map((ref) => ('secret' in ref ? ref.secret : undefined))).toEqual(secrets);
  });
});

describe('providerCredentialRefs (what a provider holds for its accounts, apart from their own)', () => {
  it.each<[string, object, string[]]>([
    ['the client secret of its Entra principal', { id: 'z', entra: entra('provider') }, ['provider']],
    ['the same when every account has its own, as the config still names it', { id: 'z', entra: entra('provider'), accounts: [{ id: 'a', apiKey: { secret: 'key' } }] }, ['provider']],
    ['none for a provider without Entra, whatever its accounts hold', { id: 'o', accounts: [{ id: 'a', apiKey: { secret: 'key' } }] }, []],
  ])('lists %s', (_what, provider, secrets) => {
    // Act
    const refs = providerCredentialRefs(provider);

    // Assess
    expect(refs.map((ref) => ('secret' in ref ? ref.secret : undefined))).toEqual(secrets);
  });
});
