/**
 * The canonical request as an OpenAI Chat Completions body (for OpenAI, OpenAI-compatible
 * servers and Azure OpenAI).
 *
 * Decisions on what has no one-to-one mapping:
 * - System parts become one `system` message (a string for one part, text parts for several).
 * - A user message's tool results become `tool` messages placed first, right after the assistant
 *   turn that called them (OpenAI requires that); its other parts follow as a `user` message.
 *   `tool` messages take only text, so images in a tool result move into that user message, and
 *   `isError` (which OpenAI has no field for) is dropped.
 * - Thinking and redacted thinking are dropped from history: OpenAI has no input for them and
 *   the reasoning models keep their own reasoning server-side. An assistant turn left empty goes.
 * - `cacheControl` is dropped (OpenAI caches prompts automatically); so are tool-call signatures.
 * - `maxTokens` is sent as `max_completion_tokens` to OpenAI and Azure (o-series models reject
 *   `max_tokens`), and as `max_tokens` to OpenAI-compatible servers, most of which know only that.
 * - `topK` passes as `top_k` to OpenAI-compatible servers (vLLM, Ollama take it); OpenAI and Azure
 *   have no such parameter, so it is refused there. They also take at most 4 stop sequences
 *   (`withinStopLimit`, on the mended body: o3's are cut by the gateway, any number of them).
 * - A reasoning budget without an effort (Anthropic-style thinking) becomes an effort:
 *   ≤ 2048 tokens low, ≤ 8192 medium, more high.
 * - What the target model refuses of this body (a temperature on o3, an effort on gpt-4o) is not
 *   this function's to know: the adapters hand the body to `CallContext.mend` (`lib/params/mend.ts`).
 */
import { partPath } from '../../canonical/part-path';
import type { ChatRequest, Message, ReasoningOptions, TextPart, ToolResultPart, UserPart } from '../../canonical/types';
import { GatewayError } from '../../http/errors';

export interface OpenAIBodyOptions {
  /** Named in refusals, e.g. `openai-compatible`. */
  providerType: string;
  maxTokensField: 'max_tokens' | 'max_completion_tokens';
  /** False for Azure's deployments path, where the URL names the model. */
  includeModel: boolean;
  /** Whether the server understands `top_k`. */
  topK: boolean;
  /** Most stop sequences the server takes. */
  maxStop: number;
}

/** The body options for a provider type of the OpenAI dialect. */
export function openAIBodyOptions(providerType: string, overrides: Partial<OpenAIBodyOptions> = {}): OpenAIBodyOptions {
  const compatible = providerType === 'openai-compatible';
  return {
    providerType,
    maxTokensField: compatible ? 'max_tokens' : 'max_completion_tokens',
    includeModel: true,
    topK: compatible,
    maxStop: compatible ? Number.POSITIVE_INFINITY : 4,
    ...overrides,
  };
}

type OpenAIMessage = Record<string, unknown> & { role: string };
type OpenAIContentPart = Record<string, unknown> & { type: string };

function refuse(param: string, what: string, providerType: string): GatewayError {
  return new GatewayError('invalid_request', `${what} is not supported by provider type ${providerType}.`, { param, code: 'unsupported_parameter' });
}

/**
 * The body as it goes upstream, refused with a 400 naming `stop` when it holds more stop sequences
 * than the server takes. Checked on the mended body (`CallContext.mend`), not the written one: a
 * model that refuses `stop` (o3, GPT-5) has the sequences dropped there and cut by the gateway
 * (`lib/pipeline/stop-emulation/`), which takes any number of them.
 *
 * @example
 * const options = openAIBodyOptions('openai');
 * const written = toOpenAIChatBody(req, options);
 * const body = withinStopLimit(call.mend ? call.mend(written) : written, options);
 */
export function withinStopLimit(body: Record<string, unknown>, options: OpenAIBodyOptions): Record<string, unknown> {
  if (Array.isArray(body.stop) && body.stop.length > options.maxStop) throw refuse('stop', `More than ${options.maxStop} stop sequences`, options.providerType);
  return body;
}

/** One text part as a string, several as text parts: both are valid OpenAI content. */
function textContent(parts: TextPart[]): string | OpenAIContentPart[] {
  if (parts.length === 1) return parts[0]!.text;
  return parts.map((p) => ({ type: 'text', text: p.text }));
}

/** Part `j` of message `i` (its path built only for a refusal, `partPath`). */
function userContentPart(part: Exclude<UserPart, ToolResultPart>, i: number, j: number, providerType: string): OpenAIContentPart {
  switch (part.type) {
    case 'text':
      return { type: 'text', text: part.text };
    case 'image': {
      const url = part.source.kind === 'base64' ? `data:${part.source.mediaType};base64,${part.source.data}` : part.source.url;
      return { type: 'image_url', image_url: { url, ...(part.detail ? { detail: part.detail } : {}) } };
    }
    case 'document': {
      const source = part.source;
      if (source.kind === 'text') return { type: 'text', text: source.text };
      if (source.kind === 'url') throw refuse(partPath(i, j), 'A document given by URL', providerType);
      return { type: 'file', file: { filename: part.title ?? 'document', file_data: `data:${source.mediaType};base64,${source.data}` } };
    }
  }
}

/** A user message as `tool` messages (first) and the user message itself (when anything is left). */
function userMessages(parts: UserPart[], index: number, providerType: string): OpenAIMessage[] {
  const tools: OpenAIMessage[] = [];
  const rest: OpenAIContentPart[] = [];
  parts.forEach((part, j) => {
    if (part.type !== 'tool_result') {
      rest.push(userContentPart(part, index, j, providerType));
      return;
    }
    let content: string | OpenAIContentPart[];
    if (typeof part.content === 'string') content = part.content;
    else {
      const texts = part.content.filter((p): p is TextPart => p.type === 'text');
      const images = part.content.filter((p) => p.type === 'image');
      for (const image of images) rest.push(userContentPart(image, index, j, providerType));
      content = texts.length ? textContent(texts) : images.length ? '(see the attached image)' : '';
    }
    tools.push({ role: 'tool', tool_call_id: part.toolCallId, content });
  });
  if (rest.length === 0) return tools;
  const only = rest.length === 1 ? rest[0] : undefined;
  return [...tools, { role: 'user', content: only?.type === 'text' ? (only.text as string) : rest }];
}

function assistantMessage(message: Extract<Message, { role: 'assistant' }>): OpenAIMessage | undefined {
  const texts = message.parts.filter((p): p is TextPart => p.type === 'text');
  const calls = message.parts.flatMap((p) =>
    p.type === 'tool_call' ? [{ id: p.id, type: 'function', function: { name: p.name, arguments: p.arguments || '{}' } }] : [],
  );
  if (texts.length === 0 && calls.length === 0) return undefined;
  const out: OpenAIMessage = { role: 'assistant', content: texts.length ? textContent(texts) : null };
  if (calls.length) out.tool_calls = calls;
  return out;
}

function effortOf(reasoning: ReasoningOptions): string | undefined {
  if (reasoning.effort) return reasoning.effort;
  const budget = reasoning.budgetTokens;
  if (budget === undefined) return undefined;
  return budget <= 2048 ? 'low' : budget <= 8192 ? 'medium' : 'high';
}

/**
 * The Chat Completions body for a canonical request. Throws a 400 naming the field for what the
 * provider type cannot take.
 *
 * @example
 * toOpenAIChatBody(req, openAIBodyOptions('openai'));
 * // → { model: 'gpt-4o', messages: [{ role: 'system', content: '…' }, …], max_completion_tokens: 1024, … }
 */
export function toOpenAIChatBody(req: ChatRequest, options: OpenAIBodyOptions): Record<string, unknown> {
  const { providerType } = options;
  const messages: OpenAIMessage[] = [];
  if (req.system.length) messages.push({ role: 'system', content: textContent(req.system) });
  req.messages.forEach((m, i) => {
    if (m.role === 'user') messages.push(...userMessages(m.parts, i, providerType));
    else {
      const out = assistantMessage(m);
      if (out) messages.push(out);
    }
  });

  const body: Record<string, unknown> = {};
  if (options.includeModel) body.model = req.model;
  body.messages = messages;
  if (req.tools?.length) {
    body.tools = req.tools.map((t) => ({
      type: 'function',
      function: {
        name: t.name,
        ...(t.description !== undefined ? { description: t.description } : {}),
        parameters: t.parameters,
        ...(t.strict !== undefined ? { strict: t.strict } : {}),
      },
    }));
    // OpenAI rejects parallel_tool_calls without tools.
    if (req.parallelToolCalls !== undefined) body.parallel_tool_calls = req.parallelToolCalls;
  }
  if (req.toolChoice) body.tool_choice = req.toolChoice.type === 'tool' ? { type: 'function', function: { name: req.toolChoice.name } } : req.toolChoice.type;
  if (req.maxTokens !== undefined) body[options.maxTokensField] = req.maxTokens;
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.topP !== undefined) body.top_p = req.topP;
  if (req.topK !== undefined) {
    if (!options.topK) throw refuse('top_k', 'top_k', providerType);
    body.top_k = req.topK;
  }
  // How many the server takes is checked on the body as it goes upstream (`withinStopLimit`).
  if (req.stop?.length) body.stop = req.stop;
  const format = req.responseFormat;
  if (format) {
    body.response_format =
      format.type !== 'json_schema'
        ? { type: format.type }
        : {
            type: 'json_schema',
            json_schema: {
              name: format.name,
              ...(format.description !== undefined ? { description: format.description } : {}),
              schema: format.schema,
              ...(format.strict !== undefined ? { strict: format.strict } : {}),
            },
          };
  }
  const effort = req.reasoning ? effortOf(req.reasoning) : undefined;
  if (effort) body.reasoning_effort = effort;
  if (req.seed !== undefined) body.seed = req.seed;
  if (req.user !== undefined) body.user = req.user;
  if (req.stream) {
    body.stream = true;
    // The gateway meters every stream, so it always asks for the usage chunk.
    body.stream_options = { include_usage: true };
  }
  return body;
}
