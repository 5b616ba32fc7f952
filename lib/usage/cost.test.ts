import { costOf, usd, worstCaseCost } from './cost';

const tokens = (t: Partial<{ input: number; output: number; cacheRead: number; cacheWrite: number }>) => ({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0, ...t });

describe('costOf', () => {
  it.each([
    ['nothing', tokens({}), { input: 3, output: 15 }, 0],
    ['prompt and output', tokens({ input: 1_000, output: 100 }), { input: 3, output: 15 }, 4_500],
    ['a million output tokens at $15/M', tokens({ output: 1_000_000 }), { input: 3, output: 15 }, 15_000_000],
    ['cache reads at their own price, out of the input', tokens({ input: 10_000, cacheRead: 8_000, output: 10 }), { input: 3, output: 15, cacheRead: 0.3 }, 2_000 * 3 + 8_000 * 0.3 + 150],
    ['cache writes at their own price', tokens({ input: 1_000, cacheWrite: 1_000 }), { input: 3, output: 15, cacheWrite: 3.75 }, 3_750],
    ['cache at the input price when the config names none', tokens({ input: 1_000, cacheRead: 500, cacheWrite: 500 }), { input: 2, output: 8 }, 2_000],
    ['fractions rounded up to a micro-dollar', tokens({ input: 1 }), { input: 0.15, output: 0.6 }, 1],
    ['float dust not rounded up', tokens({ input: 1_000, cacheRead: 1_000 }), { input: 0.15, output: 0.6, cacheRead: 0.075 }, 75],
    ['free models', tokens({ input: 5_000, output: 5_000 }), { input: 0, output: 0 }, 0],
    ['a price per call alone, whatever the tokens', tokens({ input: 5_000, output: 5_000 }), { perRequest: 0.04 }, 40_000],
    ['a price per call beside token prices', tokens({ input: 1_000, output: 100 }), { input: 5, output: 40, perRequest: 0.01 }, 10_000 + 5_000 + 4_000],
  ])('%s', (_name, used, price, expected) => {
    expect(costOf(used, price)).toBe(expected);
  });

  it.each([
    ['a price per search unit, three units', tokens({}), { perRequest: 0.002 }, 3, 6_000],
    ['units beside token prices: the tokens once', tokens({ input: 1_000 }), { input: 0.05, output: 0, perRequest: 0.001 }, 2, 2_000 + 50],
    ['units without a price per call: the tokens alone', tokens({ input: 1_000 }), { input: 2, output: 0 }, 5, 2_000],
  ])('%s', (_name, used, price, units, expected) => {
    expect(costOf(used, price, units)).toBe(expected);
  });
});

describe('worstCaseCost', () => {
  it.each([
    ['the whole prompt and output allowance at one price', 1_000, 4_096, [{ input: 3, output: 15 }], 3_000 + 61_440],
    ['the dearest target a failover could reach', 1_000, 100, [{ input: 0.15, output: 0.6 }, { input: 3, output: 15 }], 3_000 + 1_500],
    ['a prompt that could all be written to the cache', 1_000, 0, [{ input: 3, output: 15, cacheWrite: 3.75 }], 3_750],
    ['no prices: nothing', 1_000, 100, [], 0],
    ['the price per call with the tokens', 1_000, 100, [{ input: 3, output: 15, perRequest: 0.04 }], 40_000 + 3_000 + 1_500],
    ['a price per call alone', 1_000, 100, [{ perRequest: 0.04 }, { perRequest: 0.02 }], 40_000],
  ])('%s', (_name, prompt, output, prices, expected) => {
    expect(worstCaseCost(prompt, output, prices)).toBe(expected);
  });

  it('holds the price per call once per unit (a rerank of 1 000 documents: ten search units)', () => {
    expect(worstCaseCost(500, 0, [{ perRequest: 0.002 }, { input: 0.1, output: 0, perRequest: 0.001 }], 10)).toBe(20_000);
  });
});

describe('usd', () => {
  it.each([
    [0, '$0.00'],
    [5_000_000, '$5.00'],
    [1_250_000, '$1.25'],
    [4_200, '$0.0042'],
    [1, '$0.000001'],
    [1_234_567, '$1.234567'],
  ])('%d micro-dollars: %s', (micros, text) => {
    expect(usd(micros)).toBe(text);
  });
});
