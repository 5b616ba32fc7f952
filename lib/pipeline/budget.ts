import { unpriced } from '../access/spend-limits';
import type { ChatRequest } from '../canonical/types';
import type { GatewayConfig, Price } from '../config/schema';
import { TOKEN_ESTIMATE, countTokensEstimate } from '../surfaces/anthropic-messages';
import { worstCaseCost, type Micros } from '../usage/cost';
import type { AdmittedCall } from './model-call';

/**
 * The most a call may cost, which a key with a budget must have room for before it goes upstream:
 * its prompt (estimated as count_tokens estimates it) and its whole output allowance (the
 * request's max tokens, times `n` choices; else the model's maxOutputTokens; else the config's
 * default), at the dearest price among the targets it may fail over to.
 */
export function worstCaseOfCall(call: AdmittedCall, canonical: ChatRequest | undefined, config: GatewayConfig): Micros {
  const prices: Price[] = [];
  for (const target of call.entry.targets) {
    if (!target.price) throw unpriced(call.model);
    prices.push(target.price);
  }
  const prompt = canonical ? countTokensEstimate(canonical) : Math.ceil(call.raw.length / TOKEN_ESTIMATE.charsPerToken);
  const asked = canonical?.maxTokens ?? positive(call.body.max_completion_tokens) ?? positive(call.body.max_tokens);
  const choices = positive(call.body.n) ?? 1;
  const output = (asked ?? call.entry.config.maxOutputTokens ?? config.limits.defaultMaxOutputTokens) * choices;
  return worstCaseCost(prompt, output, prices);
}

const positive = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined);
