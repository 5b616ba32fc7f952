import type { FieldTable } from '../error-fields';

/**
 * Chat Completions' names of fields and the Responses API's for the same field, most specific
 * first. Translators name what they refuse in the canonical request's vocabulary, which is Chat
 * Completions' (`response_format.json_schema.schema`, `tools[0].function.parameters`,
 * `max_tokens`); a Responses client sent `text.format.schema`, `tools[0].parameters` and
 * `max_output_tokens`, and its `param` must point into its own body.
 */
export const RESPONSES_FIELDS: FieldTable = [
  [/^response_format\.json_schema(?=\.|$)/, 'text.format'],
  [/^response_format(?=\.|$)/, 'text.format'],
  // Responses function tools are flat: no `function` object around the name and parameters.
  [/^(tools\[\d+\])\.function(?=\.|$)/, '$1'],
  [/^max_tokens$/, 'max_output_tokens'],
  // The canonical messages are not the input items one to one (instructions join the system
  // prompt, calls join the assistant turn, results a user turn): an index would point at another
  // item, so the field named is the input itself.
  [/^messages(?:\[\d+\].*)?$/, 'input'],
];
