import { z } from 'zod';
import { absentOr, isBoolean, isName, isObject, isPositiveInt, isText, nullishOr, within, type Json } from '../../http/json-checks';
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
  // OpenAI documents text parts only, but Zed sends a tool's image here too (read_file of a PNG),
  // which Anthropic, Gemini and Bedrock take in a tool result: the decoder reads each part.
  z.looseObject({ role: z.literal('tool'), content: Content, tool_call_id: z.string().min(1) }),
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
  // No cap of OpenAI's four: Anthropic, Bedrock and vLLM take more (Continue sends fourteen); OpenAI
  // answers for its own cap, and Gemini gets its five, the gateway cutting at the rest (stop emulation).
  stop: z.union([z.string(), z.array(z.string())]).nullish(),
  tools: z.array(Tool).optional(),
  tool_choice: ToolChoice.optional(),
  user: z.string().optional(),
});

export type ChatRequest = z.infer<typeof ChatRequestSchema>;

/** Validates a parsed body; a 400 naming the first bad field otherwise. */
export function parseChatRequest(body: Record<string, unknown>): ChatRequest {
  if (plainlyValid(body)) return body as ChatRequest;
  const result = ChatRequestSchema.safeParse(body);
  if (!result.success) throw zodToGatewayError(result.error);
  return result.data;
}

// The schema's common case, checked by hand. zod's walk over a request costs ~0.1 ms when the CPU
// comes to it cold (a gateway between sporadic requests; measured with syscall timestamps, against
// ~10 µs warm), so it runs only when this check says no: to name the bad field, or to accept what
// the check does not know. The check must never accept what the schema refuses; the tests hold it
// to that over a table of valid and invalid requests.
const isTextParts = (v: unknown): boolean => Array.isArray(v) && v.every((p) => isObject(p) && p.type === 'text' && isText(p.text));
const isContentParts = (v: unknown): boolean => Array.isArray(v) && v.every((p) => isObject(p) && isName(p.type));

function plainMessage(m: unknown): boolean {
  if (!isObject(m)) return false;
  switch (m.role) {
    case 'system':
    case 'developer':
      return isText(m.content) || isTextParts(m.content);
    case 'user':
      return isText(m.content) || isContentParts(m.content);
    case 'assistant':
      return (
        nullishOr(m.content, (c) => isText(c) || isContentParts(c)) &&
        absentOr(m.tool_calls, (calls) => Array.isArray(calls) && calls.every((c) => isObject(c) && isName(c.id) && c.type === 'function' && isObject(c.function) && isName(c.function.name) && isText(c.function.arguments)))
      );
    case 'tool':
      return (isText(m.content) || isContentParts(m.content)) && isName(m.tool_call_id);
    default:
      // 'function' and anything else: the schema decides.
      return false;
  }
}

function plainTool(t: unknown): boolean {
  if (!isObject(t) || t.type !== 'function' || !isObject(t.function)) return false;
  const { name, description, parameters } = t.function;
  return isName(name) && name.length <= 64 && absentOr(description, isText) && absentOr(parameters, isObject);
}

export function plainlyValid(b: Json): boolean {
  return (
    isName(b.model) &&
    Array.isArray(b.messages) &&
    b.messages.length > 0 &&
    b.messages.every(plainMessage) &&
    nullishOr(b.stream, isBoolean) &&
    nullishOr(b.stream_options, (v) => isObject(v) && absentOr(v.include_usage, isBoolean)) &&
    nullishOr(b.max_tokens, isPositiveInt) &&
    nullishOr(b.max_completion_tokens, isPositiveInt) &&
    nullishOr(b.temperature, within(0, 2)) &&
    nullishOr(b.top_p, within(0, 1)) &&
    nullishOr(b.n, (v) => isPositiveInt(v) && (v as number) <= 128) &&
    nullishOr(b.stop, (v) => isText(v) || (Array.isArray(v) && v.every(isText))) &&
    absentOr(b.tools, (tools) => Array.isArray(tools) && tools.every(plainTool)) &&
    absentOr(b.tool_choice, (c) => c === 'none' || c === 'auto' || c === 'required' || (isObject(c) && c.type === 'function' && isObject(c.function) && isName(c.function.name))) &&
    absentOr(b.user, isText)
  );
}
