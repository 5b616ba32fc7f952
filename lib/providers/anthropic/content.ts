import type { AssistantPart, CacheControl, DocumentPart, ImagePart, Message, TextPart, ToolResultPart, UserPart } from '../../canonical/types';
import { partPath } from '../../canonical/part-path';
import { isOwnSignature } from '../../canonical/signatures';
import { GatewayError } from '../../http/errors';
import { anthropicToolId } from './ids';

/** One content block of an Anthropic request message. */
export type AnthropicBlock = Record<string, unknown> & { type: string };
export interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: AnthropicBlock[];
}

const withCache = (block: AnthropicBlock, cache: CacheControl | undefined): AnthropicBlock => (cache ? { ...block, cache_control: { ...cache } } : block);

/** Anthropic rejects empty and whitespace-only text blocks, so they never leave the gateway. */
const isBlankText = (text: string): boolean => text.trim() === '';

function textBlock(part: TextPart): AnthropicBlock | undefined {
  return isBlankText(part.text) ? undefined : withCache({ type: 'text', text: part.text }, part.cacheControl);
}

/** `data:` URLs (what OpenAI clients send) become base64 sources; http(s) URLs stay URLs. */
function imageSource(source: ImagePart['source'], i: number, j: number, k?: number): Record<string, unknown> {
  if (source.kind === 'base64') return { type: 'base64', media_type: source.mediaType, data: source.data };
  const dataUrl = /^data:([^;,]+);base64,(.*)$/s.exec(source.url);
  if (dataUrl) return { type: 'base64', media_type: dataUrl[1], data: dataUrl[2] };
  if (/^https?:\/\//i.test(source.url)) return { type: 'url', url: source.url };
  const param = partPath(i, j, k);
  throw new GatewayError('invalid_request', `Image URLs (${param}) must be http(s) or base64 data URLs for provider type anthropic.`, { param, code: 'unsupported_value' });
}

function imageBlock(part: ImagePart, i: number, j: number, k?: number): AnthropicBlock {
  return withCache({ type: 'image', source: imageSource(part.source, i, j, k) }, part.cacheControl);
}

function documentBlock(part: DocumentPart): AnthropicBlock {
  const { source } = part;
  let wire: Record<string, unknown>;
  if (source.kind === 'text') wire = { type: 'text', media_type: 'text/plain', data: source.text };
  else if (source.kind === 'url') wire = { type: 'url', url: source.url };
  else if (source.mediaType === 'text/plain') wire = { type: 'text', media_type: 'text/plain', data: Buffer.from(source.data, 'base64').toString('utf8') };
  else wire = { type: 'base64', media_type: source.mediaType, data: source.data };
  return withCache({ type: 'document', source: wire, ...(part.title ? { title: part.title } : {}) }, part.cacheControl);
}

function toolResultBlock(part: ToolResultPart, i: number, j: number): AnthropicBlock {
  let content: string | AnthropicBlock[];
  if (typeof part.content === 'string') {
    // An empty string result is legal (Claude Code sends one for a silent `mkdir`).
    content = part.content;
  } else {
    content = part.content.flatMap((p, k) => (p.type === 'text' ? (textBlock(p) ?? []) : [imageBlock(p, i, j, k)]));
  }
  const block: AnthropicBlock = { type: 'tool_result', tool_use_id: anthropicToolId(part.toolCallId) };
  if (typeof content === 'string' || content.length > 0) block.content = content;
  if (part.isError) block.is_error = true;
  return withCache(block, part.cacheControl);
}

/**
 * Tool arguments are JSON text in the canonical form; Anthropic wants the object. `""` means `{}`.
 * A refusal names the part (`partPath`), so a surface can name the client's call.
 */
function toolInput(args: string, i: number, j: number): Record<string, unknown> {
  if (args.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(args);
  } catch {
    const param = `${partPath(i, j)}.arguments`;
    throw new GatewayError('invalid_request', `The tool call arguments in ${param} must be valid JSON for provider type anthropic.`, { param, code: 'invalid_value' });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const param = `${partPath(i, j)}.arguments`;
    throw new GatewayError('invalid_request', `The tool call arguments in ${param} must be a JSON object for provider type anthropic.`, { param, code: 'invalid_value' });
  }
  return value as Record<string, unknown>;
}

function userBlock(part: UserPart, i: number, j: number): AnthropicBlock | undefined {
  switch (part.type) {
    case 'text':
      return textBlock(part);
    case 'image':
      return imageBlock(part, i, j);
    case 'document':
      return documentBlock(part);
    case 'tool_result':
      return toolResultBlock(part, i, j);
  }
}

function assistantBlock(part: AssistantPart, i: number, j: number): AnthropicBlock | undefined {
  switch (part.type) {
    case 'text':
      return textBlock(part);
    case 'tool_call':
      return withCache({ type: 'tool_use', id: anthropicToolId(part.id), name: part.name, input: toolInput(part.arguments, i, j) }, part.cacheControl);
    case 'thinking':
      // Anthropic verifies the signature of every thinking block it gets back; an unsigned run or
      // another family's signature (Gemini's, OpenAI's) would be refused, and means nothing to Claude anyway.
      return part.signature && isOwnSignature(part.signedBy, 'claude') ? { type: 'thinking', thinking: part.text, signature: part.signature } : undefined;
    case 'redacted_thinking':
      return { type: 'redacted_thinking', data: part.data };
  }
}

/**
 * Canonical messages as Anthropic messages: consecutive turns of one role merged (Anthropic
 * wants them alternating), tool results first in their user message (Anthropic requires them
 * right after the tool_use turn), no empty text blocks, and turns left empty by that dropped.
 */
export function anthropicMessages(messages: Message[]): AnthropicMessage[] {
  const out: AnthropicMessage[] = [];
  messages.forEach((message, i) => {
    const blocks: AnthropicBlock[] = [];
    for (let j = 0; j < message.parts.length; j++) {
      const block = message.role === 'user' ? userBlock(message.parts[j]!, i, j) : assistantBlock(message.parts[j]!, i, j);
      if (block) blocks.push(block);
    }
    if (blocks.length === 0) return;
    const last = out.at(-1);
    if (last && last.role === message.role) last.content.push(...blocks);
    else out.push({ role: message.role, content: blocks });
  });
  for (const message of out) {
    if (message.role !== 'user') continue;
    const results = message.content.filter((b) => b.type === 'tool_result');
    if (results.length > 0) message.content = [...results, ...message.content.filter((b) => b.type !== 'tool_result')];
  }
  return out;
}

/** The names of tools the history calls, for requests that carry tool turns but no tools. */
export function toolNamesInHistory(messages: AnthropicMessage[]): string[] {
  const names = new Set<string>();
  for (const m of messages) for (const b of m.content) if (b.type === 'tool_use' && typeof b.name === 'string') names.add(b.name);
  return [...names];
}

/** True when the history holds tool_use or tool_result blocks (Anthropic then requires `tools`). */
export function historyHasToolBlocks(messages: AnthropicMessage[]): boolean {
  return messages.some((m) => m.content.some((b) => b.type === 'tool_use' || b.type === 'tool_result'));
}

/**
 * Whether the request is in a tool loop whose assistant turn does not start with thinking. With
 * thinking on, Anthropic (and Claude on Bedrock) then refuses it ("a final `assistant` message
 * must start with a thinking block … To avoid this requirement, disable `thinking`"): it happens
 * when that turn's thinking was another family's and was dropped, or never reached the client.
 *
 * @example
 * toolLoopLacksThinking([{ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f', input: {} }] }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't' }] }]) // true
 */
export function toolLoopLacksThinking(messages: readonly { role: unknown; content: readonly { type?: unknown }[] }[]): boolean {
  const last = messages.at(-1);
  const turn = messages.at(-2);
  if (last?.role !== 'user' || turn?.role !== 'assistant') return false;
  if (!last.content.some((b) => b.type === 'tool_result') || !turn.content.some((b) => b.type === 'tool_use')) return false;
  const first = turn.content[0]?.type;
  return first !== 'thinking' && first !== 'redacted_thinking';
}
