/** What a Gemini API path asks for. */
export interface GeminiPath {
  /** The model as the client named it, URL-decoded (may hold `/`). */
  model: string;
  /** `generateContent`, `streamGenerateContent`, `countTokens`, … (what follows the last `:`); undefined for `GET …/models/{model}`. */
  action: string | undefined;
}

const PREFIXES = ['/v1beta/models/', '/v1/models/'] as const;

/** The methods Gemini's models collection has; anything else after a `:` is part of a model name (`claude-v2:1`). */
const ACTIONS = new Set(['generateContent', 'streamGenerateContent', 'countTokens', 'embedContent', 'batchEmbedContents', 'batchGenerateContent', 'predict', 'predictLongRunning']);

/**
 * Reads `/v1beta/models/{model}:{action}` (also under `/v1/`) and `/v1beta/models/{model}`, as
 * @google/genai builds them (`{baseUrl}/{apiVersion}/models/{model}:{action}`). The action is
 * a known method after the last `:`, so model names with `:` or `/` in them survive. `/v1/models/{model}`
 * without an action is not read as Gemini's: that path is OpenAI's and Anthropic's models.retrieve.
 *
 * @example
 * geminiPath('/v1beta/models/gemini-2.5-flash:streamGenerateContent') // { model: 'gemini-2.5-flash', action: 'streamGenerateContent' }
 */
export function geminiPath(path: string): GeminiPath | undefined {
  const prefix = PREFIXES.find((p) => path.startsWith(p));
  if (!prefix || path.length === prefix.length) return undefined;
  const rest = path.slice(prefix.length);
  const colon = rest.lastIndexOf(':');
  const action = colon >= 0 && ACTIONS.has(rest.slice(colon + 1)) ? rest.slice(colon + 1) : undefined;
  if (action === undefined && prefix === '/v1/models/') return undefined;
  const encoded = action === undefined ? rest : rest.slice(0, colon);
  try {
    const model = decodeURIComponent(encoded);
    return model === '' ? undefined : { model, action };
  } catch {
    return undefined;
  }
}
