import { unpriced } from '../access/spend-limits';
import type { ChatRequest } from '../canonical/types';
import type { GatewayConfig, Price } from '../config/schema';
import { charTokens, countTokensEstimate } from '../surfaces/anthropic-messages';
import { worstCaseCost, type Micros } from '../usage/cost';
import { thinkingBudget } from '../providers/anthropic/request';
import type { Target } from '../routing/catalog';
import { embeddingsInputTokens, type EmbeddingsInput } from '../surfaces/openai-embeddings';
import { rerankInputTokens, searchUnits, type RerankRequest } from '../surfaces/rerank';
import type { AdmittedCall } from './model-call';

/**
 * The most a call may cost, which a key with a budget must have room for before it goes upstream:
 * its prompt (estimated as count_tokens estimates it) and its whole output allowance (the
 * request's max tokens (`max_output_tokens` on the Responses API, `generationConfig.maxOutputTokens`
 * on Gemini's), times its choices (`n`, `best_of`, `candidateCount`); else the model's
 * maxOutputTokens; else the config's default), at the dearest price among the targets it may fail
 * over to.
 */
export function worstCaseOfCall(call: AdmittedCall, canonical: ChatRequest | undefined, config: GatewayConfig, units = 1): Micros {
  const prices = pricesOf(call.entry.targets, call.model);
  const prompt = canonical ? countTokensEstimate(canonical) : charTokens(call.raw.length);
  // Gemini's body keeps them in generationConfig (read here too, for bodies only Gemini can take),
  // in either spelling Gemini takes (`generation_config.max_output_tokens` too): the largest counts.
  const gemini = geminiConfigs(call.body);
  const geminiMax = largest(gemini.flatMap((c) => [c.maxOutputTokens, c.max_output_tokens]));
  const asked = canonical?.maxTokens ?? positive(call.body.max_completion_tokens) ?? positive(call.body.max_tokens) ?? positive(call.body.max_output_tokens) ?? geminiMax;
  // Text completions' best_of: that many are generated (and charged), n of them returned.
  const candidates = largest(gemini.flatMap((c) => [c.candidateCount, c.candidate_count]));
  const choices = Math.max(positive(call.body.n) ?? 1, positive(call.body.best_of) ?? 1, candidates ?? 1) * batchPrompts(call.body.prompt);
  // A call that names no limit but asks for thinking goes to Claude with the budget on top of the
  // default (thinking counts inside max_tokens): the hold covers it, whichever target answers.
  const thinking = asked === undefined ? (thinkingBudget(canonical?.reasoning) ?? 0) : 0;
  const output = ((asked ?? call.entry.config.maxOutputTokens ?? config.limits.defaultMaxOutputTokens) + thinking) * choices;
  return worstCaseCost(prompt, output, prices, units);
}

/**
 * The most an embeddings call may cost: its input (counted from token arrays, estimated from
 * text) at the dearest input price among the targets that may serve it; it has no output.
 * Cache prices do not apply: an embeddings answer reports no cached tokens, so it is settled at
 * the input price.
 */
export function worstCaseOfEmbeddings(call: AdmittedCall, targets: readonly Target[]): Micros {
  const prices = pricesOf(targets, call.model).map((price) => ({ ...price, cacheRead: undefined, cacheWrite: undefined }));
  return worstCaseCost(embeddingsInputTokens(call.body.input as EmbeddingsInput), 0, prices);
}

/**
 * The most a rerank call may cost: its search units (one per 100 documents) at the dearest price
 * per call, and the tokens a reranker reads (the query beside each whole document, estimated) at
 * the dearest input price, among the targets that may serve it; it has no output.
 * `max_tokens_per_doc` does not shrink it: only Cohere cuts documents there, and the servers it
 * passes through to unread (Jina, vLLM, Infinity) read and charge every token.
 */
export function worstCaseOfRerank(call: AdmittedCall, targets: readonly Target[]): Micros {
  const prices = pricesOf(targets, call.model).map((price) => ({ ...price, cacheRead: undefined, cacheWrite: undefined }));
  const { query, documents } = call.body as RerankRequest;
  return worstCaseCost(rerankInputTokens({ query, documents }), 0, prices, searchUnits(documents.length));
}

/** The prices of every target a call may fail over to; a target without one refuses the call (a budget cannot hold an unknown cost). */
function pricesOf(targets: readonly Target[], model: string): Price[] {
  const prices: Price[] = [];
  for (const target of targets) {
    if (!target.price) throw unpriced(model);
    prices.push(target.price);
  }
  return prices;
}

/** A Gemini body's generation configs, as `generationConfig` and as `generation_config`. */
const geminiConfigs = (body: Record<string, unknown>): Record<string, unknown>[] =>
  [body.generationConfig, body.generation_config].filter((c): c is Record<string, unknown> => typeof c === 'object' && c !== null && !Array.isArray(c));

function largest(values: unknown[]): number | undefined {
  const counts = values.map(positive).filter((value): value is number => value !== undefined);
  return counts.length > 0 ? Math.max(...counts) : undefined;
}

const positive = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined);

/** Text completions' batch: a prompt of several texts (or token arrays) gets its own choices for each. */
const batchPrompts = (prompt: unknown): number => (Array.isArray(prompt) && prompt.length > 0 && typeof prompt[0] !== 'number' ? prompt.length : 1);
