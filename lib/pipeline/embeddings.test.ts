import type { Price, ProviderConfig } from '../config/schema';
import type { Target } from '../routing/catalog';
import { worstCaseOfEmbeddings } from './budget';
import { embeddingTargets } from './embeddings';
import type { AdmittedCall } from './model-call';

const target = (type: ProviderConfig['type'], price?: Price): Target => ({
  provider: { id: `p-${type}`, type } as ProviderConfig,
  accounts: [],
  model: 'm',
  ...(price ? { price } : {}),
});

const callOf = (input: unknown, targets: Target[]) =>
  ({ model: 'embed', body: { model: 'embed', input }, raw: new Uint8Array(), entry: { name: 'embed', targets, pooled: false, config: {} } }) as unknown as AdmittedCall;

describe('embeddingTargets', () => {
  it.each<{ name: string; types: ProviderConfig['type'][]; kept: string[] }>([
    { name: 'keeps every OpenAI-dialect target, in order', types: ['azure-openai', 'openai', 'openai-compatible'], kept: ['p-azure-openai', 'p-openai', 'p-openai-compatible'] },
    { name: 'skips targets that cannot embed when another can', types: ['gemini', 'openai', 'bedrock'], kept: ['p-openai'] },
  ])('$name', ({ types, kept }) => {
    expect(embeddingTargets(callOf('x', types.map((t) => target(t)))).map((t) => t.provider.id)).toEqual(kept);
  });

  it('refuses with a 400 naming the provider types when no target can embed', () => {
    expect(() => embeddingTargets(callOf('x', [target('gemini'), target('bedrock')]))).toThrow(
      expect.objectContaining({ status: 400, code: 'unsupported_parameter', param: 'model', message: expect.stringContaining('provider type gemini, bedrock') }),
    );
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
