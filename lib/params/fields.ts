import { EFFORT_BUDGETS } from '../providers/gemini/request';
import type { ParamPolicyConfig } from '../config/schema';

/** A parameter the policy knows, in the gateway's own spelling. */
export type ParamName = keyof NonNullable<ParamPolicyConfig['defaults']>;
/** A parameter's value as the config gives it. */
export type ParamValue = number | string;

/** Where a parameter sits in a body (a path of keys, created as needed), and how the config's value is written there. */
export interface ParamSpot {
  path: readonly string[];
  /** The config's value as this spot takes it; the value itself when absent. */
  encode?: (value: ParamValue) => unknown;
  /** A spelling kept where the client used it, never one a default or a cap fills (Gemini's thinkingLevel). */
  sentOnly?: true;
}

/**
 * Every spelling of a Gemini field path: its JSON takes each field's proto name as well
 * (`generation_config.max_output_tokens`), in any mix, so a value sent in any of them is one the
 * policy must see. One spelling throughout comes first (camelCase, then snake_case), so a value
 * filled in follows the client's own spelling of the objects it joins.
 */
function geminiSpellings(...levels: readonly (readonly [camel: string, snake: string])[]): string[][] {
  const mixes = levels.reduce<number[][]>((acc) => acc.flatMap((mix) => [[...mix, 0], [...mix, 1]]), [[]]);
  const uniform = (mix: number[]) => mix.every((i) => i === mix[0]);
  const ordered = [...mixes.filter(uniform), ...mixes.filter((mix) => !uniform(mix))];
  // A field spelt alike both ways (temperature) gives the same path twice: kept once.
  const paths = ordered.map((mix) => mix.map((i, level) => levels[level]![i]!));
  return paths.filter((path, i) => paths.findIndex((other) => other.join('.') === path.join('.')) === i);
}

const GENERATION_CONFIG = ['generationConfig', 'generation_config'] as const;
const THINKING_CONFIG = ['thinkingConfig', 'thinking_config'] as const;
const geminiSpots = (levels: readonly (readonly [string, string])[], extra: Omit<ParamSpot, 'path'> = {}): ParamSpot[] =>
  geminiSpellings(...levels).map((path) => ({ path, ...extra }));

/**
 * The APIs whose bodies carry request parameters, by the surface name of their usage records.
 * Embeddings, rerank, images, audio and moderations have none the policy sets.
 */
export type ParamSurface = 'openai' | 'openai-responses' | 'anthropic' | 'gemini' | 'openai-completions';

/**
 * Every surface's spelling of every parameter, one table. A value the client did not send goes in
 * the spot whose objects the body already has most of, the first of those (so the first spot on
 * a body without them); a value the client sent in any of its spots
 * counts as sent, and a forced value or a cap replaces it where it was sent. A parameter a
 * surface has no spot for is not applied on it.
 */
export const PARAM_FIELDS: Readonly<Record<ParamSurface, Readonly<Partial<Record<ParamName, readonly ParamSpot[]>>>>> = {
  openai: {
    temperature: [{ path: ['temperature'] }],
    topP: [{ path: ['top_p'] }],
    // o-series models refuse max_tokens and every current model takes max_completion_tokens, so a
    // filled value goes there; a client's legacy max_tokens is capped or forced where it is.
    maxOutputTokens: [{ path: ['max_completion_tokens'] }, { path: ['max_tokens'] }],
    reasoningEffort: [{ path: ['reasoning_effort'] }],
  },
  'openai-responses': {
    temperature: [{ path: ['temperature'] }],
    topP: [{ path: ['top_p'] }],
    maxOutputTokens: [{ path: ['max_output_tokens'] }],
    reasoningEffort: [{ path: ['reasoning', 'effort'] }],
  },
  // No reasoningEffort: Claude's thinking is a token budget or adaptive, and its effort field
  // (output_config.effort) is refused by older models; a thinking client keeps its own.
  anthropic: {
    temperature: [{ path: ['temperature'] }],
    topP: [{ path: ['top_p'] }],
    maxOutputTokens: [{ path: ['max_tokens'] }],
  },
  // Each in every spelling Gemini takes (geminiSpellings): a client's snake_case limit is capped too.
  gemini: {
    temperature: geminiSpots([GENERATION_CONFIG, ['temperature', 'temperature']]),
    topP: geminiSpots([GENERATION_CONFIG, ['topP', 'top_p']]),
    maxOutputTokens: geminiSpots([GENERATION_CONFIG, ['maxOutputTokens', 'max_output_tokens']]),
    // A budget, as the translator's: Gemini 2.5 refuses thinkingLevel and Gemini 3 still takes a
    // budget. A client's own thinkingLevel is forced as a level.
    reasoningEffort: [
      ...geminiSpots([GENERATION_CONFIG, THINKING_CONFIG, ['thinkingBudget', 'thinking_budget']], { encode: (effort) => EFFORT_BUDGETS[effort as keyof typeof EFFORT_BUDGETS] }),
      ...geminiSpots([GENERATION_CONFIG, THINKING_CONFIG, ['thinkingLevel', 'thinking_level']], { encode: (effort) => String(effort).toUpperCase(), sentOnly: true }),
    ],
  },
  'openai-completions': {
    temperature: [{ path: ['temperature'] }],
    topP: [{ path: ['top_p'] }],
    maxOutputTokens: [{ path: ['max_tokens'] }],
  },
};

/** Whether a surface's bodies carry parameters the policy sets. */
export const isParamSurface = (surface: string): surface is ParamSurface => Object.hasOwn(PARAM_FIELDS, surface);
