import { z } from 'zod';
import { zodToGatewayError } from '../../http/validation';

const TextPart = z.looseObject({ type: z.literal('text'), text: z.string() });
const ContentPart = z.looseObject({ type: z.string().min(1) });
const Content = z.union([z.string(), z.array(ContentPart)]);

const ToolCall = z.looseObject({
  id: z.string().min(1),
  type: z.literal('function'),
  function: z.looseObject({ name: z.string().min(1), arguments: z.string() }),
});

const Message = z.discriminatedUnion('role', [
  z.looseObject({ role: z.literal('system'), content: z.union([z.string(), z.array(TextPart)]) }),
  z.looseObject({ role: z.literal('developer'), content: z.union([z.string(), z.array(TextPart)]) }),
  z.looseObject({ role: z.literal('user'), content: Content }),
  z.looseObject({
    role: z.literal('assistant'),
    content: Content.nullish(),
    tool_calls: z.array(ToolCall).optional(),
  }),
  z.looseObject({ role: z.literal('tool'), content: z.union([z.string(), z.array(TextPart)]), tool_call_id: z.string().min(1) }),
  // Deprecated, still sent by older clients.
  z.looseObject({ role: z.literal('function'), content: z.string().nullable(), name: z.string().min(1) }),
]);

const Tool = z.looseObject({
  type: z.literal('function'),
  function: z.looseObject({ name: z.string().min(1).max(64), description: z.string().optional(), parameters: z.record(z.string(), z.unknown()).optional() }),
});

const ToolChoice = z.union([
  z.enum(['none', 'auto', 'required']),
  z.looseObject({ type: z.literal('function'), function: z.looseObject({ name: z.string().min(1) }) }),
]);

const PositiveInt = z.number().int().positive();

/**
 * What the gateway checks of a Chat Completions request: the fields it relies on, with the types
 * OpenAI documents. Every other field passes through to the upstream untouched.
 */
export const ChatRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(Message).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  max_tokens: PositiveInt.nullish(),
  max_completion_tokens: PositiveInt.nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  n: PositiveInt.max(128).nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  tools: z.array(Tool).optional(),
  tool_choice: ToolChoice.optional(),
  user: z.string().optional(),
});

export type ChatRequest = z.infer<typeof ChatRequestSchema>;

/** Validates a parsed body; a 400 naming the first bad field otherwise. */
export function parseChatRequest(body: Record<string, unknown>): ChatRequest {
  const result = ChatRequestSchema.safeParse(body);
  if (!result.success) throw zodToGatewayError(result.error);
  return result.data;
}
