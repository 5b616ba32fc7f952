import type { AssistantPart, CacheControl, DocumentPart, ImagePart, Message, TextPart, ToolResultPart, UserPart } from '../../canonical/types';
import { partPath } from '../../canonical/part-path';
import { isOwnSignature } from '../../canonical/signatures';
import { GatewayError } from '../../http/errors';
import type { CachePoint, ContentBlock, ConverseMessage, DocumentBlock, DocumentFormat, ImageBlock, ImageFormat, ToolResultContent } from './wire';

const PROVIDER = 'provider type bedrock';
// A refusal quotes its `param` in its message, as the other translators do: a surface renames the
// field there too (lib/surfaces/error-fields.ts), and some clients read only the message (the Gemini API's).
// The part's path is built only for a refusal (`partPath`), not for every part of every request.

const IMAGE_FORMATS: Record<string, ImageFormat> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

const IMAGE_EXTENSIONS: Record<string, ImageFormat> = { png: 'png', jpg: 'jpeg', jpeg: 'jpeg', gif: 'gif', webp: 'webp' };

const DOCUMENT_FORMATS: Record<string, DocumentFormat> = {
  'application/pdf': 'pdf',
  'text/csv': 'csv',
  'application/msword': 'doc',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.ms-excel': 'xls',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'text/html': 'html',
  'text/plain': 'txt',
  'text/markdown': 'md',
};

/** Bedrock refuses a text block that is empty or only whitespace ("… is blank"). */
export const isBlank = (text: string): boolean => text.trim() === '';

/** Tool-use ids must match `^[a-zA-Z0-9_-]+$`; calls and results are rewritten the same way so they still pair. */
export const toolUseId = (id: string): string => id.replace(/[^a-zA-Z0-9_-]/g, '_') || '_';

export interface ContentOptions {
  /** Turn `cacheControl` into cache points (models with prompt caching); otherwise it is dropped. */
  caching: boolean;
  /**
   * Send only signed reasoning (Claude, which refuses a reasoning block without its signature:
   * "thinking.signature: Field required"); other models take the plain reasoning they wrote.
   */
  signedReasoningOnly?: boolean;
}

/** One block with the cache point that must stay right behind it. */
interface Group {
  blocks: ContentBlock[];
  toolResult: boolean;
}

/**
 * Canonical messages as Converse messages: empty and blank text dropped, consecutive turns of one
 * role merged (Converse wants them alternating), tool results first in their user turn (as Claude
 * requires), a cache point behind every block that carried `cacheControl`.
 */
export function toConverseMessages(messages: Message[], options: ContentOptions): ConverseMessage[] {
  const names = new DocumentNames();
  const turns: { role: 'user' | 'assistant'; groups: Group[] }[] = [];
  messages.forEach((message, i) => {
    const groups: Group[] = [];
    message.parts.forEach((part: UserPart | AssistantPart, j) => {
      const group = partGroup(part, i, j, options, names);
      if (group) groups.push(group);
    });
    if (groups.length === 0) return;
    const last = turns[turns.length - 1];
    if (last && last.role === message.role) last.groups.push(...groups);
    else turns.push({ role: message.role, groups });
  });
  return turns.map(({ role, groups }) => {
    const ordered = role === 'user' ? [...groups.filter((g) => g.toolResult), ...groups.filter((g) => !g.toolResult)] : groups;
    return { role, content: ordered.flatMap((g) => g.blocks) };
  });
}

function partGroup(part: UserPart | AssistantPart, i: number, j: number, options: ContentOptions, names: DocumentNames): Group | undefined {
  const single = (block: ContentBlock, cache?: CacheControl, toolResult = false): Group => ({
    blocks: cache && options.caching ? [block, cachePoint(cache)] : [block],
    toolResult,
  });
  switch (part.type) {
    case 'text':
      return isBlank(part.text) ? undefined : single({ text: part.text }, part.cacheControl);
    case 'image':
      return single(imageBlock(part, i, j), part.cacheControl);
    case 'document':
      return single(documentBlock(part, i, j, names), part.cacheControl);
    case 'tool_call':
      return single({ toolUse: { toolUseId: toolUseId(part.id), name: part.name, input: toolInput(part.arguments, i, j) } }, part.cacheControl);
    case 'tool_result':
      return single(toolResultBlock(part, i, j), part.cacheControl, true);
    case 'thinking':
      if (part.text === '' && !part.signature) return undefined;
      // Claude on Bedrock verifies signatures as Anthropic does: another family's (Gemini's, OpenAI's) would be refused.
      if (part.signature && !isOwnSignature(part.signedBy, 'claude')) return undefined;
      if (!part.signature && options.signedReasoningOnly) return undefined;
      return single({ reasoningContent: { reasoningText: { text: part.text, ...(part.signature ? { signature: part.signature } : {}) } } });
    case 'redacted_thinking':
      return single({ reasoningContent: { redactedContent: part.data } });
  }
}

/** A cache point; Bedrock knows the 5-minute default and a 1-hour TTL. */
export function cachePoint(cache: CacheControl): CachePoint {
  return { cachePoint: { type: 'default', ...(cache.ttl === '1h' || cache.ttl === '5m' ? { ttl: cache.ttl } : {}) } };
}

/** Tool arguments are JSON text; Converse wants the object. `""` means `{}`. */
function toolInput(args: string, i: number, j: number): unknown {
  if (args.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    const where = `${partPath(i, j)}.arguments`;
    throw new GatewayError('invalid_request', `The tool call arguments in ${where} must be valid JSON for ${PROVIDER}, which sends them as an object.`, { param: where });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    const where = `${partPath(i, j)}.arguments`;
    throw new GatewayError('invalid_request', `The tool call arguments in ${where} must be a JSON object for ${PROVIDER}.`, { param: where });
  }
  return parsed;
}

function toolResultBlock(part: ToolResultPart, i: number, j: number): ContentBlock {
  const parts: (TextPart | ImagePart)[] = typeof part.content === 'string' ? [{ type: 'text', text: part.content }] : part.content;
  const content: ToolResultContent[] = [];
  parts.forEach((p, k) => {
    if (p.type === 'text') {
      if (!isBlank(p.text)) content.push({ text: p.text });
    } else content.push(imageBlock(p, i, j, k));
  });
  // `success` is the default; only Claude knows `status`, so it is sent only when it matters.
  return { toolResult: { toolUseId: toolUseId(part.toolCallId), content, ...(part.isError ? { status: 'error' as const } : {}) } };
}

/** `k`: the image's place in a tool result's content, when it is there. */
function imageBlock(part: ImagePart, i: number, j: number, k?: number): ImageBlock {
  const { source } = part;
  if (source.kind === 'base64') return { image: { format: imageFormat(source.mediaType, i, j, k), source: { bytes: source.data } } };
  const data = /^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s.exec(source.url);
  if (data) return { image: { format: imageFormat(data[1] ?? '', i, j, k), source: { bytes: data[2] ?? '' } } };
  if (source.url.startsWith('s3://')) {
    const extension = /\.([A-Za-z0-9]+)$/.exec(source.url)?.[1]?.toLowerCase() ?? '';
    const format = IMAGE_EXTENSIONS[extension];
    if (format) return { image: { format, source: { s3Location: { uri: source.url } } } };
    const where = partPath(i, j, k);
    throw new GatewayError('invalid_request', `The S3 image in ${where} must end in .png, .jpg, .jpeg, .gif or .webp for ${PROVIDER}.`, { param: where });
  }
  const where = partPath(i, j, k);
  throw new GatewayError('invalid_request', `Image URLs (${where}) are not supported by ${PROVIDER}, which needs the image itself: send it as base64 data.`, { param: where });
}

function imageFormat(mediaType: string, i: number, j: number, k: number | undefined): ImageFormat {
  const format = IMAGE_FORMATS[mediaType.toLowerCase()];
  if (format) return format;
  const where = partPath(i, j, k);
  throw new GatewayError('invalid_request', `Image type "${mediaType}" (${where}) is not supported by ${PROVIDER} (png, jpeg, gif and webp are).`, { param: where });
}

function documentBlock(part: DocumentPart, i: number, j: number, names: DocumentNames): DocumentBlock {
  const { source } = part;
  if (source.kind === 'url') {
    const where = partPath(i, j);
    throw new GatewayError('invalid_request', `Document URLs (${where}) are not supported by ${PROVIDER}: send the document as base64 data.`, { param: where });
  }
  const name = names.next(part.title);
  if (source.kind === 'text') return { document: { format: 'txt', name, source: { bytes: Buffer.from(source.text, 'utf8').toString('base64') } } };
  const format = DOCUMENT_FORMATS[source.mediaType.toLowerCase()];
  if (format) return { document: { format, name, source: { bytes: source.data } } };
  const where = partPath(i, j);
  throw new GatewayError('invalid_request', `Document type "${source.mediaType}" (${where}) is not supported by ${PROVIDER}.`, { param: where });
}

/**
 * Document names Bedrock accepts (letters, digits, single spaces, hyphens, parentheses, square
 * brackets), unique within the request.
 */
class DocumentNames {
  readonly #used = new Set<string>();

  next(title: string | undefined): string {
    const base =
      (title ?? '')
        .replace(/[^A-Za-z0-9\s\-()[\]]/g, '-')
        .replace(/\s+/g, ' ')
        .trim()
        .slice(0, 100) || `document-${this.#used.size + 1}`;
    let name = base;
    for (let n = 2; this.#used.has(name); n++) name = `${base} (${n})`;
    this.#used.add(name);
    return name;
  }
}
