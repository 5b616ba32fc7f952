/**
 * A Responses API body as the canonical request, for targets the gateway translates for
 * (Anthropic, Gemini, Bedrock, and OpenAI-compatible servers by default).
 *
 * Decisions on what has no one-to-one mapping:
 * - `instructions` and `system` / `developer` messages become system parts, in order.
 * - `function_call` items join the assistant turn before them; `function_call_output` items
 *   become `tool_result` parts of one user message (a user message right after joins it), as
 *   the canonical form expects; each result gets the tool's name from the call it answers.
 * - Custom (freeform) tools, such as Codex's `apply_patch`, become function tools taking their
 *   text as one string argument, and `custom_tool_call` / `custom_tool_call_output` items the
 *   function calls and results they stand for (`custom-tools.ts`); the encoders turn calls of
 *   these tools back into `custom_tool_call` items. The built-in `local_shell` tool, whose calls
 *   the client runs (Codex with codex-mini), is translated the same way (`local-shell.ts`).
 * - `reasoning` items come back as thinking only with `encrypted_content`, which this surface
 *   fills with the upstream's signature marked with its family, or with redacted thinking (and,
 *   for a Gemini tool call's thought signature, with that, which goes onto the next call; see
 *   `reasoning-content.ts`): unsigned reasoning cannot be replayed to Anthropic. OpenAI's own
 *   items (replayed after a switch from an OpenAI model) become thinking signed by `openai`,
 *   which only an OpenAI target would take, and the translating builders drop.
 * - `web_search_call` items (a search OpenAI ran, in a history begun on an OpenAI model) are left
 *   out: they hold only the query, and what the search found is in the answer after them.
 * - What needs state the gateway does not keep is refused: `previous_response_id`,
 *   `conversation`, stored `prompt` templates, `background` runs, `item_reference` items and
 *   uploaded files (`file_id`). So are OpenAI's built-in tools that OpenAI runs (web search,
 *   file search, computer use, code interpreter…) and their items, but for `web_search_call`.
 * - Bookkeeping for OpenAI's own platform is ignored: `store`, `metadata`, `include`,
 *   `service_tier`, `truncation`, `prompt_cache_key`, `text.verbosity`, `reasoning.summary`.
 */
import type { AssistantPart, ChatRequest, SignatureFamily, ImagePart, Message, ResponseFormat, TextPart, ToolChoice, ToolDefinition, ToolResultPart, UserPart } from '../../canonical/types';
import { untranslatable } from '../../http/errors';
import { isName, isObject, isText, type Json } from '../../http/json-checks';
import { HistoryBuilder } from '../history';
import { parseDataUrl } from '../openai-chat/decode';
import { customCallArguments, freeformTool } from './custom-tools';
import { LOCAL_SHELL, localShellCallArguments, localShellCallId, localShellTool } from './local-shell';
import { readEncryptedContent } from './reasoning-content';
import { invalidField, parseResponsesRequest } from './request';

/** Top-level fields refused when set: each needs something only OpenAI's servers keep or run. */
const REFUSED_FIELDS: ReadonlyArray<{ field: string; isSet: (v: unknown) => boolean; what: string }> = [
  { field: 'previous_response_id', isSet: (v) => v != null, what: 'Continuing a stored response (previous_response_id; the gateway keeps no responses: send the whole conversation as input)' },
  { field: 'conversation', isSet: (v) => v != null, what: 'A stored conversation (conversation; send the whole conversation as input)' },
  { field: 'prompt', isSet: (v) => v != null, what: 'A stored prompt template (prompt)' },
  { field: 'background', isSet: (v) => v === true, what: 'Background responses' },
];

const EFFORTS = new Set(['minimal', 'low', 'medium', 'high']);

/**
 * Validates a Responses API body and decodes it into the canonical request. Throws a
 * GatewayError 400 naming the field for anything invalid or untranslatable.
 *
 * @example
 * const req = decodeResponsesRequest({ model: 'gpt-4.1', instructions: 'Be terse.', input: 'Hi' });
 * // req.system → [{ type: 'text', text: 'Be terse.' }], req.messages → [{ role: 'user', parts: [{ type: 'text', text: 'Hi' }] }]
 */
export function decodeResponsesRequest(raw: Record<string, unknown>): ChatRequest {
  const body = parseResponsesRequest(raw);
  for (const { field, isSet, what } of REFUSED_FIELDS) if (isSet(raw[field])) throw untranslatable(field, what);
  if (body.input === undefined) throw invalidField('input', 'required when the request is translated.');

  const system: TextPart[] = body.instructions ? [{ type: 'text', text: body.instructions }] : [];
  const messages = typeof body.input === 'string' ? [{ role: 'user' as const, parts: [{ type: 'text' as const, text: body.input }] }] : decodeItems(body.input as Json[], system);
  const req: ChatRequest = { model: body.model, system, messages, stream: body.stream === true };
  if (body.tools?.length) req.tools = toolsOf(body.tools);
  const toolChoice = toolChoiceOf(raw.tool_choice);
  if (toolChoice) req.toolChoice = toolChoice;
  if (typeof raw.parallel_tool_calls === 'boolean') req.parallelToolCalls = raw.parallel_tool_calls;
  if (body.max_output_tokens != null) req.maxTokens = body.max_output_tokens;
  if (body.temperature != null) req.temperature = body.temperature;
  if (body.top_p != null) req.topP = body.top_p;
  const format = formatOf(raw.text);
  if (format) req.responseFormat = format;
  const effort = effortOf(raw.reasoning);
  if (effort) req.reasoning = { effort };
  const user = body.user || (isName(raw.safety_identifier) ? raw.safety_identifier : undefined);
  if (user) req.user = user;
  return req;
}

/** The input items as canonical messages; system and developer messages go to `system`. */
function decodeItems(items: readonly Json[], system: TextPart[]): Message[] {
  const history = new HistoryBuilder();
  // A tool call's signature (Gemini's thoughtSignature) travels in the reasoning item before it.
  let signature: { signature: string; signedBy: SignatureFamily } | undefined;
  items.forEach((item, i) => {
    const path = `input[${i}]`;
    const type = item.type ?? (item.role !== undefined ? 'message' : undefined);
    switch (type) {
      case 'message': {
        const role = item.role;
        if (role === 'system' || role === 'developer') system.push(...textParts(item.content, `${path}.content`, 'input_text'));
        else if (role === 'user') history.user(userParts(item.content, `${path}.content`));
        else if (role === 'assistant') history.assistant(textParts(item.content, `${path}.content`, 'output_text'), { continueTurn: true });
        else throw invalidField(`${path}.role`, "expected 'user', 'assistant', 'system' or 'developer'.");
        return;
      }
      case 'function_call': {
        if (!isName(item.call_id)) throw invalidField(`${path}.call_id`, 'expected a non-empty string.');
        if (!isName(item.name)) throw invalidField(`${path}.name`, 'expected a non-empty string.');
        if (!isText(item.arguments)) throw invalidField(`${path}.arguments`, 'expected a string of JSON.');
        history.assistant([{ type: 'tool_call', id: item.call_id, name: item.name, arguments: item.arguments, ...signature }], { continueTurn: true });
        signature = undefined;
        return;
      }
      case 'custom_tool_call': {
        if (!isName(item.call_id)) throw invalidField(`${path}.call_id`, 'expected a non-empty string.');
        if (!isName(item.name)) throw invalidField(`${path}.name`, 'expected a non-empty string.');
        if (!isText(item.input)) throw invalidField(`${path}.input`, 'expected a string.');
        history.assistant([{ type: 'tool_call', id: item.call_id, name: item.name, arguments: customCallArguments(item.input), ...signature }], { continueTurn: true });
        signature = undefined;
        return;
      }
      case 'local_shell_call': {
        const callId = localShellCallId(item);
        if (!isName(callId)) throw invalidField(`${path}.call_id`, 'expected a non-empty string.');
        history.assistant([{ type: 'tool_call', id: callId, name: LOCAL_SHELL, arguments: localShellCallArguments(item.action, `${path}.action`), ...signature }], { continueTurn: true });
        signature = undefined;
        return;
      }
      case 'function_call_output':
      case 'custom_tool_call_output':
        if (!isName(item.call_id)) throw invalidField(`${path}.call_id`, 'expected a non-empty string.');
        history.toolResult({ type: 'tool_result', toolCallId: item.call_id, content: outputOf(item.output, `${path}.output`) });
        return;
      case 'local_shell_call_output': {
        const callId = localShellCallId(item);
        if (!isName(callId)) throw invalidField(`${path}.call_id`, 'expected a non-empty string.');
        history.toolResult({ type: 'tool_result', toolCallId: callId, content: outputOf(item.output, `${path}.output`) });
        return;
      }
      case 'reasoning': {
        const carried = isName(item.encrypted_content) ? readEncryptedContent(item.encrypted_content) : undefined;
        if (carried?.kind === 'call_signature') {
          signature = { signature: carried.signature, signedBy: carried.signedBy };
          return;
        }
        const thinking = carried && reasoningOf(item, carried, path);
        if (thinking) history.assistant([thinking], { continueTurn: true });
        return;
      }
      case 'web_search_call':
        // A search OpenAI ran (history from a session that began on an OpenAI model): the item
        // records only the query, and what the search found is in the assistant's answer after it.
        // The web_search tool itself, which only OpenAI runs, is still refused (toolOf).
        return;
      case 'item_reference':
        // Clients with `store: true` (the Vercel AI SDK's default) refer to their earlier reasoning
        // items this way; with `store: false` they send the items, encrypted content and all.
        throw untranslatable(`${path}.type`, 'A reference to a stored item (item_reference; the gateway keeps no responses: send the items themselves, as clients do with store: false)');
      default:
        if (!isName(type)) throw invalidField(`${path}.type`, 'expected an input item type.');
        throw untranslatable(`${path}.type`, `The input item type '${type}'`);
    }
  });
  return history.messages;
}

/** Text content of system, developer and assistant messages: a string or parts of `kind` (assistant history may hold refusals). */
function textParts(content: unknown, path: string, kind: 'input_text' | 'output_text'): TextPart[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  if (!Array.isArray(content)) throw invalidField(path, 'expected a string or an array of content parts.');
  return content.flatMap((part: unknown, j): TextPart[] => {
    const at = `${path}[${j}]`;
    if (!isObject(part)) throw invalidField(at, 'expected a content part.');
    // Clients replay whole messages: accept input_text in assistant turns and output_text in others, as OpenAI does.
    if ((part.type === kind || part.type === 'input_text' || part.type === 'output_text') && isText(part.text)) return part.text === '' ? [] : [{ type: 'text', text: part.text }];
    if (kind === 'output_text' && part.type === 'refusal' && isText(part.refusal)) return [{ type: 'text', text: part.refusal }];
    throw invalidField(`${at}.type`, `expected '${kind}' with text.`);
  });
}

function userParts(content: unknown, path: string): UserPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) throw invalidField(path, 'expected a string or an array of content parts.');
  return content.map((part: unknown, j) => userPart(part, `${path}[${j}]`, true));
}

function userPart(part: unknown, at: string, filesAllowed: boolean): UserPart {
  if (!isObject(part)) throw invalidField(at, 'expected a content part.');
  switch (part.type) {
    case 'input_text':
    case 'output_text':
      if (!isText(part.text)) throw invalidField(`${at}.text`, 'expected a string.');
      return { type: 'text', text: part.text };
    case 'input_image':
      return imageOf(part, at);
    case 'input_file':
      if (!filesAllowed) throw untranslatable(at, 'A file in a function call output');
      return fileOf(part, at);
    case 'input_audio':
      throw untranslatable(at, 'Audio input (input_audio)');
    default:
      throw invalidField(`${at}.type`, "expected 'input_text', 'input_image' or 'input_file'.");
  }
}

function imageOf(part: Json, at: string): ImagePart {
  if (part.file_id != null) throw untranslatable(`${at}.file_id`, 'An image uploaded to OpenAI (file_id)');
  const url = part.image_url;
  if (!isName(url)) throw invalidField(`${at}.image_url`, 'expected a URL or a base64 data URL.');
  const data = url.startsWith('data:') ? parseDataUrl(url) : undefined;
  if (url.startsWith('data:') && !data) throw invalidField(`${at}.image_url`, 'a data URL must be base64 (data:<type>;base64,…).');
  const detail = isName(part.detail) && part.detail !== 'auto' ? { detail: part.detail } : {};
  return { type: 'image', source: data ? { kind: 'base64', ...data } : { kind: 'url', url }, ...detail };
}

function fileOf(part: Json, at: string): UserPart {
  if (part.file_id != null) throw untranslatable(`${at}.file_id`, 'A file uploaded to OpenAI (file_id)');
  const title = isName(part.filename) ? { title: part.filename } : {};
  if (isName(part.file_url)) return { type: 'document', source: { kind: 'url', url: part.file_url }, ...title };
  if (!isName(part.file_data)) throw invalidField(`${at}.file_data`, 'expected the file as base64 (or a data URL).');
  // OpenAI's examples send a data URL; plain base64 is taken as the PDF it documents.
  const data = part.file_data.startsWith('data:') ? parseDataUrl(part.file_data) : { mediaType: 'application/pdf', data: part.file_data };
  if (!data) throw invalidField(`${at}.file_data`, 'a data URL must be base64 (data:application/pdf;base64,…).');
  return { type: 'document', source: { kind: 'base64', ...data }, ...title };
}

function outputOf(output: unknown, path: string): ToolResultPart['content'] {
  if (typeof output === 'string') return output;
  if (!Array.isArray(output)) throw invalidField(path, 'expected a string or an array of content parts.');
  return output.map((part: unknown, j) => userPart(part, `${path}[${j}]`, false) as TextPart | ImagePart);
}

/**
 * A reasoning item this surface wrote (its summary is the thinking, its encrypted_content the
 * signature, or the redacted thinking behind its marker), as thinking.
 */
function reasoningOf(item: Json, carried: Exclude<ReturnType<typeof readEncryptedContent>, { kind: 'call_signature' }>, path: string): AssistantPart | undefined {
  if (carried.kind === 'redacted') return { type: 'redacted_thinking', data: carried.data };
  if (carried.kind === 'unsigned' || carried.signature === '') return undefined;
  const summary = Array.isArray(item.summary) ? item.summary : [];
  const text = summary.map((s: unknown, j) => {
    if (!isObject(s) || !isText(s.text)) throw invalidField(`${path}.summary[${j}]`, 'expected a summary_text part.');
    return s.text;
  });
  return { type: 'thinking', text: text.join(''), signature: carried.signature, signedBy: carried.signedBy };
}

/**
 * The tools as functions, each name once: a custom tool or the local_shell tool named as another
 * tool would reach the upstream as a second function of that name, and a call of it could not
 * say which tool the client meant.
 */
function toolsOf(tools: readonly Json[]): ToolDefinition[] {
  const names = new Set<string>();
  return tools.map((tool, i) => {
    const def = toolOf(tool, `tools[${i}]`);
    if (names.has(def.name)) throw invalidField(`tools[${i}].${tool.type === LOCAL_SHELL ? 'type' : 'name'}`, `another tool is named '${def.name}': tool names must be unique.`);
    names.add(def.name);
    return def;
  });
}

function toolOf(tool: Json, path: string): ToolDefinition {
  if (tool.type === 'custom') return freeformTool(tool, path);
  if (tool.type === LOCAL_SHELL) return localShellTool();
  if (tool.type !== 'function') throw untranslatable(`${path}.type`, `The built-in tool '${String(tool.type)}'`);
  if (!isName(tool.name)) throw invalidField(`${path}.name`, 'expected a non-empty string.');
  const def: ToolDefinition = { name: tool.name, parameters: isObject(tool.parameters) ? tool.parameters : { type: 'object', properties: {} } };
  if (isText(tool.description)) def.description = tool.description;
  if (typeof tool.strict === 'boolean') def.strict = tool.strict;
  return def;
}

function toolChoiceOf(choice: unknown): ToolChoice | undefined {
  if (choice == null) return undefined;
  if (choice === 'auto' || choice === 'none' || choice === 'required') return { type: choice };
  if (isObject(choice) && (choice.type === 'function' || choice.type === 'custom')) {
    if (!isName(choice.name)) throw invalidField('tool_choice.name', 'expected a non-empty string.');
    return { type: 'tool', name: choice.name };
  }
  if (isObject(choice) && isName(choice.type)) throw untranslatable('tool_choice', `The tool choice '${choice.type}'`);
  throw invalidField('tool_choice', "expected 'auto', 'none', 'required', a function or a custom tool.");
}

function formatOf(text: unknown): ResponseFormat | undefined {
  if (!isObject(text) || text.format == null) return undefined;
  const format = text.format;
  if (!isObject(format)) throw invalidField('text.format', 'expected an object.');
  if (format.type === 'text' || format.type === 'json_object') return { type: format.type };
  if (format.type !== 'json_schema') throw invalidField('text.format.type', "expected 'text', 'json_object' or 'json_schema'.");
  if (!isName(format.name)) throw invalidField('text.format.name', 'expected a non-empty string.');
  if (!isObject(format.schema)) throw invalidField('text.format.schema', 'expected a JSON Schema object.');
  return {
    type: 'json_schema',
    name: format.name,
    schema: format.schema,
    ...(typeof format.strict === 'boolean' ? { strict: format.strict } : {}),
    ...(isText(format.description) ? { description: format.description } : {}),
  };
}

/** `none` is every other provider's default; `xhigh` has no equivalent elsewhere and asks for the most there is. */
function effortOf(reasoning: unknown): NonNullable<ChatRequest['reasoning']>['effort'] | undefined {
  if (!isObject(reasoning) || reasoning.effort == null || reasoning.effort === 'none') return undefined;
  if (reasoning.effort === 'xhigh') return 'high';
  if (!EFFORTS.has(reasoning.effort as string)) throw invalidField('reasoning.effort', "expected 'none', 'minimal', 'low', 'medium', 'high' or 'xhigh'.");
  return reasoning.effort as NonNullable<ChatRequest['reasoning']>['effort'];
}
