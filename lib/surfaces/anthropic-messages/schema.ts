import { z } from 'zod';

/**
 * What the gateway checks of a Messages API request: the fields it translates, with the types
 * Anthropic documents. Objects are loose: fields the gateway does not know pass validation (and
 * pass through untouched to an Anthropic upstream).
 */
export const CacheControl = z.looseObject({ type: z.literal('ephemeral'), ttl: z.string().optional() });
const Cache = { cache_control: CacheControl.nullish() };

export const TextBlock = z.looseObject({ type: z.literal('text'), text: z.string(), ...Cache });

export const ImageBlock = z.looseObject({
  type: z.literal('image'),
  source: z.discriminatedUnion('type', [
    z.looseObject({ type: z.literal('base64'), media_type: z.string().min(1), data: z.string().min(1) }),
    z.looseObject({ type: z.literal('url'), url: z.string().min(1) }),
    z.looseObject({ type: z.literal('file'), file_id: z.string().min(1) }),
  ]),
  ...Cache,
});

export const DocumentBlock = z.looseObject({
  type: z.literal('document'),
  source: z.discriminatedUnion('type', [
    z.looseObject({ type: z.literal('base64'), media_type: z.string().min(1), data: z.string().min(1) }),
    z.looseObject({ type: z.literal('text'), media_type: z.string().optional(), data: z.string() }),
    z.looseObject({ type: z.literal('url'), url: z.string().min(1) }),
    z.looseObject({ type: z.literal('content'), content: z.union([z.string(), z.array(z.looseObject({ type: z.string() }))]) }),
    z.looseObject({ type: z.literal('file'), file_id: z.string().min(1) }),
  ]),
  title: z.string().nullish(),
  context: z.string().nullish(),
  ...Cache,
});

export const ToolUseBlock = z.looseObject({
  type: z.literal('tool_use'),
  id: z.string().min(1),
  name: z.string().min(1),
  input: z.record(z.string(), z.unknown()),
  ...Cache,
});

export const ThinkingBlock = z.looseObject({ type: z.literal('thinking'), thinking: z.string(), signature: z.string() });
export const RedactedThinkingBlock = z.looseObject({ type: z.literal('redacted_thinking'), data: z.string().min(1) });

/**
 * A block checked by the schema its `type` names. Unknown types (server tool blocks, blocks newer
 * than this code) are accepted here; the translator decides what it can carry. Built this way
 * rather than as a discriminated union so the error names the field inside the block
 * (`messages[2].content[0].tool_use_id`), not just the block.
 */
function typedBlock(schemas: Record<string, z.ZodType>) {
  return z.looseObject({ type: z.string().min(1) }).superRefine((block, ctx) => {
    const schema = schemas[block.type];
    if (!schema) return;
    const result = schema.safeParse(block);
    if (result.success) return;
    for (const issue of result.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  });
}

export const ToolResultContentBlock = typedBlock({ text: TextBlock, image: ImageBlock, document: DocumentBlock });

export const ToolResultBlock = z.looseObject({
  type: z.literal('tool_result'),
  tool_use_id: z.string().min(1),
  content: z.union([z.string(), z.array(ToolResultContentBlock)]).optional(),
  is_error: z.boolean().optional(),
  ...Cache,
});

export const ContentBlock = typedBlock({
  text: TextBlock,
  image: ImageBlock,
  document: DocumentBlock,
  tool_use: ToolUseBlock,
  tool_result: ToolResultBlock,
  thinking: ThinkingBlock,
  redacted_thinking: RedactedThinkingBlock,
});

const Message = z.looseObject({
  role: z.enum(['user', 'assistant']),
  content: z.union([z.string(), z.array(ContentBlock)]),
});

/** A client tool (`input_schema`) or a server tool (a versioned `type` such as `web_search_20250305`). */
const Tool = z.looseObject({
  type: z.string().nullish(),
  name: z.string().min(1),
  description: z.string().optional(),
  input_schema: z.record(z.string(), z.unknown()).optional(),
  strict: z.boolean().optional(),
  ...Cache,
});

const ToolChoice = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('auto'), disable_parallel_tool_use: z.boolean().optional() }),
  z.looseObject({ type: z.literal('any'), disable_parallel_tool_use: z.boolean().optional() }),
  z.looseObject({ type: z.literal('none') }),
  z.looseObject({ type: z.literal('tool'), name: z.string().min(1), disable_parallel_tool_use: z.boolean().optional() }),
]);

const Thinking = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('enabled'), budget_tokens: z.number().int().min(1) }),
  z.looseObject({ type: z.literal('disabled') }),
  z.looseObject({ type: z.literal('adaptive') }),
]);

export const MessagesRequestSchema = z.looseObject({
  model: z.string().min(1),
  max_tokens: z.number().int().min(1),
  messages: z.array(Message),
  system: z.union([z.string(), z.array(TextBlock)]).optional(),
  stream: z.boolean().nullish(),
  temperature: z.number().min(0).max(1).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  top_k: z.number().int().min(0).nullish(),
  stop_sequences: z.array(z.string()).nullish(),
  tools: z.array(Tool).nullish(),
  tool_choice: ToolChoice.nullish(),
  thinking: Thinking.nullish(),
  metadata: z.looseObject({ user_id: z.string().nullish() }).nullish(),
  output_config: z
    .looseObject({
      effort: z.string().nullish(),
      format: z.looseObject({ type: z.literal('json_schema'), schema: z.record(z.string(), z.unknown()) }).nullish(),
    })
    .nullish(),
});

/** count_tokens takes the same body without `max_tokens`. */
export const CountTokensRequestSchema = MessagesRequestSchema.extend({ max_tokens: z.number().int().min(1).optional() });

export type MessagesRequest = z.infer<typeof MessagesRequestSchema>;
export type TextBlockT = z.infer<typeof TextBlock>;
export type ImageBlockT = z.infer<typeof ImageBlock>;
export type DocumentBlockT = z.infer<typeof DocumentBlock>;
export type ToolUseBlockT = z.infer<typeof ToolUseBlock>;
export type ToolResultBlockT = z.infer<typeof ToolResultBlock>;
export type ThinkingBlockT = z.infer<typeof ThinkingBlock>;
export type RedactedThinkingBlockT = z.infer<typeof RedactedThinkingBlock>;
