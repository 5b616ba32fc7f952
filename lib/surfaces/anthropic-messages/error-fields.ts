import type { FieldTable } from '../error-fields';

/**
 * Chat Completions' names of fields and the Messages API's for the same field, most specific
 * first. The decoder keeps messages and content blocks one to one (translation refuses a block
 * rather than dropping it), and tools too, so indexes carry over as they are.
 */
export const ANTHROPIC_FIELDS: FieldTable = [
  [/^(tools\[\d+\])\.function\.parameters(?=\.|$)/, '$1.input_schema'],
  // Messages API tools are flat: name, description and input_schema with no `function` around them.
  [/^(tools\[\d+\])\.function(?=\.|$)/, '$1'],
  [/^stop$/, 'stop_sequences'],
  [/^response_format\.json_schema(?=\.|$)/, 'output_config.format'],
  [/^response_format(?=\.|$)/, 'output_config.format'],
  [/^(messages\[\d+\]\.content\[\d+\])\.arguments(?=\.|$)/, '$1.input'],
  [/^(messages\[\d+\]\.content\[\d+\])\.tool_call_id$/, '$1.tool_use_id'],
  // An image or file part's URL or data: a Messages block holds either in its `source`.
  [/^(messages\[\d+\]\.content\[\d+\])\.(?:image_url|file|input_audio)(?:\..*)?$/, '$1.source'],
];
