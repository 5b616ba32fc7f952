import { parseConfig } from './load';
import type { GatewayConfigInput } from './schema';
import { issuesOf } from '../../test/config-issues';

const SA = { secret: 'aigw/prod/vertex/main' };

/** A Vertex provider whose one account has `account` merged in, and provider fields `provider`. */
function withVertex(account: object, provider: object = { project: 'my-project-123', region: 'us-east5' }): GatewayConfigInput {
  return {
    providers: [{ id: 'vertex', type: 'vertex', accounts: [{ id: 'main', serviceAccount: SA, ...account }], ...provider }],
    models: [{ name: 'claude-sonnet-4-5', targets: [{ provider: 'vertex', model: 'claude-sonnet-4-5@20250929' }] }],
  } as GatewayConfigInput;
}


describe('vertex providers in the gateway config', () => {
  it.each([
    ['a regional endpoint', { project: 'my-project-123', region: 'us-east5' }],
    ['the global endpoint', { project: 'my-project-123', region: 'global' }],
    ['the US multi-region endpoint', { project: 'my-project-123', region: 'us' }],
    ['the EU multi-region endpoint', { project: 'my-project-123', region: 'eu' }],
    ['a domain-scoped project', { project: 'example.com:my-project', region: 'europe-west1' }],
  ])('accepts %s', (_case, provider) => {
    // Act
    const config = parseConfig(withVertex({}, provider));

    // Assess
    expect(config.providers[0]).toMatchObject({ type: 'vertex', ...provider, accounts: [{ id: 'main', serviceAccount: SA }] });
  });

  it('lets each account of a pool name its own project and region', () => {
    // Act
    const config = parseConfig(withVertex({ project: 'other-project-9', region: 'asia-northeast1' }, {}));

    // Assess
    expect(config.providers[0]!.accounts[0]).toMatchObject({ project: 'other-project-9', region: 'asia-northeast1' });
  });

  it('lets an account name a multi-region endpoint', () => {
    // Act
    const config = parseConfig(withVertex({ region: 'eu' }));

    // Assess
    expect(config.providers[0]!.accounts[0]).toMatchObject({ region: 'eu' });
  });

  it.each([
    ['a project id with capitals', withVertex({}, { project: 'My-Project', region: 'us-east5' }), 'providers[0].project: a Google Cloud project id such as my-project-123'],
    ['a project id too short', withVertex({ project: 'abc' }), 'providers[0].accounts[0].project: a Google Cloud project id such as my-project-123'],
    ['an AWS region on the provider', withVertex({}, { project: 'my-project-123', region: 'us-east-1' }), 'providers[0].region: a Google Cloud region such as us-east5 or europe-west1, or "global"'],
    ['an AWS region on the account', withVertex({ region: 'us-east-1' }), 'providers[0].accounts[0].region: a Google Cloud region such as us-east5 or europe-west1, or "global"'],
    ['no project anywhere', withVertex({}, { region: 'us-east5' }), 'providers[0].accounts[0].project: a Vertex AI account needs a Google Cloud project (here or on the provider)'],
    ['no region anywhere', withVertex({}, { project: 'my-project-123' }), 'providers[0].accounts[0].region: a Vertex AI account needs a region (here or on the provider)'],
    ['no service account', withVertex({ serviceAccount: undefined }), 'providers[0].accounts[0].serviceAccount: a Vertex AI account needs the service account’s JSON key'],
    ['an API key instead', withVertex({ apiKey: { env: 'KEY' } }), 'providers[0].accounts[0].apiKey: a Vertex AI account signs in with `serviceAccount`, not `apiKey`'],
  ])('refuses %s, naming the field', (_case, input, message) => {
    // Act
    const issues = issuesOf(input);

    // Assess
    expect(issues.some((i) => i.startsWith(message))).toBe(true);
  });

  it('refuses a service account on another provider type, and a Google region on Bedrock', () => {
    // Act
    const issues = issuesOf({
      providers: [
        { id: 'oa', type: 'openai', accounts: [{ id: 'a', apiKey: { env: 'K' }, serviceAccount: SA }] },
        { id: 'br', type: 'bedrock', accounts: [{ id: 'b', region: 'us-east5' }] },
      ],
      models: [{ name: 'm', targets: [{ provider: 'oa', model: 'gpt-4o' }] }],
    });

    // Assess
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringContaining('providers[0].accounts[0].serviceAccount: a Google Cloud service account and project are for "vertex" providers, not "openai"'),
        expect.stringContaining('providers[1].accounts[0].region: an AWS region such as us-east-1'),
      ]),
    );
  });
});
