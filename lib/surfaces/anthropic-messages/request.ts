import type {
  AssistantPart,
  CacheControl,
  ChatRequest,
  DocumentPart,
  ImagePart,
  Message,
  ReasoningOptions,
  TextPart,
  ToolChoice,
  ToolDefinition,
  UserPart,
} from '../../canonical/types';
import { GatewayError, untranslatable } from '../../http/errors';
import { zodToGatewayError } from '../../http/validation';
import { plainlyValid } from './quick-check';
import {
  CountTokensRequestSchema,
  MessagesRequestSchema,
  type DocumentBlockT,
  type ImageBlockT,
  type MessagesRequest,
  type TextBlockT,
  type ToolResultBlockT,
  type ToolUseBlockT,
} from './schema';
import { readThinkingSignature } from './signatures';

export interface DecodeOptions {
  /**
   * `translate` (the default) refuses, with a 400 naming the field, what the canonical form cannot
   * carry to another provider (server tools, Files API ids, blocks it does not know).
   * `passthrough` leaves those out instead: the body goes to an Anthropic upstream unchanged and
   * the canonical request only serves routing, limits and estimates.
   */
  mode?: 'translate' | 'passthrough';
  /** count_tokens bodies have no `max_tokens`. */
  countTokens?: boolean;
}

type Block = Record<string, unknown> & { type: string };

class Decoder {
  constructor(readonly strict: boolean) {}

  /** Throws in translate mode, answers undefined (leave it out) in passthrough mode. */
  untranslatable(param: string, what: string): undefined {
    if (this.strict) throw untranslatable(param, what);
    return undefined;
  }

  text(block: TextBlockT): TextPart {
    return { type: 'text', text: block.text, ...cache(block.cache_control) };
  }

  image(block: ImageBlockT, param: string): ImagePart | undefined {
    const s = block.source as Record<string, string>;
    if (s.type === 'base64') return { type: 'image', source: { kind: 'base64', mediaType: s.media_type!, data: s.data! }, ...cache(block.cache_control) };
    if (s.type === 'url') return { type: 'image', source: { kind: 'url', url: s.url! }, ...cache(block.cache_control) };
    return this.untranslatable(`${param}.source`, 'An image from the Files API');
  }

  document(block: DocumentBlockT, param: string): DocumentPart | undefined {
    const s = block.source as Record<string, unknown>;
    const extra = { ...(block.title ? { title: block.title } : {}), ...cache(block.cache_control) };
    if (s.type === 'base64') return { type: 'document', source: { kind: 'base64', mediaType: String(s.media_type), data: String(s.data) }, ...extra };
    if (s.type === 'text') return { type: 'document', source: { kind: 'text', text: String(s.data) }, ...extra };
    if (s.type === 'url') return { type: 'document', source: { kind: 'url', url: String(s.url) }, ...extra };
    return this.untranslatable(`${param}.source`, `A document with a "${String(s.type)}" source`);
  }

  toolResult(block: ToolResultBlockT, param: string): UserPart {
    let content: string | (TextPart | ImagePart)[] = '';
    if (typeof block.content === 'string') content = block.content;
    else if (block.content) {
      content = block.content.flatMap((b, k): (TextPart | ImagePart)[] => {
        const at = `${param}.content[${k}]`;
        if (b.type === 'text') return [this.text(b as TextBlockT)];
        if (b.type === 'image') {
          const image = this.image(b as ImageBlockT, at);
          return image ? [image] : [];
        }
        return this.untranslatable(`${at}.type`, `A "${b.type}" block inside a tool_result`) ?? [];
      });
    }
    return { type: 'tool_result', toolCallId: block.tool_use_id, content, ...(block.is_error ? { isError: true } : {}), ...cache(block.cache_control) };
  }

  userPart(block: Block, param: string): UserPart | undefined {
    switch (block.type) {
      case 'text':
        return this.text(block as TextBlockT);
      case 'image':
        return this.image(block as ImageBlockT, param);
      case 'document':
        return this.document(block as DocumentBlockT, param);
      case 'tool_result':
        return this.toolResult(block as ToolResultBlockT, param);
      default:
        return this.untranslatable(`${param}.type`, `A "${block.type}" block in a user turn`);
    }
  }

  assistantPart(block: Block, param: string): AssistantPart | undefined {
    switch (block.type) {
      case 'text':
        return this.text(block as TextBlockT);
      case 'tool_use': {
        const b = block as ToolUseBlockT;
        return { type: 'tool_call', id: b.id, name: b.name, arguments: JSON.stringify(b.input), ...cache(b.cache_control) };
      }
      case 'thinking':
        return { type: 'thinking', text: String(block.thinking), ...readThinkingSignature(String(block.signature)) };
      case 'redacted_thinking':
        return { type: 'redacted_thinking', data: String(block.data) };
      default:
        return this.untranslatable(`${param}.type`, `A "${block.type}" block in an assistant turn`);
    }
  }

  message(m: MessagesRequest['messages'][number], i: number): Message {
    const blocks: Block[] = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content;
    if (m.role === 'user') {
      return { role: 'user', parts: blocks.flatMap((b, j) => this.userPart(b, `messages[${i}].content[${j}]`) ?? []) };
    }
    return { role: 'assistant', parts: blocks.flatMap((b, j) => this.assistantPart(b, `messages[${i}].content[${j}]`) ?? []) };
  }

  tools(tools: NonNullable<MessagesRequest['tools']>): ToolDefinition[] {
    return tools.flatMap((t, i): ToolDefinition[] => {
      if (t.type && t.type !== 'custom') return this.untranslatable(`tools[${i}].type`, `The server tool "${t.type}"`) ?? [];
      if (!t.input_schema) throw new GatewayError('invalid_request', `Invalid value for 'tools[${i}].input_schema': Required`, { param: `tools[${i}].input_schema`, code: 'invalid_value' });
      return [{ name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.input_schema, ...(t.strict ? { strict: true } : {}), ...cache(t.cache_control) }];
    });
  }
}

function cache(value: { type: 'ephemeral'; ttl?: string | undefined } | null | undefined): { cacheControl?: CacheControl } {
  return value ? { cacheControl: { type: 'ephemeral', ...(value.ttl ? { ttl: value.ttl } : {}) } } : {};
}

function toolChoice(choice: MessagesRequest['tool_choice']): ToolChoice | undefined {
  switch (choice?.type) {
    case 'auto':
      return { type: 'auto' };
    case 'any':
      return { type: 'required' };
    case 'none':
      return { type: 'none' };
    case 'tool':
      return { type: 'tool', name: (choice as { name: string }).name };
    default:
      return undefined;
  }
}

const EFFORT: Record<string, ReasoningOptions['effort']> = { low: 'low', medium: 'medium', high: 'high', xhigh: 'high', max: 'high' };

function reasoning(req: MessagesRequest): ReasoningOptions | undefined {
  const effort = req.output_config?.effort ? EFFORT[req.output_config.effort] : undefined;
  if (req.thinking?.type === 'enabled') return { budgetTokens: (req.thinking as { budget_tokens: number }).budget_tokens, ...(effort ? { effort } : {}) };
  // Adaptive thinking lets the model choose its budget: the nearest canonical notion is an effort.
  if (req.thinking?.type === 'adaptive') return { effort: effort ?? 'medium' };
  return effort ? { effort } : undefined;
}

/**
 * A Messages API body as the canonical request (`model` is the client's model name). Throws a
 * 400 GatewayError naming the first bad field.
 *
 * @example
 * decodeAnthropicRequest({ model: 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content: 'Hi' }] })
 */
export function decodeAnthropicRequest(body: Record<string, unknown>, options: DecodeOptions = {}): ChatRequest {
  const req = checked(body, options.countTokens);
  const d = new Decoder(options.mode !== 'passthrough');
  // Anthropic-only features of the request itself (the gateway's MCP connector, code execution
  // containers). context_management is left out on purpose: newer Claude Code sends it on every
  // turn, and without it a translated conversation works, only without server-side trimming.
  if (Array.isArray(body.mcp_servers) && body.mcp_servers.length > 0) d.untranslatable('mcp_servers', 'The MCP connector (mcp_servers)');
  if (body.container != null) d.untranslatable('container', 'A code execution container');

  const system: TextPart[] = typeof req.system === 'string' ? (req.system ? [{ type: 'text', text: req.system }] : []) : (req.system ?? []).map((b) => d.text(b));
  const out: ChatRequest = { model: req.model, system, messages: req.messages.map((m, i) => d.message(m, i)), stream: req.stream === true };
  if (req.max_tokens !== undefined) out.maxTokens = req.max_tokens;
  if (req.tools && req.tools.length > 0) out.tools = d.tools(req.tools);
  const choice = toolChoice(req.tool_choice);
  if (choice) out.toolChoice = choice;
  if ((req.tool_choice as { disable_parallel_tool_use?: boolean } | null | undefined)?.disable_parallel_tool_use) out.parallelToolCalls = false;
  if (req.temperature != null) out.temperature = req.temperature;
  if (req.top_p != null) out.topP = req.top_p;
  if (req.top_k != null) out.topK = req.top_k;
  if (req.stop_sequences && req.stop_sequences.length > 0) out.stop = req.stop_sequences;
  if (req.metadata?.user_id) out.user = req.metadata.user_id;
  const r = reasoning(req);
  if (r) out.reasoning = r;
  const format = req.output_config?.format;
  if (format) out.responseFormat = { type: 'json_schema', name: 'response', schema: format.schema };
  return out;
}

/** The body as the schema types it; a 400 naming the first bad field otherwise. */
function checked(body: Record<string, unknown>, countTokens = false): MessagesRequest {
  if (plainlyValid(body, countTokens)) return body as MessagesRequest;
  const parsed = (countTokens ? CountTokensRequestSchema : MessagesRequestSchema).safeParse(body);
  if (!parsed.success) throw zodToGatewayError(parsed.error);
  return parsed.data as MessagesRequest;
}

/**
 * Checks a body that goes to an Anthropic upstream as it came: a 400 naming the first bad field
 * when it would not decode, without building the canonical request when it plainly would.
 */
export function validateAnthropicRequest(body: Record<string, unknown>, options: { countTokens?: boolean } = {}): void {
  if (!plainlyValid(body, options.countTokens)) decodeAnthropicRequest(body, { mode: 'passthrough', ...options });
}
