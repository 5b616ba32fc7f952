import { readFileSync } from 'node:fs';
import { ConfigError, configFromEnv, configJsonSchema, loadLocalConfig, parseConfig } from './load';
import { issuesOf } from '../../test/config-issues';

const valid = {
  providers: [{ id: 'openai', type: 'openai', baseUrl: 'https://api.openai.com/v1', accounts: [{ id: 'main', apiKey: { env: 'OPENAI_API_KEY' } }] }],
  models: [{ name: 'gpt-4o-mini', targets: [{ provider: 'openai', model: 'gpt-4o-mini' }] }],
};


describe('parseConfig', () => {
  it('accepts the documented minimal config and fills in defaults', () => {
    const config = parseConfig(valid);

    expect(config.limits.maxBodyBytes).toBe(10 * 1024 * 1024);
    expect(config.keyCache.ttlSeconds).toBe(30);
    expect(config.providers[0]!.accounts[0]!.weight).toBe(1);
  });

  it('bounds one upstream event at 32 MiB unless told otherwise, and refuses a bound below 64 KiB', () => {
    expect(parseConfig(valid).limits.maxUpstreamEventBytes).toBe(32 * 1024 * 1024);
    expect(parseConfig({ ...valid, limits: { maxUpstreamEventBytes: 1024 * 1024 } }).limits.maxUpstreamEventBytes).toBe(1024 * 1024);
    expect(issuesOf({ ...valid, limits: { maxUpstreamEventBytes: 1000 } })).toEqual(['limits.maxUpstreamEventBytes: limits.maxUpstreamEventBytes is at least 65536 (64 KiB): real events are larger']);
    expect(issuesOf({ ...valid, limits: { maxUpstreamEventBytes: 1024 * 1024 * 1024 } })).toEqual([
      'limits.maxUpstreamEventBytes: limits.maxUpstreamEventBytes is at most 134217728 (128 MiB): a whole answer may be eight times it, and Lambda streams back 200 MB at most',
    ]);
    expect(issuesOf({ ...valid, limits: { maxUpstreamEventBytes: '1MB' } })).toEqual(['limits.maxUpstreamEventBytes: limits.maxUpstreamEventBytes is a number of bytes']);
  });

  it('reads the table for a stored response with no owner for 300 s unless told otherwise, and refuses under 210 s', () => {
    expect(parseConfig(valid).routing).toEqual({ sticky: true, ownerlessAfterSeconds: 300 });
    expect(parseConfig({ ...valid, routing: { ownerlessAfterSeconds: 600 } }).routing).toEqual({ sticky: true, ownerlessAfterSeconds: 600 });
    expect(parseConfig({ ...valid, routing: { ownerlessAfterSeconds: 210 } }).routing.ownerlessAfterSeconds).toBe(210);
    expect(issuesOf({ ...valid, routing: { ownerlessAfterSeconds: 209 } })).toEqual([
      "routing.ownerlessAfterSeconds: routing.ownerlessAfterSeconds is at least 210: a response found before its maker's usage batch was written would be anyone's for good",
    ]);
  });

  it('leaves the audit log off unless the config turns it on, with 1 MiB per body kept 90 days', () => {
    expect(parseConfig(valid).audit).toEqual({ mode: 'off', maxBytes: 1024 * 1024, retentionDays: 90 });
    expect(parseConfig({ ...valid, audit: { mode: 'flagged', retentionDays: 30 } }).audit).toEqual({ mode: 'flagged', maxBytes: 1024 * 1024, retentionDays: 30 });
  });

  it.each([
    [{ mode: 'some' }, 'audit.mode: audit.mode is "off", "all" or "flagged"'],
    [{ mode: 'all', maxBytes: 128 * 1024 * 1024 }, 'audit.maxBytes: audit.maxBytes is at most 64 MiB'],
    [{ mode: 'all', retentionDays: 0 }, 'audit.retentionDays'],
  ])('refuses the audit settings %j, naming the field', (audit, issue) => {
    expect(issuesOf({ ...valid, audit }).join('\n')).toContain(issue);
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

  describe('Azure OpenAI accounts with Entra ID', () => {
    const entra = { tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47', clientId: '0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0', clientSecret: { env: 'AZURE_CLIENT_SECRET' } };
    const azure = (provider: Record<string, unknown>, accounts: Record<string, unknown>[]) => ({
      providers: [{ id: 'azure', type: 'azure-openai', baseUrl: 'https://contoso.openai.azure.com', ...provider, accounts }],
      models: [{ name: 'gpt-4o', targets: [{ provider: 'azure', model: 'gpt4o' }] }],
    });

    it('accepts `entra` instead of `apiKey` and fills in the public cloud and the Azure AI scope', () => {
      // Act
      const config = parseConfig(azure({}, [{ id: 'a', entra }]));

      // Assess
      expect(config.providers[0]!.accounts[0]!.entra).toEqual({ ...entra, authorityHost: 'https://login.microsoftonline.com', scope: 'https://cognitiveservices.azure.com/.default' });
    });

    it('accepts `entra` on the provider for accounts that name no credentials, and a key account beside them', () => {
      // Act
      const issues = issuesOf(azure({ entra: { ...entra, authorityHost: 'https://login.microsoftonline.us' } }, [{ id: 'a' }, { id: 'b', apiKey: { env: 'AZURE_KEY' } }]));

      // Assess
      expect(issues).toEqual([]);
    });

    it.each([
      ['an account with neither', azure({}, [{ id: 'a' }]), 'providers[0].accounts[0].apiKey: an Azure OpenAI account needs `apiKey` or `entra`'],
      ['an account with both', azure({}, [{ id: 'a', apiKey: { env: 'K' }, entra }]), 'providers[0].accounts[0].entra: an account signs in with `apiKey` or with `entra`, not both'],
      ['a client secret given by value', azure({}, [{ id: 'a', entra: { ...entra, clientSecret: 's3cr3t' } }]), 'providers[0].accounts[0].entra.clientSecret'],
      ['a missing tenant', azure({}, [{ id: 'a', entra: { clientId: entra.clientId, clientSecret: entra.clientSecret } }]), 'providers[0].accounts[0].entra.tenantId'],
      // The client-credentials flow asks for a resource's app permissions: Entra refuses any other scope (400 invalid_scope, AADSTS1002012).
      ['a scope without /.default', azure({}, [{ id: 'a', entra: { ...entra, scope: 'https://cognitiveservices.azure.com/user_impersonation' } }]), 'providers[0].accounts[0].entra.scope: a scope ending in "/.default"'],
      ['an authority that is not a URL', azure({ entra: { ...entra, authorityHost: 'login.microsoftonline.us' } }, [{ id: 'a' }]), 'providers[0].entra.authorityHost'],
      ['`entra` on another provider type', { ...valid, providers: [{ ...valid.providers[0], accounts: [{ id: 'main', apiKey: { env: 'K' }, entra }] }] }, 'providers[0].accounts[0].entra: Entra ID is for "azure-openai" providers, not "openai"'],
    ])('refuses %s, naming the field', (_name, input, expected) => {
      expect(issuesOf(input).join('\n')).toContain(expected);
    });
  });

  it('leaves the response cache off unless a model turns it on, `{}` meaning an hour shared by the key', () => {
    const model = (cache: unknown) => ({ ...valid, models: [{ ...valid.models[0], cache }] });

    expect(parseConfig(valid).models[0]!.cache).toBeUndefined();
    expect(parseConfig(valid).responseCache).toEqual({ maxBytes: 380 * 1024 });
    expect(parseConfig(model({})).models[0]!.cache).toEqual({ ttlSeconds: 3600, share: 'key' });
    expect(parseConfig(model({ share: 'team' })).models[0]!.cache).toEqual({ ttlSeconds: 3600, share: 'team' });
    expect(parseConfig(model({ ttlSeconds: 60, share: 'all' })).models[0]!.cache).toEqual({ ttlSeconds: 60, share: 'all' });
  });

  it.each([
    [{ cache: { share: 'org' } }, 'models[0].cache.share: models[].cache.share is "key", "team" or "all"'],
    [{ cache: { ttlSeconds: 0 } }, 'models[].cache.ttlSeconds is at least 1'],
    [{ cache: 'on' }, 'models[0].cache: models[].cache is an object'],
    [{ cache: { ttl: 5 } }, 'models[0].cache'],
    [{ responseCache: { maxBytes: 500_000 } }, 'responseCache.maxBytes: responseCache.maxBytes is at most 389120'],
  ])('refuses the cache settings %j, naming the field', (settings, issue) => {
    const input = 'responseCache' in settings ? { ...valid, ...settings } : { ...valid, models: [{ ...valid.models[0], ...settings }] };

    expect(issuesOf(input).join('\n')).toContain(issue);
  });

  it('keeps a model\'s request parameter policy as written, and models without one have none', () => {
    const params = { defaults: { temperature: 0.2, reasoningEffort: 'low', maxOutputTokens: 4096 }, force: { topP: 1 }, caps: { maxOutputTokens: 8192 } };

    const parsed = parseConfig({ ...valid, models: [{ ...valid.models[0], params }] });

    expect(parsed.models[0]!.params).toEqual(params);
    expect(parseConfig(valid).models[0]!.params).toBeUndefined();
  });

  it.each([
    [{ defaults: { seed: 1 } }, 'models[0].params.defaults: models[].params.defaults holds temperature, topP, maxOutputTokens or reasoningEffort'],
    [{ force: { max_tokens: 10 } }, 'models[0].params.force: models[].params.force holds temperature, topP, maxOutputTokens or reasoningEffort'],
    [{ caps: { temperature: 1 } }, 'models[0].params.caps: models[].params.caps holds maxOutputTokens only'],
    [{ overrides: {} }, 'models[0].params: models[].params is an object'],
    [{ defaults: { temperature: 3 } }, 'models[0].params.defaults.temperature: models[].params.defaults.temperature is at most 2'],
    [{ force: { topP: -1 } }, 'models[0].params.force.topP: models[].params.force.topP is at least 0'],
    [{ defaults: { maxOutputTokens: 0.5 } }, 'models[0].params.defaults.maxOutputTokens: models[].params.defaults.maxOutputTokens is a whole number of tokens'],
    [{ force: { reasoningEffort: 'max' } }, 'models[0].params.force.reasoningEffort: models[].params.force.reasoningEffort is "minimal", "low", "medium" or "high"'],
    [{ defaults: { temperature: 1 }, force: { temperature: 0 } }, 'models[0].params.force.temperature: models[].params: temperature is in both defaults and force'],
    [{ force: { maxOutputTokens: 100 }, caps: { maxOutputTokens: 200 } }, 'models[0].params.force.maxOutputTokens: models[].params: maxOutputTokens is forced and capped'],
    [{ defaults: { maxOutputTokens: 9000 }, caps: { maxOutputTokens: 8192 } }, 'models[0].params.defaults.maxOutputTokens: models[].params.defaults.maxOutputTokens is above caps.maxOutputTokens (8192)'],
    [{ unsupported: 'drop' }, 'models[0].params.unsupported: models[].params.unsupported is "mend" or "pass"'],
  ])('refuses the request parameter policy %j, naming the field', (params, issue) => {
    expect(issuesOf({ ...valid, models: [{ ...valid.models[0], params }] }).join('\n')).toContain(issue);
  });

  it('keeps a target\'s capabilities and a policy that only passes unsupported parameters', () => {
    const model = { ...valid.models[0]!, targets: [{ ...valid.models[0]!.targets[0]!, capabilities: { reasoning: true } }], params: { unsupported: 'pass' } };

    const parsed = parseConfig({ ...valid, models: [model] });

    expect(parsed.models[0]!.targets[0]!.capabilities).toEqual({ reasoning: true });
    expect(parsed.models[0]!.params).toEqual({ unsupported: 'pass' });
  });

  it.each([
    [{ reasoning: 'yes' }, 'models[0].targets[0].capabilities.reasoning: models[].targets[].capabilities.reasoning is true'],
    [{ sampling: false }, 'models[0].targets[0].capabilities: models[].targets[].capabilities is an object: { "reasoning": true | false, "stop"?: true | false }'],
    [{}, 'models[0].targets[0].capabilities.reasoning: models[].targets[].capabilities.reasoning is true'],
  ])('refuses the target capabilities %j, naming the field', (capabilities, issue) => {
    const model = { ...valid.models[0]!, targets: [{ ...valid.models[0]!.targets[0]!, capabilities }] };

    expect(issuesOf({ ...valid, models: [model] }).join('\n')).toContain(issue);
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

describe('configFromEnv on an aigw key', () => {
  it('takes it for another aigw, not on this machine, that the base URL names', () => {
    // Act
    const config = configFromEnv({ OPENAI_API_KEY: 'sk-gw-0123456789', OPENAI_BASE_URL: 'https://aigw.example.com/v1' });

    // Assess
    expect(config?.providers).toEqual([expect.objectContaining({ id: 'openai', baseUrl: 'https://aigw.example.com/v1' })]);
  });
});

describe('configFromEnv on a variable set wrong', () => {
  it.each([
    [{ OPENAI_COMPATIBLE_BASE_URL: 'http://127.0.0.1:11434/v1' }, 'OPENAI_COMPATIBLE_BASE_URL needs OPENAI_COMPATIBLE_MODELS, the names of the models that server serves, comma-separated (e.g. OPENAI_COMPATIBLE_MODELS=llama3.2)'],
    [{ OPENAI_API_KEY: 'sk-x', OPENAI_COMPATIBLE_BASE_URL: 'http://127.0.0.1:11434/v1', OPENAI_COMPATIBLE_MODELS: ' , ' }, 'OPENAI_COMPATIBLE_BASE_URL needs OPENAI_COMPATIBLE_MODELS, the names of the models that server serves, comma-separated (e.g. OPENAI_COMPATIBLE_MODELS=llama3.2)'],
    [{ OPENAI_COMPATIBLE_BASE_URL: '127.0.0.1:11434/v1', OPENAI_COMPATIBLE_MODELS: 'llama3.2' }, 'OPENAI_COMPATIBLE_BASE_URL is not an http(s) URL: "127.0.0.1:11434/v1"'],
    [{ OPENAI_API_KEY: 'sk-x', OPENAI_BASE_URL: 'localhost:9100' }, 'OPENAI_BASE_URL is not an http(s) URL: "localhost:9100"'],
    [{ ANTHROPIC_API_KEY: 'sk-ant-x', ANTHROPIC_BASE_URL: 'ftp://example.com' }, 'ANTHROPIC_BASE_URL is not an http(s) URL: "ftp://example.com"'],
    // A shell set up to call the gateway (the OpenAI SDK reads both variables): the gateway would call itself, without end.
    [{ OPENAI_API_KEY: 'sk-gw-0123456789', OPENAI_BASE_URL: 'http://127.0.0.1:8787/v1' }, "OPENAI_API_KEY is an aigw key (sk-gw-…), not the provider's: the gateway would call itself. Start it where OPENAI_API_KEY is the provider's key, or write gateway.config.json"],
    [{ ANTHROPIC_API_KEY: 'sk-gw-0123456789', ANTHROPIC_BASE_URL: 'http://localhost:8787' }, "ANTHROPIC_API_KEY is an aigw key (sk-gw-…), not the provider's"],
    [{ ANTHROPIC_API_KEY: 'sk-gw-0123456789' }, "ANTHROPIC_API_KEY is an aigw key (sk-gw-…), not the provider's"],
    [{ GEMINI_API_KEY: 'sk-gw-0123456789' }, "GEMINI_API_KEY is an aigw key (sk-gw-…), not the provider's"],
    [{ OPENAI_COMPATIBLE_BASE_URL: 'http://127.0.0.1:8787/v1', OPENAI_COMPATIBLE_MODELS: 'm', OPENAI_COMPATIBLE_API_KEY: 'sk-gw-0123456789' }, "OPENAI_COMPATIBLE_API_KEY is an aigw key (sk-gw-…), not the provider's"],
  ])('refuses %j, naming the variable: %s', (env, message) => {
    // Act
    const act = () => configFromEnv(env);

    // Assess
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(message);
  });
});

describe('loadLocalConfig', () => {
  it.each([
    [{ OPENAI_API_KEY: 'sk-x' }, 'environment variables OPENAI_API_KEY'],
    [{ OPENAI_API_KEY: 'sk-x', OPENAI_BASE_URL: 'http://127.0.0.1:9100/v1', ANTHROPIC_API_KEY: 'sk-ant-x', HOME: '/root' }, 'environment variables OPENAI_API_KEY, OPENAI_BASE_URL, ANTHROPIC_API_KEY'],
    [{ OPENAI_COMPATIBLE_BASE_URL: 'http://127.0.0.1:11434/v1', OPENAI_COMPATIBLE_MODELS: 'llama3.2', GEMINI_API_KEY: 'g' }, 'environment variables OPENAI_COMPATIBLE_BASE_URL, OPENAI_COMPATIBLE_MODELS, GEMINI_API_KEY'],
    // Set for other tools in the same shell, but not read without the key or base URL they go with.
    [{ ANTHROPIC_API_KEY: 'sk-ant-x', OPENAI_BASE_URL: 'http://127.0.0.1:8787/v1', OPENAI_MODELS: 'a', OPENAI_COMPATIBLE_API_KEY: 'c', OPENAI_COMPATIBLE_MODELS: 'm' }, 'environment variables ANTHROPIC_API_KEY'],
    [{ OPENAI_API_KEY: 'sk-x', ANTHROPIC_BASE_URL: 'https://proxy.example' }, 'environment variables OPENAI_API_KEY'],
  ])('names as its source the provider variables it read (%j): %s', (env, source) => {
    // Act
    const loaded = loadLocalConfig(env, '/nonexistent');

    // Assess
    expect(loaded.source).toBe(source);
  });

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
