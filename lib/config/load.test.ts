import { readFileSync } from 'node:fs';
import { ConfigError, configFromEnv, configJsonSchema, loadLocalConfig, parseConfig } from './load';

const valid = {
  providers: [{ id: 'openai', type: 'openai', baseUrl: 'https://api.openai.com/v1', accounts: [{ id: 'main', apiKey: { env: 'OPENAI_API_KEY' } }] }],
  models: [{ name: 'gpt-4o-mini', targets: [{ provider: 'openai', model: 'gpt-4o-mini' }] }],
};

function issuesOf(input: unknown): string[] {
  try {
    parseConfig(input);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
  return [];
}

describe('parseConfig', () => {
  it('accepts the documented minimal config and fills in defaults', () => {
    const config = parseConfig(valid);

    expect(config.limits.maxBodyBytes).toBe(10 * 1024 * 1024);
    expect(config.keyCache.ttlSeconds).toBe(30);
    expect(config.providers[0]!.accounts[0]!.weight).toBe(1);
  });

  it.each([
    ['a target naming no provider', { ...valid, models: [{ name: 'm', targets: [{ provider: 'nope', model: 'x' }] }] }, 'models[0].targets[0].provider: no provider with id "nope"'],
    ['an unknown provider type', { ...valid, providers: [{ ...valid.providers[0], type: 'foo' }] }, 'providers[0].type'],
    ['a base URL that is not http(s)', { ...valid, providers: [{ ...valid.providers[0], baseUrl: 'ftp://x' }] }, 'providers[0].baseUrl'],
    ['an openai account without a key', { ...valid, providers: [{ ...valid.providers[0], accounts: [{ id: 'main' }] }] }, 'providers[0].accounts[0].apiKey: required'],
    ['a credential given by value', { ...valid, providers: [{ ...valid.providers[0], accounts: [{ id: 'main', apiKey: 'sk-123' }] }] }, 'providers[0].accounts[0].apiKey'],
    ['a model name used twice', { ...valid, models: [valid.models[0], { ...valid.models[0] }] }, 'models[1].name: model name "gpt-4o-mini" is used twice'],
    ['an alias clashing with a name', { ...valid, models: [{ ...valid.models[0], aliases: ['gpt-4o-mini'] }] }, 'models[0].aliases[0]'],
    ['a misspelt top-level field', { ...valid, modles: [] }, 'modles'],
    ['a target pinned to an unknown account', { ...valid, models: [{ name: 'm', targets: [{ provider: 'openai', model: 'x', accounts: ['other'] }] }] }, 'models[0].targets[0].accounts[0]'],
    ['a Bedrock account without a region', { ...valid, providers: [{ id: 'b', type: 'bedrock', accounts: [{ id: 'a' }] }], models: [] }, 'providers[0].accounts[0].region'],
    ['an empty model list', { ...valid, models: [] }, 'models'],
    ['a model name with two `*`', { ...valid, models: [{ name: 'a*b*', targets: [{ provider: 'openai', model: '*' }] }] }, 'models[0].name: a model name may hold one `*` at most'],
    ['an alias that is a pattern', { ...valid, models: [{ ...valid.models[0], aliases: ['gpt-*'] }] }, 'models[0].aliases[0]: an alias cannot be a pattern'],
    ['a `*` in a target of a model that is no pattern', { ...valid, models: [{ name: 'gpt', targets: [{ provider: 'openai', model: 'gpt-*' }] }] }, 'models[0].targets[0].model: a `*` here stands for'],
    ['aliases on a pattern', { ...valid, models: [{ name: 'gpt-*', aliases: ['g'], targets: [{ provider: 'openai', model: '*' }] }] }, 'models[0].aliases: a pattern has no aliases'],
    ['a target model with two `*`', { ...valid, models: [{ name: 'gpt-*', targets: [{ provider: 'openai', model: '*-*' }] }] }, 'models[0].targets[0].model: a target model may hold one `*` at most'],
  ])('refuses %s, naming the field', (_name, input, expected) => {
    expect(issuesOf(input).join('\n')).toContain(expected);
  });

  it('puts every issue in the error message', () => {
    expect(() => parseConfig({ providers: [], models: [] }, 'my.json')).toThrow(/my\.json is not a valid gateway config:\n {2}- providers: /);
  });
});

describe('configFromEnv', () => {
  it('builds an OpenAI config from OPENAI_API_KEY', () => {
    const config = configFromEnv({ OPENAI_API_KEY: 'sk-x', OPENAI_MODELS: 'a, b' });

    expect(config?.providers[0]).toMatchObject({ type: 'openai', accounts: [{ apiKey: { env: 'OPENAI_API_KEY' } }] });
    expect(config?.models.map((m) => m.name)).toEqual(['a', 'b']);
  });

  it('builds an openai-compatible config from its base URL', () => {
    const config = configFromEnv({ OPENAI_COMPATIBLE_BASE_URL: 'http://127.0.0.1:11434/v1', OPENAI_COMPATIBLE_MODELS: 'llama3' });

    expect(config?.providers[0]).toMatchObject({ type: 'openai-compatible', accounts: [{ id: 'env' }] });
    expect(config?.models[0]?.targets[0]).toMatchObject({ provider: 'compatible', model: 'llama3' });
  });

  it('returns nothing when no provider variable is set', () => {
    expect(configFromEnv({})).toBeUndefined();
  });

  it('passes any Claude and Gemini model on from ANTHROPIC_API_KEY and GEMINI_API_KEY (model patterns)', () => {
    const config = configFromEnv({ ANTHROPIC_API_KEY: 'sk-ant-x', GEMINI_API_KEY: 'g-x', ANTHROPIC_BASE_URL: 'https://proxy.example' });

    expect(config?.providers).toEqual([
      expect.objectContaining({ id: 'anthropic', type: 'anthropic', baseUrl: 'https://proxy.example', accounts: [expect.objectContaining({ apiKey: { env: 'ANTHROPIC_API_KEY' } })] }),
      expect.objectContaining({ id: 'gemini', type: 'gemini', accounts: [expect.objectContaining({ apiKey: { env: 'GEMINI_API_KEY' } })] }),
    ]);
    expect(config?.models.map((m) => [m.name, m.targets[0]?.model])).toEqual([
      ['claude-*', 'claude-*'],
      ['gemini-*', 'gemini-*'],
    ]);
  });
});

describe('loadLocalConfig', () => {
  it('explains what to do when there is no config at all', () => {
    expect(() => loadLocalConfig({}, '/nonexistent')).toThrow(/No gateway config: create gateway\.config\.json/);
  });

  it('refuses a GATEWAY_CONFIG that names a missing file', () => {
    expect(() => loadLocalConfig({ GATEWAY_CONFIG: '/nonexistent/x.json' })).toThrow(/does not exist/);
  });
});

describe('the exported JSON Schema', () => {
  it('is the one committed for editors (run `npm run schema` after changing the config schema)', () => {
    const committed = JSON.parse(readFileSync(`${__dirname}/../../gateway.config.schema.json`, 'utf8'));

    expect(committed).toEqual(JSON.parse(JSON.stringify(configJsonSchema())));
  });
});
