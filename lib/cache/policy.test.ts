import { cacheDirective, planCache, uncacheableBecause, type CacheableCall } from './policy';

describe('cacheDirective', () => {
  it.each([
    [undefined, 'normal'],
    ['max-age=0', 'normal'],
    ['no-cache', 'no-cache'],
    ['No-Cache', 'no-cache'],
    ['no-cache, no-store', 'no-store'],
    ['max-age=0,no-store', 'no-store'],
  ] as const)('reads %j as %s', (header, directive) => {
    expect(cacheDirective(header)).toBe(directive);
  });
});

describe('uncacheableBecause', () => {
  it.each([
    ['openai-responses', { input: 'hi', previous_response_id: 'resp_1' }, 'previous_response_id'],
    ['openai-responses', { input: 'hi', conversation: 'conv_1' }, 'conversation'],
    ['openai-responses', { input: 'hi', background: true }, 'background'],
    ['openai-responses', { input: 'hi', store: true }, undefined],
    ['openai', { messages: [], previous_response_id: 'x' }, undefined],
  ])('on %s with %j: %s', (surface, body, reason) => {
    expect(uncacheableBecause(surface, body)).toBe(reason);
  });
});

describe('planCache', () => {
  const call: CacheableCall = { surface: 'openai', model: 'm', upstream: ['up:m'], keyId: 'key_1', stream: false, body: { model: 'm', messages: [] }, headers: {} };
  const config = { ttlSeconds: 60, share: 'key' as const };

  it('reads and writes a plain call', () => {
    expect(planCache(config, call)).toEqual({ hash: expect.stringMatching(/^[0-9a-f]{64}$/), read: true, write: true, ttlSeconds: 60 });
  });

  it("keeps the answers of a caller whose answers are not screened apart from everyone else's, whatever the sharing", () => {
    const all = { ttlSeconds: 60, share: 'all' as const };
    expect(planCache(all, { ...call, keyId: 'key_2', answerScreen: 'none' })!.hash).not.toBe(planCache(all, call)!.hash);
    expect(planCache(all, { ...call, keyId: 'key_2', answerScreen: 'none' })!.hash).toBe(planCache(all, { ...call, answerScreen: 'none' })!.hash);
    expect(planCache(all, { ...call, answerScreen: undefined })!.hash).toBe(planCache(all, call)!.hash);
  });

  it('skips the read on no-cache, and has no part on no-store or a surface it does not cache', () => {
    expect(planCache(config, { ...call, headers: { 'cache-control': 'no-cache' } })).toMatchObject({ read: false, write: true });
    expect(planCache(config, { ...call, headers: { 'cache-control': 'no-store' } })).toBeUndefined();
    expect(planCache(config, { ...call, surface: 'openai-images' })).toBeUndefined();
  });
});
