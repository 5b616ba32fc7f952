import type { Price } from '../config/schema';
import type { TokenUsage } from './tokens';

/**
 * Money is counted in whole micro-dollars (1e-6 USD), so that sums in DynamoDB and in JS are
 * exact. A price in USD per million tokens is, conveniently, micro-dollars per token.
 */
export type Micros = number;

/**
 * What a call cost: prompt tokens at the input price, the cached part of them at the cache
 * prices (the input price when the config names none), output at the output price; rounded up to
 * the next micro-dollar, plus the price per call where there is one, `units` times (a rerank call
 * is billed per search unit: a query of up to 100 documents). `input` counts cache reads and writes
 * (lib/usage/tokens.ts), so they are taken out of it before the input price applies.
 */
export function costOf(tokens: TokenUsage, price: Price, units = 1): Micros {
  const plain = Math.max(0, tokens.input - tokens.cacheRead - tokens.cacheWrite);
  const input = price.input ?? 0;
  const perCall = price.perRequest === undefined ? 0 : price.perRequest * 1e6 * units;
  const micros = perCall + plain * input + tokens.cacheRead * (price.cacheRead ?? input) + tokens.cacheWrite * (price.cacheWrite ?? input) + tokens.output * (price.output ?? 0);
  // Prices like 0.075 make float dust (…0000001): round it off before rounding up.
  return Math.ceil(Math.round(micros * 1e6) / 1e6);
}

/**
 * The most a call can cost on any of the prices it may be served at (failover may move it to a
 * dearer target): all of its prompt at the dearest of input and cache-write prices, and its
 * whole output allowance, and its price per call `units` times.
 */
export function worstCaseCost(promptTokens: number, maxOutputTokens: number, prices: readonly Price[], units = 1): Micros {
  let most = 0;
  for (const price of prices) {
    const input = Math.max(price.input ?? 0, price.cacheWrite ?? 0, price.cacheRead ?? 0);
    most = Math.max(most, costOf({ input: promptTokens, output: maxOutputTokens, cacheRead: 0, cacheWrite: 0, reasoning: 0 }, { ...price, input, cacheRead: input, cacheWrite: input }, units));
  }
  return most;
}

/** `$1.25`, `$0.0042`: cents when whole, else as many places as it takes (up to micro-dollars). */
export function usd(micros: Micros): string {
  const dollars = micros / 1e6;
  return `$${micros % 10_000 === 0 ? dollars.toFixed(2) : dollars.toFixed(6).replace(/0+$/, '')}`;
}
