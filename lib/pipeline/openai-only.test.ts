import type { GatewayConfig, Price, ProviderConfig } from '../config/schema';
import type { Target } from '../routing/catalog';
import { charTokens } from '../surfaces/anthropic-messages';
import { worstCaseOfEmbeddings, worstCaseOfRerank } from './budget';
import { AUDIO_TRANSCRIPTIONS, IMAGES_GENERATIONS } from './media-operations';
import { COMPLETIONS, EMBEDDINGS, targetsFor } from './openai-only';
import type { AdmittedCall } from './model-call';
import { RERANK } from './rerank';

const target = (type: ProviderConfig['type'], price?: Price): Target => ({
  provider: { id: `p-${type}`, type } as ProviderConfig,
  accounts: [],
  model: 'm',
  ...(price ? { price } : {}),
});

const callOf = (input: unknown, targets: Target[]) =>
  ({ model: 'embed', body: { model: 'embed', input }, raw: new Uint8Array(), entry: { name: 'embed', targets, pooled: false, config: {} } }) as unknown as AdmittedCall;

describe('targetsFor', () => {
  it.each<{ name: string; types: ProviderConfig['type'][]; embeddings: string[]; completions: string[] }>([
    {
      name: 'keeps every OpenAI-dialect target, in order',
      types: ['azure-openai', 'openai', 'openai-compatible'],
      embeddings: ['p-azure-openai', 'p-openai', 'p-openai-compatible'],
      completions: ['p-azure-openai', 'p-openai', 'p-openai-compatible'],
    },
    { name: 'keeps the targets that translate embeddings (Gemini, Bedrock) beside those that pass them through', types: ['gemini', 'openai', 'bedrock'], embeddings: ['p-gemini', 'p-openai', 'p-bedrock'], completions: ['p-openai'] },
    { name: 'skips targets that cannot serve it when another can', types: ['anthropic', 'openai'], embeddings: ['p-openai'], completions: ['p-openai'] },
  ])('$name', ({ types, embeddings, completions }) => {
    expect(targetsFor(EMBEDDINGS, callOf('x', types.map((t) => target(t)))).map((t) => t.provider.id)).toEqual(embeddings);
    expect(targetsFor(COMPLETIONS, callOf('x', types.map((t) => target(t)))).map((t) => t.provider.id)).toEqual(completions);
  });

  it.each([
    { operation: EMBEDDINGS, types: ['anthropic'] as const, named: 'Embeddings are not supported by provider type anthropic', serving: 'only openai, openai-compatible, azure-openai, bedrock, gemini, vertex providers' },
    { operation: COMPLETIONS, types: ['gemini', 'bedrock'] as const, named: 'Text completions (/v1/completions) are not supported by provider type gemini, bedrock', serving: 'only openai, openai-compatible, azure-openai providers' },
    { operation: IMAGES_GENERATIONS, types: ['anthropic'] as const, named: 'Image generations are not supported by provider type anthropic', serving: 'only openai, openai-compatible, azure-openai providers' },
    { operation: RERANK, types: ['openai', 'azure-openai', 'anthropic', 'gemini'] as const, named: 'Rerank requests are not supported by provider type openai, azure-openai, anthropic, gemini', serving: 'only openai-compatible, bedrock providers' },
    { operation: AUDIO_TRANSCRIPTIONS, types: ['bedrock', 'gemini'] as const, named: 'Audio transcriptions are not supported by provider type bedrock, gemini', serving: 'only openai, openai-compatible, azure-openai providers' },
  ])('refuses with a 400 naming the operation, the provider types and those that serve it when no target serves it: $named', ({ operation, types, named, serving }) => {
    expect(() => targetsFor(operation, callOf('x', types.map((t) => target(t))))).toThrow(
      expect.objectContaining({ status: 400, code: 'unsupported_parameter', param: 'model', message: expect.stringMatching(new RegExp(`${escape(named)}.*${escape(serving)}`)) }),
    );
  });
});

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('targetsFor rerank', () => {
  it('keeps openai-compatible and bedrock targets, in order, and skips the OpenAI-dialect types without a rerank API', () => {
    const types: ProviderConfig['type'][] = ['openai', 'bedrock', 'azure-openai', 'openai-compatible', 'gemini'];

    expect(targetsFor(RERANK, callOf('x', types.map((t) => target(t)))).map((t) => t.provider.id)).toEqual(['p-bedrock', 'p-openai-compatible']);
  });
});

describe('worstCaseOfRerank', () => {
  const rerankCall = (documents: string[], targets: Target[]) =>
    ({ model: 'rerank', body: { model: 'rerank', query: 'abcd', documents }, raw: new Uint8Array(), entry: { name: 'rerank', targets, pooled: false, config: {} } }) as unknown as AdmittedCall;

  it.each<{ name: string; documents: number; prices: Price[]; expected: number }>([
    { name: 'holds one search unit for up to 100 documents', documents: 100, prices: [{ perRequest: 0.002 }], expected: 2_000 },
    { name: 'holds a search unit per 100 documents begun', documents: 101, prices: [{ perRequest: 0.002 }], expected: 4_000 },
    { name: 'takes the dearest price per search among the targets', documents: 1, prices: [{ perRequest: 0.001 }, { perRequest: 0.002 }], expected: 2_000 },
    // Each of 10 documents of 8 characters is read beside the 4-character query: 10 × (2 + 3) tokens.
    { name: 'holds the tokens read (the query beside each document) at the input price', documents: 10, prices: [{ input: 100, output: 0 }], expected: 10 * (charTokens(4) + charTokens(8)) * 100 },
  ])('$name', ({ documents, prices, expected }) => {
    const targets = prices.map((p) => target('openai-compatible', p));

    expect(worstCaseOfRerank(rerankCall(Array.from({ length: documents }, () => 'abcdefgh'), targets), targets)).toBe(expected);
  });
});

describe('worstCaseOfEmbeddings', () => {
  it.each<{ name: string; input: unknown; prices: Price[]; expected: number }>([
    { name: 'prices an estimated text at the input price', input: 'x'.repeat(34), prices: [{ input: 2, output: 50 }], expected: 10 * 2 },
    { name: 'prices token arrays by their count', input: [[1, 2, 3], [4]], prices: [{ input: 3, output: 0 }], expected: 4 * 3 },
    { name: 'takes the dearest input price among the targets', input: [1, 2], prices: [{ input: 1, output: 0 }, { input: 5, output: 0 }], expected: 2 * 5 },
    { name: 'ignores output and cache prices (an embedding has neither)', input: [1], prices: [{ input: 1, output: 100, cacheWrite: 9 }], expected: 1 },
    { name: 'rounds a fraction of a micro-dollar up', input: [1, 2, 3], prices: [{ input: 0.02, output: 0 }], expected: 1 },
  ])('$name', ({ input, prices, expected }) => {
    // Prepare
    const targets = prices.map((p) => target('openai', p));

    // Act, assess
    expect(worstCaseOfEmbeddings(callOf(input, targets), targets)).toBe(expected);
  });

  it('refuses a target without a price, as for chat', () => {
    const targets = [target('openai', { input: 1, output: 0 }), target('openai-compatible')];

    expect(() => worstCaseOfEmbeddings(callOf('x', targets), targets)).toThrow(expect.objectContaining({ status: 403, code: 'model_not_priced' }));
  });
});

describe('the worst case of a text completion', () => {
  const config = { limits: { defaultMaxOutputTokens: 4096 } } as GatewayConfig;
  const completion = (body: Record<string, unknown>, price: Price) => {
    const raw = Buffer.from(JSON.stringify(body));
    return { model: 'coder', body, raw, entry: { name: 'coder', targets: [target('openai-compatible', price)], pooled: false, config: {} } } as unknown as AdmittedCall;
  };

  it.each<{ name: string; body: Record<string, unknown>; outputTokens: number }>([
    { name: 'holds max_tokens of output', body: { model: 'coder', prompt: 'x', max_tokens: 64 }, outputTokens: 64 },
    { name: 'times n choices', body: { model: 'coder', prompt: 'x', max_tokens: 64, n: 2 }, outputTokens: 128 },
    { name: 'times best_of, which the upstream generates (and charges) in full', body: { model: 'coder', prompt: 'x', max_tokens: 64, n: 1, best_of: 3 }, outputTokens: 192 },
    { name: 'the config default without max_tokens (servers differ on theirs)', body: { model: 'coder', prompt: 'x' }, outputTokens: 4096 },
  ])('$name, and the prompt estimated from the body', ({ body, outputTokens }) => {
    // Prepare
    const call = completion(body, { input: 1, output: 1 });
    const promptTokens = charTokens(call.raw.length);

    // Act, assess
    expect(COMPLETIONS.worstCase(call, call.entry.targets, config)).toBe(promptTokens + outputTokens);
  });
});
