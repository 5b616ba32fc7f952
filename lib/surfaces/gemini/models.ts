import type { CatalogModel } from '../../routing/catalog';

/** What every model of the gateway can do through this surface. */
const METHODS = Object.freeze(['generateContent', 'streamGenerateContent', 'countTokens']);

export interface GeminiModel {
  name: string;
  baseModelId: string;
  version: string;
  displayName: string;
  supportedGenerationMethods: readonly string[];
  outputTokenLimit?: number;
}

/**
 * A gateway model (or alias) in the shape of Gemini's `models.get` and of each entry of
 * `models.list` (`{models: [...]}`): named `models/{name}`, which @google/genai and Gemini CLI
 * send back as the model. The input limit is left out: the config does not know it.
 *
 * @example
 * geminiModel('gemini-2.5-flash', entry) // { name: 'models/gemini-2.5-flash', displayName: 'gemini-2.5-flash', supportedGenerationMethods: [...], … }
 */
export function geminiModel(name: string, entry: CatalogModel): GeminiModel {
  const limit = entry.config.maxOutputTokens;
  return { name: `models/${name}`, baseModelId: name, version: '001', displayName: name, supportedGenerationMethods: METHODS, ...(limit ? { outputTokenLimit: limit } : {}) };
}
