import { parseConfig } from '../config/load';
import { CorsPolicy, EXPOSED_HEADERS, type CorsConfig } from './cors';
import type { GatewayResponse } from './types';

const LISTED: CorsConfig = { allowOrigins: ['https://chat.example.com', 'http://localhost:3000'], allowHeaders: [], maxAgeSeconds: 600 };
const ANY: CorsConfig = { allowOrigins: '*', allowHeaders: ['x-trace-*', 'X-Tenant'], maxAgeSeconds: 7200 };

const policy = (config: CorsConfig) => CorsPolicy.from(config)!;

describe('CorsPolicy.from', () => {
  it('makes no policy when the config has no cors section, so the doors add nothing', () => {
    expect(CorsPolicy.from(undefined)).toBeUndefined();
  });
});

describe('CorsPolicy.covers', () => {
  it.each([
    ['/v1/chat/completions', true],
    ['/v1/messages', true],
    ['/v1beta/models/gemini-2.5-flash:generateContent', true],
    ['/', true],
    ['/administrator', true],
    ['/admin', false],
    ['/admin/keys', false],
    ['/admin/usage/report', false],
  ])('%s: %s', (path, covered) => {
    expect(policy(ANY).covers(path)).toBe(covered);
  });
});

describe('CorsPolicy.isPreflight', () => {
  it.each([
    ['OPTIONS', { origin: 'https://a.example', 'access-control-request-method': 'POST' }, true],
    ['OPTIONS', { 'access-control-request-method': 'POST' }, true],
    // An OPTIONS that asks nothing is no browser's preflight: it goes to the gateway (405) as before.
    ['OPTIONS', { origin: 'https://a.example' }, false],
    ['POST', { origin: 'https://a.example', 'access-control-request-method': 'POST' }, false],
  ])('%s %j: %s', (method, headers, expected) => {
    expect(policy(LISTED).isPreflight(method, headers)).toBe(expected);
  });
});

describe('CorsPolicy.preflight', () => {
  const asked = (origin: string | undefined, requestHeaders?: string, extra: Record<string, string> = {}) => ({
    ...(origin ? { origin } : {}),
    'access-control-request-method': 'POST',
    ...(requestHeaders !== undefined ? { 'access-control-request-headers': requestHeaders } : {}),
    ...extra,
  });

  it.each<[string, CorsConfig, Record<string, string>, Record<string, string>]>([
    [
      'a listed origin, with what the OpenAI SDK asks for in a browser',
      LISTED,
      asked('https://chat.example.com', 'authorization,content-type,x-stainless-arch,x-stainless-lang,x-stainless-os,x-stainless-package-version,x-stainless-retry-count,x-stainless-runtime,x-stainless-runtime-version,x-stainless-timeout'),
      {
        'access-control-allow-origin': 'https://chat.example.com',
        'access-control-allow-methods': 'GET, HEAD, POST, DELETE',
        'access-control-allow-headers':
          'authorization, content-type, x-stainless-arch, x-stainless-lang, x-stainless-os, x-stainless-package-version, x-stainless-retry-count, x-stainless-runtime, x-stainless-runtime-version, x-stainless-timeout',
        'access-control-max-age': '600',
        vary: 'origin, access-control-request-headers, access-control-request-private-network',
      },
    ],
    [
      'what the Anthropic SDK asks for with dangerouslyAllowBrowser, in any case',
      LISTED,
      asked('http://localhost:3000', 'Anthropic-Dangerous-Direct-Browser-Access, anthropic-version, X-Api-Key, content-type'),
      {
        'access-control-allow-origin': 'http://localhost:3000',
        'access-control-allow-methods': 'GET, HEAD, POST, DELETE',
        'access-control-allow-headers': 'anthropic-dangerous-direct-browser-access, anthropic-version, x-api-key, content-type',
        'access-control-max-age': '600',
        vary: 'origin, access-control-request-headers, access-control-request-private-network',
      },
    ],
    [
      'a header nobody allowed is left out (the browser then refuses the call)',
      LISTED,
      asked('https://chat.example.com', 'authorization, x-secret-thing'),
      {
        'access-control-allow-origin': 'https://chat.example.com',
        'access-control-allow-methods': 'GET, HEAD, POST, DELETE',
        'access-control-allow-headers': 'authorization',
        'access-control-max-age': '600',
        vary: 'origin, access-control-request-headers, access-control-request-private-network',
      },
    ],
    ['an origin not listed gets nothing it could use', LISTED, asked('https://evil.example', 'authorization'), { vary: 'origin, access-control-request-headers, access-control-request-private-network' }],
    ['an origin listed with another port is another origin', LISTED, asked('http://localhost:3001', 'authorization'), { vary: 'origin, access-control-request-headers, access-control-request-private-network' }],
    ['no origin at all, with a list', LISTED, asked(undefined, 'authorization'), { vary: 'origin, access-control-request-headers, access-control-request-private-network' }],
    [
      '"*": any origin, the extra headers (by name and by prefix) allowed too, and no header list when none was asked',
      ANY,
      asked('https://anywhere.example', 'x-trace-id, x-tenant'),
      {
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'GET, HEAD, POST, DELETE',
        'access-control-allow-headers': 'x-trace-id, x-tenant',
        'access-control-max-age': '7200',
        vary: 'access-control-request-headers, access-control-request-private-network',
      },
    ],
    [
      '"*" with nothing asked for',
      ANY,
      asked('https://anywhere.example'),
      { 'access-control-allow-origin': '*', 'access-control-allow-methods': 'GET, HEAD, POST, DELETE', 'access-control-max-age': '7200', vary: 'access-control-request-headers, access-control-request-private-network' },
    ],
    [
      "Chrome's private network question, for a gateway on the caller's machine",
      LISTED,
      asked('https://chat.example.com', 'authorization', { 'access-control-request-private-network': 'true' }),
      {
        'access-control-allow-origin': 'https://chat.example.com',
        'access-control-allow-methods': 'GET, HEAD, POST, DELETE',
        'access-control-allow-headers': 'authorization',
        'access-control-max-age': '600',
        'access-control-allow-private-network': 'true',
        vary: 'origin, access-control-request-headers, access-control-request-private-network',
      },
    ],
  ])('%s', (_, config, headers, expected) => {
    // Act
    const answer = policy(config).preflight(headers);

    // Assess: a 204 with these headers exactly, and never a credentials allowance.
    expect(answer).toEqual({ status: 204, headers: expected, body: '' });
  });

  it.each([
    ['authorization, openai-organization, openai-project, openai-beta, idempotency-key', 'authorization, openai-organization, openai-project, openai-beta, idempotency-key'],
    ['x-goog-api-key, x-goog-api-client, content-type', 'x-goog-api-key, x-goog-api-client, content-type'],
    ['x-aigw-end-user,x-aigw-model,x-session-id,cache-control,anthropic-beta', 'x-aigw-end-user, x-aigw-model, x-session-id, cache-control, anthropic-beta'],
    [' , ,', undefined],
    ['cookie', undefined],
  ])('allows of %j: %j', (requested, allowed) => {
    expect(policy(LISTED).allowedOf(requested)).toBe(allowed);
  });

  it('allows any header with "*" in allowHeaders', () => {
    expect(policy({ ...LISTED, allowHeaders: ['*'] }).allowedOf('x-anything, authorization')).toBe('x-anything, authorization');
  });
});

describe('CorsPolicy.decorate', () => {
  const answer = (headers: Record<string, string> = {}): GatewayResponse => ({ status: 200, headers: { 'content-type': 'application/json', ...headers }, body: '{}' });

  it.each<[string, CorsConfig, string | undefined, Record<string, string>]>([
    ['a listed origin is named, with vary', LISTED, 'https://chat.example.com', { 'access-control-allow-origin': 'https://chat.example.com', 'access-control-expose-headers': EXPOSED_HEADERS, vary: 'origin' }],
    ['an origin not listed gets only vary', LISTED, 'https://evil.example', { vary: 'origin' }],
    ['a caller with no origin (not a browser) gets only vary, for caches', LISTED, undefined, { vary: 'origin' }],
    ['"*" answers any origin the same, with no vary', ANY, 'https://anywhere.example', { 'access-control-allow-origin': '*', 'access-control-expose-headers': EXPOSED_HEADERS }],
  ])('%s', (_, config, origin, added) => {
    // Prepare
    const res = answer();

    // Act
    policy(config).decorate(res, origin);

    // Assess
    expect(res.headers).toEqual({ 'content-type': 'application/json', ...added });
  });

  it.each([
    'HTTPS://CHAT.EXAMPLE.COM',
    'https://Chat.example.com',
    'https://chat.example.com/',
    'https://chat.example.com.',
    'https://chat.example.com:443',
    'https://chat.example.com:8443',
    'http://chat.example.com',
    'https://chat.example.com.evil.example',
    'https://evilchat.example.com',
    'http://localhost:3001',
    'http://localhost',
    'null',
    '',
    'https://chat.example.com, https://evil.example',
  ])('names no near-miss of a listed origin: %j', (origin) => {
    // Prepare
    const res = answer();

    // Act
    policy(LISTED).decorate(res, origin);
    const preflight = policy(LISTED).preflight({ origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' });

    // Assess
    expect(res.headers).toEqual({ 'content-type': 'application/json', vary: 'origin' });
    expect(preflight.headers).toEqual({ vary: 'origin, access-control-request-headers, access-control-request-private-network' });
  });

  it('keeps a vary the answer already had', () => {
    const res = answer({ vary: 'accept-encoding' });
    policy(LISTED).decorate(res, 'https://chat.example.com');
    expect(res.headers.vary).toBe('accept-encoding, origin');
  });

  it('exposes the headers the SDKs read: request id, both dialects of rate limits, retry hints', () => {
    const exposed = EXPOSED_HEADERS.split(', ');
    for (const name of ['x-request-id', 'retry-after', 'x-should-retry', 'x-ratelimit-remaining-requests', 'x-ratelimit-reset-tokens', 'anthropic-ratelimit-requests-remaining', 'anthropic-ratelimit-tokens-reset', 'x-aigw-cache']) {
      expect(exposed).toContain(name);
    }
  });
});

describe('the cors config section', () => {
  const base = { providers: [{ id: 'p', type: 'openai', accounts: [{ id: 'a', apiKey: { env: 'K' } }] }], models: [{ name: 'm', targets: [{ provider: 'p', model: 'm' }] }] };

  it('is off when absent', () => {
    expect(parseConfig(base).cors).toBeUndefined();
  });

  it('fills in the defaults', () => {
    expect(parseConfig({ ...base, cors: { allowOrigins: '*' } }).cors).toEqual({ allowOrigins: '*', allowHeaders: [], maxAgeSeconds: 7200 });
  });

  it.each([
    [{ allowOrigins: ['https://chat.example.com/'] }, 'scheme://host[:port]'],
    [{ allowOrigins: ['chat.example.com'] }, 'scheme://host[:port]'],
    [{ allowOrigins: ['https://chat.example.com/app'] }, 'scheme://host[:port]'],
    [{ allowOrigins: [] }, 'at least one origin'],
    [{ allowOrigins: '*', allowHeaders: ['x bad'] }, 'header names'],
    [{ allowOrigins: '*', allowHeaders: ['x-*-y'] }, 'header names'],
    [{ allowOrigins: '*', maxAgeSeconds: 100_000 }, 'maxAgeSeconds'],
    [{ allowOrigins: '*', allowCredentials: true }, 'allowCredentials'],
    [{ allowOrigins: ['*'] }, 'cors.allowOrigins is "*" alone, not a list holding it'],
    [{ allowOrigins: ['https://a.example.com', '*'] }, 'cors.allowOrigins is "*" alone, not a list holding it'],
    [{ allowOrigins: 'https://chat.example.com' }, 'cors.allowOrigins is a list of origins (["https://chat.example.com"]), or "*"'],
    [{ allowOrigins: ['https://bücher.example'] }, 'punycode'],
  ])('refuses %j', (cors, message) => {
    expect(() => parseConfig({ ...base, cors })).toThrow(message);
  });
});
