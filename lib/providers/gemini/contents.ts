import type { AssistantPart, DocumentPart, ImagePart, Message, TextPart, ToolResultPart, UserPart } from '../../canonical/types';
import { partPath } from '../../canonical/part-path';
import { isOwnSignature } from '../../canonical/signatures';
import { GatewayError } from '../../http/errors';
import type { GeminiContent, GeminiPart } from './types';

/**
 * The documented stand-in for a missing thought signature
 * (https://ai.google.dev/gemini-api/docs/thought-signatures, FAQ): Gemini 3 rejects a history
 * whose function calls carry none, which is every call that another provider made.
 */
export const SKIP_SIGNATURE = 'skip_thought_signature_validator';

const MIME_BY_EXTENSION: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  heic: 'image/heic',
  heif: 'image/heif',
  pdf: 'application/pdf',
  txt: 'text/plain',
};

/**
 * The ids the gateway makes up for a call that came without one: `toolCallId`'s
 * `call_<16 hex>_<n>` for a call in Gemini's answer, and the Gemini surface's
 * `call_<content>_<part>` for a call in a Gemini client's history (`surfaces/gemini/decode.ts`).
 */
const MADE_UP = /^call_(?:[0-9a-f]{16}|\d+)_\d+$/;

/**
 * Whether a tool call's id goes to Gemini, on the call and on its `functionResponse`: any id the
 * client holds (Gemini's own, `n3v0qk2x` or, from later models, `call_4162774`, which its docs ask
 * to have back; a Gemini client's; another provider's after a model switch, which Gemini takes as
 * given and ties call and response by), but not one the gateway made up for a call that had none,
 * which no one gave Gemini. Ids are told apart by these forms only, not by who else might use
 * `call_`: one left off goes off both the call and its response, which Gemini then ties by name.
 *
 * @example
 * sendsCallId('n3v0qk2x') // true
 * sendsCallId('toolu_01A09q90qw90lq917835lq9') // true
 * sendsCallId('call_3f2a9c0d1e4b5a6f_0') // false
 */
function sendsCallId(id: string): boolean {
  return id !== '' && !MADE_UP.test(id);
}

/** How to write `contents` for a target. */
export interface GeminiContentsOptions {
  /**
   * Whether function calls and responses carry call ids (`sendsCallId`; default true). Vertex AI's
   * `generateContent` had no such field and refused the request ("Unknown name \"id\" at
   * 'contents[1].parts[0].function_call'"); its schema has had it since September 2026 and Gemini 3
   * there takes it (anomalyco/opencode#50504, BerriAI/litellm#34603), but Gemini 2 there is not
   * known to, so Vertex still gets none.
   */
  callIds?: boolean;
}

/**
 * Canonical messages as Gemini `contents`.
 *
 * - Roles: user → `user`, assistant → `model`; consecutive turns of one role are merged, since
 *   Gemini expects them to alternate.
 * - Tool results become `functionResponse` parts (before any other part of their turn). Gemini
 *   matches results to calls by name, and a canonical result may not carry one: it is looked up
 *   from the latest call with the same id in an earlier assistant turn. Between calls of one name Gemini
 *   goes by position, so a turn's results are put in the order of their calls (clients may send
 *   them in the order the tools finished).
 * - A result's text is `{content: text}`, or the object itself when the text is a JSON object;
 *   an error result is `{error: text}` (Gemini's docs suggest `output`/`error` keys; `content`
 *   matches what the text was called on the client's side). Images in a result follow the
 *   function responses as ordinary parts, which every Gemini model reads.
 * - A call's id goes on the call and on its results unless the gateway made it up (`sendsCallId`)
 *   or `options.callIds` is false.
 * - Thinking and redacted thinking in history are dropped: Gemini takes no thought text back,
 *   only the signature on a function call, which travels on the tool call part.
 * - Empty text is dropped (Gemini rejects an empty text part); so is `cacheControl` and
 *   an image's `detail`.
 *
 * @example
 * toGeminiContents([{ role: 'user', parts: [{ type: 'text', text: 'Hi' }] }], 'gemini-2.5-flash')
 * // → [{ role: 'user', parts: [{ text: 'Hi' }] }]
 */
export function toGeminiContents(messages: Message[], model: string, options: GeminiContentsOptions = {}): GeminiContent[] {
  const fillSignatures = geminiMajorVersion(model) >= 3;
  const callId = options.callIds === false ? () => undefined : (id: string) => (sendsCallId(id) ? id : undefined);
  // The calls met so far, by id: a result answers the latest call with its id before it, since
  // some clients number calls anew in each answer (`call_0`, `call_1`, …) and so reuse ids.
  const calls = new Map<string, ToolCallSeen>();
  let callCount = 0;

  const contents: GeminiContent[] = [];
  const callPositions: ResponsePositions = new WeakMap();
  messages.forEach((message, i) => {
    if (message.role === 'assistant') {
      for (const part of message.parts) if (part.type === 'tool_call') calls.set(part.id, { name: part.name, position: callCount++ });
    }
    const parts =
      message.role === 'assistant' ? modelParts(message.parts, i, fillSignatures, callId) : userParts(message.parts, i, calls, callPositions, callId);
    if (parts.length === 0) return;
    const role = message.role === 'assistant' ? 'model' : 'user';
    const last = contents.at(-1);
    if (last?.role === role) last.parts = mergeTurn(last.parts ?? [], parts);
    else contents.push({ role, parts });
  });
  for (const content of contents) if (content.role === 'user') content.parts = inCallOrder(content.parts ?? [], callPositions);
  return contents;
}

/** A tool call of the history: its name, and its place among all the history's calls. */
interface ToolCallSeen {
  name: string;
  position: number;
}

/** The place of each function response's call among the history's calls, where the call is known. */
type ResponsePositions = WeakMap<GeminiPart, number>;

/**
 * A turn's function responses (which lead it) in the order of their calls; responses whose call
 * is not in the history keep their place after them. Stable, so one call's order is never changed.
 */
function inCallOrder(parts: GeminiPart[], positions: ResponsePositions): GeminiPart[] {
  const isResponse = (p: GeminiPart): boolean => p.functionResponse !== undefined;
  const place = (p: GeminiPart): number => positions.get(p) ?? Number.MAX_SAFE_INTEGER;
  const responses = parts.filter(isResponse).sort((a, b) => place(a) - place(b));
  return [...responses, ...parts.filter((p) => !isResponse(p))];
}

/** The major version in a Gemini model id (`gemini-2.5-flash` → 2), 0 when there is none. */
export function geminiMajorVersion(model: string): number {
  const match = /gemini-(\d+)/i.exec(model);
  return match ? Number(match[1]) : 0;
}

/** The id to send Gemini for a call of the history, if any. */
type CallIdFor = (id: string) => string | undefined;

function modelParts(parts: AssistantPart[], i: number, fillSignatures: boolean, callId: CallIdFor): GeminiPart[] {
  const out: GeminiPart[] = [];
  let firstCall = true;
  parts.forEach((part, j) => {
    if (part.type === 'text') {
      if (part.text !== '') out.push({ text: part.text });
    } else if (part.type === 'tool_call') {
      const id = callId(part.id);
      const call: GeminiPart = { functionCall: { ...(id ? { id } : {}), name: part.name, args: parseArguments(part.arguments, i, j) } };
      // Only the first call of a step carries a signature (parallel calls share it). Another
      // family's is no signature to Gemini, which refuses one it did not make.
      const own = part.signature && isOwnSignature(part.signedBy, 'gemini') ? part.signature : undefined;
      const signature = own ?? (fillSignatures && firstCall ? SKIP_SIGNATURE : undefined);
      if (signature) call.thoughtSignature = signature;
      firstCall = false;
      out.push(call);
    }
  });
  return out;
}

function userParts(parts: UserPart[], i: number, calls: Map<string, ToolCallSeen>, callPositions: ResponsePositions, callId: CallIdFor): GeminiPart[] {
  const responses: GeminiPart[] = [];
  const attachments: GeminiPart[] = [];
  const others: GeminiPart[] = [];
  parts.forEach((part, j) => {
    switch (part.type) {
      case 'tool_result': {
        const call = calls.get(part.toolCallId);
        const name = part.name ?? call?.name;
        if (!name) {
          const param = partPath(i, j);
          throw new GatewayError(
            'invalid_request',
            `The tool result for "${part.toolCallId}" (${param}.tool_call_id) answers no tool call in an earlier assistant message; provider type gemini needs the tool's name, which it finds there.`,
            { param: `${param}.tool_call_id`, code: 'unknown_tool_call_id' },
          );
        }
        // The id only of a call the history holds, which went with its id too.
        const id = call ? callId(part.toolCallId) : undefined;
        const response: GeminiPart = { functionResponse: { ...(id ? { id } : {}), name, response: toolResponse(part) } };
        if (call) callPositions.set(response, call.position);
        responses.push(response);
        if (Array.isArray(part.content)) {
          part.content.forEach((inner, k) => {
            if (inner.type === 'image') attachments.push(imagePart(inner, i, j, k));
          });
        }
        return;
      }
      case 'text':
        if (part.text !== '') others.push({ text: part.text });
        return;
      case 'image':
        others.push(imagePart(part, i, j));
        return;
      case 'document':
        others.push(documentPart(part, i, j));
        return;
    }
  });
  return [...responses, ...attachments, ...others];
}

/** Function responses must lead a turn; merging keeps them ahead of the other parts. */
function mergeTurn(before: GeminiPart[], after: GeminiPart[]): GeminiPart[] {
  const isResponse = (p: GeminiPart): boolean => p.functionResponse !== undefined;
  if (!after.some(isResponse)) return [...before, ...after];
  return [...before.filter(isResponse), ...after.filter(isResponse), ...before.filter((p) => !isResponse(p)), ...after.filter((p) => !isResponse(p))];
}

function toolResponse(part: ToolResultPart): Record<string, unknown> {
  const text = typeof part.content === 'string' ? part.content : part.content.filter((p): p is TextPart => p.type === 'text').map((p) => p.text).join('\n');
  if (part.isError) return { error: text };
  const parsed = parseJsonObject(text);
  return parsed ?? { content: text };
}

function parseArguments(text: string, i: number, j: number): Record<string, unknown> {
  if (text.trim() === '') return {};
  const parsed = parseJsonObject(text);
  if (!parsed) {
    const param = `${partPath(i, j)}.arguments`;
    throw new GatewayError('invalid_request', `The tool call arguments in ${param} are not a JSON object; provider type gemini needs one.`, {
      param,
      code: 'invalid_tool_arguments',
    });
  }
  return parsed;
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  if (!text.trimStart().startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** `k`: the image's place in a tool result's content, when it is there. */
function imagePart(part: ImagePart, i: number, j: number, k?: number): GeminiPart {
  if (part.source.kind === 'base64') return { inlineData: { mimeType: part.source.mediaType, data: part.source.data } };
  return mediaFromUrl(part.source.url, () => `${partPath(i, j, k)}.image_url.url`, 'image/jpeg');
}

function documentPart(part: DocumentPart, i: number, j: number): GeminiPart {
  const { source } = part;
  if (source.kind === 'base64') return { inlineData: { mimeType: source.mediaType, data: source.data } };
  if (source.kind === 'text') return { text: part.title ? `${part.title}\n\n${source.text}` : source.text };
  return mediaFromUrl(source.url, () => `${partPath(i, j)}.url`, 'application/pdf');
}

/**
 * A URL as a part: `data:` URLs are inlined; `https:` and `gs:` URLs go as `fileData`, which
 * Gemini fetches itself (public or signed HTTPS URLs are supported since January 2026, and Files
 * API URIs are https too). Gemini needs the MIME type up front: it is guessed from the file
 * extension, else `fallback`. Plain `http:` and other schemes are refused, since Gemini will not fetch them.
 * `where` names the field, for a refusal.
 */
function mediaFromUrl(url: string, where: () => string, fallback: string): GeminiPart {
  if (url.startsWith('data:')) {
    const match = /^data:([^;,]+)(?:;[^;,]*)*;base64,(.*)$/s.exec(url);
    if (match) return { inlineData: { mimeType: match[1] as string, data: match[2] as string } };
    const param = where();
    throw new GatewayError('invalid_request', `The data URL in ${param} is not base64-encoded.`, { param, code: 'invalid_image_url' });
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    const param = where();
    throw new GatewayError('invalid_request', `The URL in ${param} is not a valid URL.`, { param, code: 'invalid_image_url' });
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'gs:') {
    const param = where();
    throw new GatewayError('invalid_request', `${parsed.protocol.replace(/:$/, '')} URLs (${param}) are not supported by provider type gemini: use https, or send the data base64-encoded.`, {
      param,
      code: 'unsupported_url',
    });
  }
  const extension = /\.([a-z0-9]+)$/i.exec(parsed.pathname)?.[1]?.toLowerCase();
  return { fileData: { mimeType: (extension && MIME_BY_EXTENSION[extension]) || fallback, fileUri: url } };
}
