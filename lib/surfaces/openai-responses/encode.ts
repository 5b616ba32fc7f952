/**
 * Canonical answers as Responses API objects: the whole `response` body, and the pieces the
 * stream encoder shares with it (output items, usage, the fields every response echoes).
 *
 * Thinking becomes `reasoning` items whose summary is the thinking text and whose
 * `encrypted_content` is the upstream's signature, marked with its family
 * (`reasoning-content.ts`), so a client that sends the items back (as Codex and
 * `input: [...input, ...response.output]` do) replays signed thinking with its tool calls, and
 * the gateway knows whose it is when the conversation has moved to another family. Redacted
 * thinking becomes a reasoning item with no summary whose `encrypted_content` carries the
 * redacted data, so it too comes back as it was; a tool call's own signature (Gemini's) rides in
 * a reasoning item just before it. A call of a custom tool the request declared (Codex's freeform
 * `apply_patch`, which the upstream saw as a function of one string) is a `custom_tool_call`
 * with that string as its `input` (`custom-tools.ts`); a call of the built-in `local_shell` tool
 * the request declared is a `local_shell_call` with its exec action (`local-shell.ts`).
 */
import { randomBytes } from 'node:crypto';
import type { ChatResponse, FinishReason, SignatureFamily } from '../../canonical/types';
import type { GatewayError } from '../../http/errors';
import type { TokenUsage } from '../../usage/tokens';
import { isName, isObject } from '../../http/json-checks';
import { customCallInput } from './custom-tools';
import { LOCAL_SHELL, localShellAction, type LocalShellAction } from './local-shell';
import { writeEncryptedContent } from './reasoning-content';

/** A reasoning item holding a tool call's signature, to stand right before that call. */
export const signatureItem = (id: string, signature: string, signedBy: SignatureFamily = 'gemini'): ReasoningItem => ({
  id,
  type: 'reasoning',
  summary: [],
  encrypted_content: writeEncryptedContent({ kind: 'call_signature', signature, signedBy }),
});

/** A reasoning item holding Claude's redacted thinking. */
export const redactedItem = (id: string, data: string): ReasoningItem => ({ id, type: 'reasoning', summary: [], encrypted_content: writeEncryptedContent({ kind: 'redacted', data }) });

/** The `encrypted_content` of a thinking run's signature; one of unknown family was Claude's before the mark. */
export const thinkingContent = (signature: string, signedBy: SignatureFamily | undefined): string => writeEncryptedContent({ kind: 'thinking', signature, signedBy: signedBy ?? 'claude' });

/** The `encrypted_content` of a thinking run no one signed: marked, so that it never reaches OpenAI. */
export const UNSIGNED_CONTENT = writeEncryptedContent({ kind: 'unsigned' });

/** Reads the wall clock in ms; tests pass a fixed one. */
export type Clock = () => number;
/** Makes an id with the given prefix (`resp`, `msg`, `fc`, `ctc`, `lsh`, `rs`); tests pass a counting one. */
export type IdMaker = (prefix: string) => string;

export const randomId: IdMaker = (prefix) => `${prefix}_${randomBytes(24).toString('hex')}`;

/** Ids counting per prefix (`msg_1`, `msg_2`, `fc_1`): reproducible output, for tests and fixtures. */
export function sequentialIds(): IdMaker {
  const seen = new Map<string, number>();
  return (prefix) => {
    const n = (seen.get(prefix) ?? 0) + 1;
    seen.set(prefix, n);
    return `${prefix}_${n}`;
  };
}

export interface OutputText {
  type: 'output_text';
  text: string;
  annotations: [];
  logprobs: [];
}
/** Words the upstream marked as its refusal (OpenAI's), as OpenAI's Responses API sends them: `responses.parse` parses no refusal. */
export interface RefusalContent {
  type: 'refusal';
  refusal: string;
}
export type MessageContent = OutputText | RefusalContent;
export interface MessageItem {
  id: string;
  type: 'message';
  status: 'in_progress' | 'completed' | 'incomplete';
  role: 'assistant';
  content: MessageContent[];
}
export interface FunctionCallItem {
  id: string;
  type: 'function_call';
  status: 'in_progress' | 'completed' | 'incomplete';
  call_id: string;
  name: string;
  arguments: string;
}
export interface CustomToolCallItem {
  id: string;
  type: 'custom_tool_call';
  status: 'in_progress' | 'completed' | 'incomplete';
  call_id: string;
  name: string;
  input: string;
}
export interface LocalShellCallItem {
  id: string;
  type: 'local_shell_call';
  status: 'in_progress' | 'completed' | 'incomplete';
  call_id: string;
  action: LocalShellAction;
}
export interface ReasoningItem {
  id: string;
  type: 'reasoning';
  summary: { type: 'summary_text'; text: string }[];
  encrypted_content?: string;
  /** Only on a run the answer's end cut: a whole one goes without, as OpenAI's reasoning items do. */
  status?: 'incomplete';
}
export type OutputItem = MessageItem | FunctionCallItem | CustomToolCallItem | LocalShellCallItem | ReasoningItem;

/** The tools a request declared that the upstream saw as functions: their calls go back as items of their own kind. */
export interface DeclaredTools {
  custom: ReadonlySet<string>;
  localShell: boolean;
}

/** What a request declaring neither has: one shared value, so that every other request allocates nothing for them. */
export const NO_DECLARED_TOOLS: DeclaredTools = Object.freeze({ custom: new Set<string>(), localShell: false });

/**
 * The custom tools (by name) and the local_shell tool a Responses request declares: calls of these
 * go back as `custom_tool_call` and `local_shell_call`. One pass over the tools, made once per answer.
 *
 * @example
 * declaredTools({ tools: [{ type: 'custom', name: 'apply_patch' }, { type: 'function', name: 'shell' }] }) // { custom: Set { 'apply_patch' }, localShell: false }
 */
export function declaredTools(request: Record<string, unknown>): DeclaredTools {
  const tools = request.tools;
  if (!Array.isArray(tools)) return NO_DECLARED_TOOLS;
  let custom: Set<string> | undefined;
  let localShell = false;
  for (const tool of tools) {
    if (!isObject(tool)) continue;
    if (tool.type === 'custom' && isName(tool.name)) (custom ??= new Set()).add(tool.name);
    else if (tool.type === LOCAL_SHELL) localShell = true;
  }
  return custom || localShell ? { custom: custom ?? NO_DECLARED_TOOLS.custom, localShell } : NO_DECLARED_TOOLS;
}

/** Whether a call named `name` is of the declared local_shell tool, whose item is known only once its arguments are whole. */
export const isLocalShellCall = (tools: DeclaredTools, name: string): boolean => tools.localShell && name === LOCAL_SHELL;

/** How an item ended: whole, or cut by the end of the answer (the token limit, a filter, an error) while it was being written. */
export type ItemEnd = 'completed' | 'incomplete';

/**
 * A tool call as the item the client declared it by: a custom tool's call, a local_shell call
 * (or, with no command in its arguments, the function call it was), or a function call. A call
 * the answer's end cut is `incomplete`, as OpenAI marks it; a cut local_shell call stays the
 * function call it was rather than get an exec action made of a part of a command. The status
 * alone stops no client: Codex reads none on a call item, and runs a function call named
 * local_shell as it runs the exec; what keeps it from running a streamed cut call is that the
 * call's arguments do not parse (`hasWholeArguments`).
 */
export function callItem(call: { id: string; name: string; arguments: string }, tools: DeclaredTools, newId: IdMaker, status: ItemEnd = 'completed'): FunctionCallItem | CustomToolCallItem | LocalShellCallItem {
  if (tools.custom.has(call.name)) return { id: newId('ctc'), type: 'custom_tool_call', status, call_id: call.id, name: call.name, input: customCallInput(call.arguments) };
  const action = status === 'completed' && isLocalShellCall(tools, call.name) ? localShellAction(call.arguments) : undefined;
  if (action) return { id: newId('lsh'), type: 'local_shell_call', status, call_id: call.id, action };
  return { id: newId('fc'), type: 'function_call', status, call_id: call.id, name: call.name, arguments: call.arguments || '{}' };
}

/**
 * Whether a streamed call's arguments, as the upstream wrote them, are whole: a JSON object
 * closed to its last brace, so whatever ended the answer came after the call. Upstreams stream
 * a call's arguments as raw JSON fragments (Gemini, its calls whole), so a call the end cut
 * leaves a prefix that does not parse.
 */
export function hasWholeArguments(args: string): boolean {
  try {
    return isObject(JSON.parse(args));
  } catch {
    return false;
  }
}

export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete' | 'failed';

/** TokenUsage as the Responses API's `usage` (`input_tokens` counts cached tokens too, as `input` does). */
export function responsesUsage(usage: TokenUsage): ResponsesUsage {
  return {
    input_tokens: usage.input,
    input_tokens_details: { cached_tokens: usage.cacheRead },
    output_tokens: usage.output,
    output_tokens_details: { reasoning_tokens: usage.reasoning },
    total_tokens: usage.input + usage.output,
  };
}

export const outputText = (text: string): OutputText => ({ type: 'output_text', text, annotations: [], logprobs: [] });
export const refusalContent = (refusal: string): RefusalContent => ({ type: 'refusal', refusal });

/** The content part a text run goes in: a refusal part for words marked as a refusal, else output_text. */
export const contentFor = (refusal: boolean | undefined): MessageContent => (refusal ? refusalContent('') : outputText(''));
/** `contentFor`'s type, for a run that may go on in the part already open. */
export const contentTypeOf = (refusal: boolean | undefined): MessageContent['type'] => (refusal ? 'refusal' : 'output_text');

/** Adds `text` to a content part of its own kind. */
export function appendTo(part: MessageContent, text: string): void {
  if (part.type === 'refusal') part.refusal += text;
  else part.text += text;
}

/**
 * How a finish reads in a response: its status and `incomplete_details`. `refused`: the answer
 * holds a refusal part. Its `content_filter` finish (which tells other surfaces' clients of the
 * refusal) is then a completed response, as OpenAI's Responses API ends a refusal: the part tells.
 */
export function statusOf(reason: FinishReason, refused = false): { status: ResponseStatus; incomplete_details: { reason: 'max_output_tokens' | 'content_filter' } | null } {
  if (reason === 'length') return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (reason === 'content_filter' && !refused) return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  if (reason === 'error') return { status: 'failed', incomplete_details: null };
  return { status: 'completed', incomplete_details: null };
}

/**
 * How the item being written when the answer ended ended: a response that is not `completed`
 * (the token limit, a filter, an upstream error) was cut in the middle of it, as OpenAI's is.
 */
export const lastItemEnd = (status: ResponseStatus): ItemEnd => (status === 'completed' ? 'completed' : 'incomplete');

/** The error of a response whose upstream finished it by an error (a malformed tool call), streamed or not. */
export const FINISHED_BY_ERROR = Object.freeze({ code: 'server_error', message: 'The upstream provider ended the answer with an error.' });

const orNull = (v: unknown) => (v === undefined ? null : v);

/**
 * A response object around `output`: the request's settings echoed as the real API does (SDK
 * helpers and typed code read them), with OpenAI's defaults for what the client left out.
 * `store` is false whatever was asked: the gateway keeps no responses.
 */
export function responseObject(
  frame: { id: string; createdAt: number; model: string; request: Record<string, unknown> },
  state: { status: ResponseStatus; output: OutputItem[]; usage: TokenUsage | null; incomplete_details?: unknown; error?: unknown },
): Record<string, unknown> {
  const req = frame.request;
  const reasoning = (req.reasoning ?? {}) as { effort?: unknown; summary?: unknown };
  const text = (req.text ?? {}) as { format?: unknown; verbosity?: unknown };
  return {
    id: frame.id,
    object: 'response',
    created_at: frame.createdAt,
    status: state.status,
    background: false,
    error: state.error ?? null,
    incomplete_details: state.incomplete_details ?? null,
    instructions: orNull(req.instructions),
    max_output_tokens: orNull(req.max_output_tokens),
    max_tool_calls: orNull(req.max_tool_calls),
    model: frame.model,
    output: state.output,
    parallel_tool_calls: req.parallel_tool_calls ?? true,
    previous_response_id: null,
    prompt_cache_key: orNull(req.prompt_cache_key),
    reasoning: { effort: orNull(reasoning.effort), summary: orNull(reasoning.summary) },
    safety_identifier: orNull(req.safety_identifier),
    service_tier: 'default',
    store: false,
    temperature: req.temperature ?? 1,
    text: { format: text.format ?? { type: 'text' }, verbosity: text.verbosity ?? 'medium' },
    tool_choice: req.tool_choice ?? 'auto',
    tools: req.tools ?? [],
    top_logprobs: req.top_logprobs ?? 0,
    top_p: req.top_p ?? 1,
    truncation: req.truncation ?? 'disabled',
    usage: state.usage ? responsesUsage(state.usage) : null,
    user: orNull(req.user),
    metadata: req.metadata ?? {},
  };
}

/** The Responses error object of a failed response (and of the stream's `error` event). */
export function responsesError(err: GatewayError): { code: string; message: string } {
  return { code: err.code ?? (err.status >= 500 ? 'server_error' : 'invalid_request'), message: err.message };
}

/** A response id; an upstream id is kept inside it for tracing, as the chat surface does. */
export function responseId(upstreamId: string | undefined, newId: IdMaker): string {
  if (!upstreamId) return newId('resp');
  return upstreamId.startsWith('resp_') ? upstreamId : `resp_${upstreamId}`;
}

/**
 * The whole answer as a Responses API `response`. `model` is the name the client asked for,
 * `request` the client's body (echoed settings).
 *
 * @example
 * encodeResponse({ id: 'msg_1', model: 'claude-x', parts: [{ type: 'text', text: 'Hi' }], finishReason: 'stop', usage }, 'gpt-4.1', { input: 'Hi' });
 * // → { id: 'resp_msg_1', object: 'response', status: 'completed', output: [{ type: 'message', content: [{ type: 'output_text', text: 'Hi', … }], … }], … }
 */
export function encodeResponse(res: ChatResponse, model: string, request: Record<string, unknown>, now: Clock = Date.now, newId: IdMaker = randomId): Record<string, unknown> {
  const output: OutputItem[] = [];
  const tools = declaredTools(request);
  const { status, incomplete_details } = statusOf(res.finishReason, res.parts.some((p) => p.type === 'text' && p.refusal));
  const lastPart = res.parts.length - 1;
  let message: MessageItem | undefined;
  for (const [i, part] of res.parts.entries()) {
    // Redacted thinking comes whole, so only a text run, a thinking run or a call can be cut. A
    // whole answer's call comes parsed (Anthropic's tool_use cut by max_tokens too), so unlike a
    // streamed one (`hasWholeArguments`) its arguments cannot tell: the last part of a cut answer counts as cut.
    const end: ItemEnd = i === lastPart ? lastItemEnd(status) : 'completed';
    if (part.type === 'text') {
      if (!message) output.push((message = { id: newId('msg'), type: 'message', status: 'completed', role: 'assistant', content: [] }));
      // A run of the other kind (text after refusal words, or these after text) is a part of its own.
      let last = message.content.at(-1);
      if (last?.type !== contentTypeOf(part.refusal)) message.content.push((last = contentFor(part.refusal)));
      appendTo(last, part.text);
      message.status = end;
      continue;
    }
    message = undefined;
    if (part.type === 'thinking') {
      const encrypted = part.signature ? thinkingContent(part.signature, part.signedBy) : UNSIGNED_CONTENT;
      output.push({ id: newId('rs'), type: 'reasoning', summary: part.text ? [{ type: 'summary_text', text: part.text }] : [], encrypted_content: encrypted, ...(end === 'incomplete' ? { status: end } : {}) });
    } else if (part.type === 'redacted_thinking') {
      output.push(redactedItem(newId('rs'), part.data));
    } else if (part.type === 'tool_call') {
      if (part.signature) output.push(signatureItem(newId('rs'), part.signature, part.signedBy));
      output.push(callItem(part, tools, newId, end));
    }
  }
  const error = status === 'failed' ? FINISHED_BY_ERROR : null;
  return responseObject({ id: responseId(res.id, newId), createdAt: Math.floor(now() / 1000), model, request }, { status, output, usage: res.usage, incomplete_details, error });
}
