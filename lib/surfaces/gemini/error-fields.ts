import type { FieldTable } from '../error-fields';

/**
 * Chat Completions' names of fields and the Gemini API's for the same field, most specific first.
 * Where the canonical index is not the client's, the field named is the one that holds it.
 */
export const GEMINI_FIELDS: FieldTable = [
  // The canonical tools are every Tool's functionDeclarations flattened: tools[3] may be the
  // second declaration of the second Tool, so the field named is the tools. (Only a canonical
  // function's path: the decoder's own refusals name the client's tools[i] rightly.)
  [/^tools\[\d+\]\.function(?:\..*)?$/, 'tools'],
  // Contents are not the canonical messages one to one (function turns, calls and responses
  // regrouped): an index would point at another content.
  [/^messages(?:\[\d+\].*)?$/, 'contents'],
  [/^max_tokens$/, 'generationConfig.maxOutputTokens'],
  [/^stop$/, 'generationConfig.stopSequences'],
  [/^temperature$/, 'generationConfig.temperature'],
  [/^top_p$/, 'generationConfig.topP'],
  [/^top_k$/, 'generationConfig.topK'],
  [/^seed$/, 'generationConfig.seed'],
  // The schema came as responseSchema or responseJsonSchema, which the canonical form no longer tells apart.
  [/^response_format(?:\..*)?$/, 'generationConfig'],
  [/^(?:reasoning_effort|thinking)$/, 'generationConfig.thinkingConfig'],
  [/^tool_choice$/, 'toolConfig.functionCallingConfig'],
];
