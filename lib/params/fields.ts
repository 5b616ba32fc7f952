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
}

/**
 * The APIs whose bodies carry request parameters, by the surface name of their usage records.
 * Embeddings, rerank, images, audio and moderations have none the policy sets.
 */
export type ParamSurface = 'openai' | 'openai-responses' | 'anthropic' | 'gemini' | 'openai-completions';

/**
 * Every surface's spelling of every parameter, one table. A parameter's first spot is the one a
 * default (or a cap on a body without one) fills; a value the client sent in any of its spots
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
  gemini: {
    temperature: [{ path: ['generationConfig', 'temperature'] }],
    topP: [{ path: ['generationConfig', 'topP'] }],
    maxOutputTokens: [{ path: ['generationConfig', 'maxOutputTokens'] }],
    // A budget, as the translator's: Gemini 2.5 refuses thinkingLevel and Gemini 3 still takes a
    // budget. A client's own thinkingLevel is forced as a level.
    reasoningEffort: [
      { path: ['generationConfig', 'thinkingConfig', 'thinkingBudget'], encode: (effort) => EFFORT_BUDGETS[effort as keyof typeof EFFORT_BUDGETS] },
      { path: ['generationConfig', 'thinkingConfig', 'thinkingLevel'], encode: (effort) => String(effort).toUpperCase() },
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
