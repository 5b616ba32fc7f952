import { cacheKey, canonicalJson, scopeOf, type CacheKeyInput } from './key';

const messages = [{ role: 'user', content: 'Classify: great product' }];
const base: CacheKeyInput = { surface: 'openai', model: 'gpt-4o-mini', upstream: ['up:gpt-4o-mini'], scope: 'key:key_1', stream: false, body: { model: 'gpt-4o-mini', messages, temperature: 0 } };
const withBody = (body: Record<string, unknown>): CacheKeyInput => ({ ...base, body: { ...base.body, ...body } });

describe('cacheKey', () => {
  const same: [string, CacheKeyInput][] = [
    ['the body with its keys in another order', { ...base, body: { temperature: 0, messages, model: 'gpt-4o-mini' } }],
    ['nested keys in another order', { ...base, body: { ...base.body, messages: [{ content: 'Classify: great product', role: 'user' }] } }],
    ['another `user`', withBody({ user: 'alice' })],
    ['chat `metadata`', withBody({ metadata: { run: '7' } })],
    ['`stream: false` spelled out', withBody({ stream: false })],
    ['`stream_options` on a whole answer', withBody({ stream_options: { include_usage: true } })],
    ['a parameter policy that chose none of the values', { ...base, setByPolicy: { reasoning: false, temperature: false } }],
  ];
  it.each(same)('is the same for %s', (_what, input) => {
    expect(cacheKey(input)).toBe(cacheKey(base));
  });

  const different: [string, CacheKeyInput][] = [
    ['another temperature', withBody({ temperature: 0.7 })],
    ['other messages', withBody({ messages: [{ role: 'user', content: 'Classify: bad product' }] })],
    ['another model name (an alias is its own entry)', { ...base, model: 'mini' }],
    ['another upstream model behind the name', { ...base, upstream: ['up:gpt-4o'] }],
    ['another provider behind the name', { ...base, upstream: ['azure:gpt-4o-mini'] }],
    ['another sharing scope', { ...base, scope: 'key:key_2' }],
    ['a stream', { ...base, stream: true }],
    ['another surface', { ...base, surface: 'openai-completions' }],
    ['a tool list', withBody({ tools: [{ type: 'function', function: { name: 'f' } }] })],
    ['an array in another order', withBody({ stop: ['b', 'a'] })],
    // The same policy body goes to Claude with thinking when the client asked for it, without when the policy filled it in.
    ['an effort the parameter policy filled in rather than the client sent', { ...base, setByPolicy: { reasoning: true } }],
    // The cache keeps the answer as the caller's rules left it: redacted for one, whole for another.
    ['answers screened by a named rule set', { ...base, answerScreen: 'set:strict' }],
    ['answers an exempt caller gets unscreened', { ...base, answerScreen: 'none' }],
  ];
  it.each(different)('differs for %s', (_what, input) => {
    expect(cacheKey(input)).not.toBe(cacheKey(withBody({ stop: ['a', 'b'] })));
    expect(cacheKey(input)).not.toBe(cacheKey(base));
  });

  it('tells answers screened by one rule set from another\'s', () => {
    expect(cacheKey({ ...base, answerScreen: 'set:strict' })).not.toBe(cacheKey({ ...base, answerScreen: 'set:lax' }));
  });

  it('tells a stream with the usage chunk from one without, and SSE from a Gemini JSON array', () => {
    const stream = { ...base, stream: true };
    const keys = new Set([
      cacheKey(stream),
      cacheKey({ ...stream, body: { ...base.body, stream: true, stream_options: { include_usage: true } } }),
      cacheKey({ ...stream, surface: 'gemini', jsonArray: true }),
      cacheKey({ ...stream, surface: 'gemini' }),
    ]);

    expect(keys.size).toBe(4);
  });

  it('tells a stream without OpenAI\'s obfuscation padding (`include_obfuscation: false`) from one with it, on chat and Responses', () => {
    const stream = { ...base, stream: true };
    const unpadded = (input: CacheKeyInput, more: object = {}) => cacheKey({ ...input, body: { ...input.body, stream: true, stream_options: { include_obfuscation: false, ...more } } });
    const responses: CacheKeyInput = { ...stream, surface: 'openai-responses', body: { model: 'gpt-5', input: 'hi' } };

    expect(unpadded(stream)).not.toBe(cacheKey(stream));
    expect(unpadded(stream, { include_usage: true })).not.toBe(cacheKey({ ...stream, body: { ...base.body, stream_options: { include_usage: true } } }));
    expect(unpadded(responses)).not.toBe(cacheKey(responses));
    // The default spelled out is the default.
    expect(cacheKey({ ...stream, body: { ...base.body, stream_options: { include_obfuscation: true } } })).toBe(cacheKey(stream));
  });

  it('tells streams apart by any other member of `stream_options` (vLLM\'s `continuous_usage_stats` puts usage in every chunk), and not whole answers', () => {
    const stream = { ...base, stream: true };
    const withOptions = (input: CacheKeyInput, options: object) => cacheKey({ ...input, body: { ...input.body, stream_options: options } });

    expect(withOptions(stream, { include_usage: true, continuous_usage_stats: true })).not.toBe(withOptions(stream, { include_usage: true }));
    // Keys of streams with only the two known members stay as they were.
    expect(withOptions(stream, { include_usage: true })).toBe(cacheKey({ ...stream, body: { ...base.body, stream: true, stream_options: { include_usage: true } } }));
    expect(withOptions(base, { include_usage: true, continuous_usage_stats: true })).toBe(cacheKey(base));
  });

  it('keys messages on the anthropic-version and anthropic-beta headers, and drops their metadata', () => {
    const messagesCall: CacheKeyInput = { surface: 'anthropic', model: 'claude', upstream: ['ant:claude'], scope: 'all', stream: false, body: { model: 'claude', max_tokens: 10, messages }, headers: { 'anthropic-version': '2023-06-01' } };

    expect(cacheKey({ ...messagesCall, body: { ...messagesCall.body, metadata: { user_id: 'u' } } })).toBe(cacheKey(messagesCall));
    expect(cacheKey({ ...messagesCall, headers: { 'anthropic-version': '2023-06-01', 'anthropic-beta': 'context-1m-2025-08-07' } })).not.toBe(cacheKey(messagesCall));
  });

  it('keeps `user` and `metadata` in a Responses key, since its answers echo them', () => {
    const responses: CacheKeyInput = { surface: 'openai-responses', model: 'gpt-5', upstream: ['up:gpt-5'], scope: 'all', stream: false, body: { model: 'gpt-5', input: 'hi' } };

    expect(cacheKey({ ...responses, body: { ...responses.body, metadata: { a: '1' } } })).not.toBe(cacheKey(responses));
  });

  it('keeps a `__proto__` member of the body (a JSON schema may name a property so), at any depth', () => {
    const schema = (type: string) => JSON.parse(`{"type":"object","properties":{"__proto__":{"type":"${type}"}}}`) as Record<string, unknown>;
    const tools = (type: string) => [{ type: 'function', function: { name: 'f', parameters: schema(type) } }];

    expect(cacheKey(withBody({ tools: tools('string') }))).not.toBe(cacheKey(withBody({ tools: tools('integer') })));
    expect(cacheKey({ ...base, body: JSON.parse('{"model":"m","__proto__":{"x":1}}') })).not.toBe(cacheKey({ ...base, body: JSON.parse('{"model":"m","__proto__":{"x":2}}') }));
    expect(canonicalJson(JSON.parse('{"b":{"__proto__":1},"a":2}'))).toBe('{"a":2,"b":{"__proto__":1}}');
  });

  it('is a SHA-256 in hex', () => {
    expect(cacheKey(base)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('canonicalJson', () => {
  it.each([
    [{ b: 1, a: [{ d: 2, c: 3 }] }, '{"a":[{"c":3,"d":2}],"b":1}'],
    [{ a: undefined, b: null }, '{"b":null}'],
    [['x', 1.5, true], '["x",1.5,true]'],
    ['é"\n', JSON.stringify('é"\n')],
    [{ b: 1, 10: 2, 2: 3 }, '{"2":3,"10":2,"b":1}'],
  ])('writes %j as %s', (value, text) => {
    expect(canonicalJson(value)).toBe(text);
  });

  it('writes the same text for a body however its objects\' keys are ordered (50 shuffles)', () => {
    const body = { model: 'm', temperature: 0, messages: [{ role: 'user', content: [{ type: 'text', text: 'hi', cache_control: { type: 'ephemeral' } }] }], tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { a: { type: 'string' }, b: { type: 'number' } } } } }] };
    let seed = 7;
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const shuffled = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(shuffled);
      if (value === null || typeof value !== 'object') return value;
      const names = Object.keys(value).sort(() => next() - 0.5);
      return Object.fromEntries(names.map((n) => [n, shuffled((value as Record<string, unknown>)[n])]));
    };

    const texts = new Set(Array.from({ length: 50 }, () => canonicalJson(shuffled(body))));

    expect([...texts]).toEqual([canonicalJson(body)]);
  });
});

describe('scopeOf', () => {
  it.each([
    ['key', { keyId: 'key_1', teamId: 'team_9' }, 'key:key_1'],
    ['team', { keyId: 'key_1', teamId: 'team_9' }, 'team:team_9'],
    ['team', { keyId: 'key_1' }, 'key:key_1'],
    ['all', { keyId: 'key_1', teamId: 'team_9' }, 'all'],
  ] as const)('shares "%s" for %j as %s', (share, caller, scope) => {
    expect(scopeOf(share, caller)).toBe(scope);
  });
});
