/**
 * Canonical stream events as the Responses API's SSE: named events, each with a
 * `sequence_number`, in the order OpenAI sends them (response.created, response.in_progress,
 * then per output item: output_item.added, its parts and deltas, their `.done` events,
 * output_item.done; at the end response.completed or response.incomplete with the whole
 * response and its usage). The final event waits for the end of the canonical events, because
 * usage may follow the finish.
 *
 * A call of a custom tool the request declared streams as a `custom_tool_call`: its text is the
 * `input` inside the JSON arguments the upstream streams, which only the whole arguments yield, so
 * its input comes in one `custom_tool_call_input.delta` when the call ends, then `.done`. A call
 * of the declared `local_shell` tool is written whole when it ends (added, then done), as a
 * `local_shell_call` with its action: OpenAI streams no deltas of one.
 *
 * Words the upstream marked as its refusal (OpenAI Chat's `refusal` deltas) go in a `refusal`
 * content part (`response.refusal.delta`, `.done`), as OpenAI's Responses API streams a refusal,
 * and their `content_filter` finish is a completed response: `responses.parse` and the stream
 * helpers read the part, where refusal words as text of an incomplete response told them nothing.
 * Text and refusal words in one answer are a part each, one done before the next opens.
 *
 * The item being written when the answer ends by the token limit, a filter or an error is
 * `incomplete` in its `output_item.done` and in the final response, as OpenAI's is, so that a
 * client that reads the status runs no call cut in half. Upstreams end a cut call as they end a whole one (Anthropic
 * stops the block), but its arguments tell: a call whose JSON closed is whole and done at its end,
 * with no wait (Codex runs a call on its `output_item.done`); only a call whose arguments do not
 * parse waits for the next event, which says whether the answer's end cut it.
 */
import type { FinishReason, SignatureFamily, StreamEvent } from '../../canonical/types';
import type { GatewayError } from '../../http/errors';
import { sseEvent } from '../../http/sse';
import { failureEvents, type ResponsesError } from './failed-end';
import { streamEndedError } from '../../http/stream-ended';
import { NO_TOKENS, type TokenUsage } from '../../usage/tokens';
import { customCallInput } from './custom-tools';
import {
  appendTo,
  callItem,
  contentFor,
  contentTypeOf,
  declaredTools,
  hasWholeArguments,
  isLocalShellCall,
  lastItemEnd,
  FINISHED_BY_ERROR,
  outputText,
  redactedItem,
  signatureItem,
  thinkingContent,
  UNSIGNED_CONTENT,
  randomId,
  responseId,
  responseObject,
  statusOf,
  type Clock,
  type CustomToolCallItem,
  type DeclaredTools,
  type FunctionCallItem,
  type IdMaker,
  type ItemEnd,
  type MessageItem,
  type OutputItem,
  type ReasoningItem,
} from './encode';

interface Open<T extends OutputItem = OutputItem> {
  item: T;
  index: number;
  /** A custom or local_shell call's JSON arguments so far, read for its input or action when it closes. */
  arguments?: string;
  /** A local_shell call: not in the output until it closes, whole. */
  deferred?: true;
  /** A call whose end the upstream sent with arguments that do not parse: it takes no more deltas, but stays open until what follows shows whether the answer's end cut it. */
  ended?: true;
}

/** Writes one stream's events, numbering them; holds the items so the final response repeats them exactly. */
class ResponsesStreamWriter {
  #sequence = 0;
  readonly output: OutputItem[] = [];
  #open: Open | undefined;
  /** Whether a refusal part was written (`statusOf`). */
  #refused = false;
  frame: { id: string; createdAt: number; model: string; request: Record<string, unknown> } | undefined;

  /** `tools`: the tools the request declared whose calls go back as items of their own kind. */
  constructor(
    readonly newId: IdMaker,
    readonly tools: DeclaredTools,
  ) {}

  event(type: string, fields: Record<string, unknown>): string {
    return sseEvent(type, { type, ...fields, sequence_number: this.#sequence++ });
  }

  start(frame: NonNullable<ResponsesStreamWriter['frame']>): string {
    this.frame = frame;
    const response = responseObject(frame, { status: 'in_progress', output: [], usage: null });
    return this.event('response.created', { response }) + this.event('response.in_progress', { response });
  }

  /** Opens an item of `type` unless one is open already; closes another kind first. */
  #ensure<T extends MessageItem | ReasoningItem>(type: T['type'], make: () => T): { out: string; open: Open<T> } {
    let out = '';
    if (this.#open?.item.type === type) return { out, open: this.#open as Open<T> };
    out += this.close();
    const item = make();
    const open: Open<T> = { item, index: this.output.length };
    this.output.push(item);
    this.#open = open;
    out += this.event('response.output_item.added', { output_index: open.index, item: structuredClone(item) });
    return { out, open };
  }

  /** `refusal`: words the upstream marked as its refusal, which go in a refusal part (`response.refusal.delta`). */
  text(delta: string, refusal?: true): string {
    const { out, open } = this.#ensure<MessageItem>('message', () => ({ id: this.newId('msg'), type: 'message', status: 'in_progress', role: 'assistant', content: [] }));
    let text = out;
    let index = open.item.content.length - 1;
    // A run of the other kind (text after refusal words, or these after text) is a part of its own: the open one is done.
    // Told by its type alone: a delta allocates no part unless it opens one.
    if (open.item.content[index]?.type !== contentTypeOf(refusal)) {
      if (index >= 0) text += this.#partDone(open, index);
      index = open.item.content.push(contentFor(refusal)) - 1;
      text += this.event('response.content_part.added', { item_id: open.item.id, output_index: open.index, content_index: index, part: contentFor(refusal) });
    }
    const at = { item_id: open.item.id, output_index: open.index, content_index: index };
    const part = open.item.content[index]!;
    if (part.type === 'refusal') this.#refused = true;
    appendTo(part, delta);
    return text + (part.type === 'refusal' ? this.event('response.refusal.delta', { ...at, delta }) : this.event('response.output_text.delta', { ...at, delta, logprobs: [] }));
  }

  /** The `.done` events of a message's content part `index`, whole. */
  #partDone(open: Open<MessageItem>, index: number): string {
    const part = open.item.content[index]!;
    const at = { item_id: open.item.id, output_index: open.index, content_index: index };
    const done = part.type === 'refusal' ? this.event('response.refusal.done', { ...at, refusal: part.refusal }) : this.event('response.output_text.done', { ...at, text: part.text, logprobs: [] });
    return done + this.event('response.content_part.done', { ...at, part: structuredClone(part) });
  }

  thinking(delta: string): string {
    // A signature ended the open run: this is another thinking block, with its own item and signature.
    const signed = this.#open?.item.type === 'reasoning' && this.#open.item.encrypted_content !== undefined ? this.close() : '';
    const { out, open } = this.#ensure<ReasoningItem>('reasoning', () => ({ id: this.newId('rs'), type: 'reasoning', summary: [] }));
    let text = signed + out;
    const at = { item_id: open.item.id, output_index: open.index, summary_index: 0 };
    if (open.item.summary.length === 0) {
      open.item.summary.push({ type: 'summary_text', text: '' });
      text += this.event('response.reasoning_summary_part.added', { ...at, part: { type: 'summary_text', text: '' } });
    }
    open.item.summary[0]!.text += delta;
    return text + this.event('response.reasoning_summary_text.delta', { ...at, delta });
  }

  /** A signature ends a thinking run (Anthropic's signature_delta comes before the block stops): it goes on the latest reasoning item. */
  signature(signature: string, signedBy: SignatureFamily | undefined): void {
    const item = [...this.output].reverse().find((i): i is ReasoningItem => i.type === 'reasoning');
    if (item) item.encrypted_content = thinkingContent(signature, signedBy);
  }

  /** A reasoning item that comes whole (redacted thinking, a tool call's signature): added and done at once. */
  whole(item: ReasoningItem): string {
    const out = this.close();
    const index = this.output.length;
    this.output.push(item);
    return out + this.event('response.output_item.added', { output_index: index, item: structuredClone(item) }) + this.event('response.output_item.done', { output_index: index, item: structuredClone(item) });
  }

  toolStart(id: string, name: string, signature: string | undefined, signedBy: SignatureFamily | undefined): string {
    const out = this.close() + (signature ? this.whole(signatureItem(this.newId('rs'), signature, signedBy)) : '');
    if (isLocalShellCall(this.tools, name)) {
      this.#open = { item: { id: '', type: 'function_call', status: 'in_progress', call_id: id, name, arguments: '' }, index: this.output.length, arguments: '', deferred: true };
      return out;
    }
    const custom = this.tools.custom.has(name);
    const item: FunctionCallItem | CustomToolCallItem = custom
      ? { id: this.newId('ctc'), type: 'custom_tool_call', status: 'in_progress', call_id: id, name, input: '' }
      : { id: this.newId('fc'), type: 'function_call', status: 'in_progress', call_id: id, name, arguments: '' };
    const index = this.output.length;
    this.#open = custom ? { item, index, arguments: '' } : { item, index };
    this.output.push(item);
    return out + this.event('response.output_item.added', { output_index: index, item: structuredClone(item) });
  }

  /**
   * The upstream ended the open call. Whole arguments close it now, completed. Others wait for
   * what comes next: a cut call ends too (Anthropic stops a block the token limit cut), and only
   * a finish that cuts the answer right after it tells the client the call is incomplete.
   */
  toolEnd(): string {
    const open = this.#open;
    if (open?.item.type !== 'function_call' && open?.item.type !== 'custom_tool_call') return '';
    // A custom or local_shell call keeps its arguments aside; a function call's are on its item.
    const args = open.arguments ?? (open.item.type === 'function_call' ? open.item.arguments : '');
    if (hasWholeArguments(args)) return this.close();
    open.ended = true;
    return '';
  }

  toolDelta(delta: string): string {
    const open = this.#open;
    if (open?.ended) return '';
    if (open?.arguments !== undefined) {
      open.arguments += delta;
      return '';
    }
    if (open?.item.type !== 'function_call' || !delta) return '';
    open.item.arguments += delta;
    return this.event('response.function_call_arguments.delta', { item_id: open.item.id, output_index: open.index, delta });
  }

  /** Closes the open item with its `.done` events; `end` says whether the answer's end cut it. */
  close(end: ItemEnd = 'completed'): string {
    const open = this.#open;
    if (!open) return '';
    this.#open = undefined;
    if (open.deferred) return this.#closeWhole(open, end);
    const at = { item_id: open.item.id, output_index: open.index };
    let out = '';
    const item = open.item;
    switch (item.type) {
      case 'message':
        if (item.content.length === 0) item.content.push(outputText(''));
        out += this.#partDone(open as Open<MessageItem>, item.content.length - 1);
        break;
      case 'reasoning': {
        // A run no signature ended is unsigned (a signature that comes after the close still replaces the mark in the final response).
        item.encrypted_content ??= UNSIGNED_CONTENT;
        const summary = item.summary[0];
        if (summary) {
          out += this.event('response.reasoning_summary_text.done', { ...at, summary_index: 0, text: summary.text });
          out += this.event('response.reasoning_summary_part.done', { ...at, summary_index: 0, part: structuredClone(summary) });
        }
        break;
      }
      case 'function_call':
        item.arguments ||= '{}';
        out += this.event('response.function_call_arguments.done', { ...at, name: item.name, arguments: item.arguments });
        break;
      case 'custom_tool_call':
        item.input = customCallInput(open.arguments ?? '');
        if (item.input) out += this.event('response.custom_tool_call_input.delta', { ...at, delta: item.input });
        out += this.event('response.custom_tool_call_input.done', { ...at, input: item.input });
        break;
    }
    if (item.type !== 'reasoning') item.status = end;
    else if (end === 'incomplete') item.status = end;
    return out + this.event('response.output_item.done', { output_index: open.index, item: structuredClone(item) });
  }

  /** A call written only once whole: added, its arguments done if it is a function call after all, done. */
  #closeWhole(open: Open, end: ItemEnd): string {
    const call = open.item;
    if (call.type !== 'function_call') return ''; // toolStart holds a deferred call as a function call until it is whole.
    const item = callItem({ id: call.call_id, name: call.name, arguments: open.arguments ?? '' }, this.tools, this.newId, end);
    this.output.push(item);
    const at = { item_id: item.id, output_index: open.index };
    let out = this.event('response.output_item.added', { output_index: open.index, item: { ...structuredClone(item), status: 'in_progress' } });
    if (item.type === 'function_call') out += this.event('response.function_call_arguments.done', { ...at, name: item.name, arguments: item.arguments });
    return out + this.event('response.output_item.done', { output_index: open.index, item: structuredClone(item) });
  }

  /** How `reason` ends this answer (`statusOf`): a refusal part written makes a refusal's content_filter a completed response. */
  statusOf(reason: FinishReason): ReturnType<typeof statusOf> {
    return statusOf(reason, this.#refused);
  }

  /** The last event: the whole response with its usage, completed or incomplete. */
  end(reason: FinishReason, usage: TokenUsage): string {
    const { status, incomplete_details } = this.statusOf(reason);
    const response = responseObject(this.frame!, { status, output: this.output, usage, incomplete_details, ...(status === 'failed' ? { error: FINISHED_BY_ERROR } : {}) });
    return this.event(status === 'incomplete' ? 'response.incomplete' : status === 'failed' ? 'response.failed' : 'response.completed', { response });
  }

  /**
   * The in-band failure: `response.failed` with the error on the response, then the `error` event,
   * on which OpenAI's clients raise (its fields flat, as the published schema has them, and nested
   * under `error`, as OpenAI's servers send them).
   */
  fail(err: GatewayError): string {
    const frame = this.frame;
    const failed = frame && ((error: ResponsesError) => responseObject(frame, { status: 'failed', output: this.output, usage: null, error }));
    return failureEvents(err, failed, (type, fields) => this.event(type, fields));
  }
}

/**
 * The streamed answer as Responses API SSE. `request` is the client's body (echoed settings);
 * `model` the name the client asked for. An `error` event becomes the in-band failure and the
 * output ends. Errors thrown by `events` propagate to the caller, which decides between a gone
 * client and an in-band error.
 */
export async function* encodeResponsesStream(
  events: AsyncIterable<StreamEvent>,
  options: { model: string; request: Record<string, unknown>; providerId?: string | undefined },
  now: Clock = Date.now,
  newId: IdMaker = randomId,
): AsyncGenerator<string> {
  const writer = new ResponsesStreamWriter(newId, declaredTools(options.request));
  let usage: TokenUsage = NO_TOKENS;
  let finish: FinishReason | undefined;
  for await (const event of events) {
    if (event.type === 'error') {
      yield writer.close('incomplete') + writer.fail(event.error);
      return;
    }
    if (event.type === 'usage') {
      usage = event.usage;
      continue;
    }
    if (finish) continue; // Nothing but usage belongs after the finish.
    if (!writer.frame) yield writer.start({ id: responseId(event.type === 'start' ? event.id : undefined, newId), createdAt: Math.floor(now() / 1000), model: options.model, request: options.request });
    let out = '';
    switch (event.type) {
      case 'text_delta':
        if (event.text) out = writer.text(event.text, event.refusal);
        break;
      case 'thinking_delta':
        if (event.text) out = writer.thinking(event.text);
        break;
      case 'thinking_signature':
        writer.signature(event.signature, event.signedBy);
        break;
      case 'redacted_thinking':
        out = writer.whole(redactedItem(newId('rs'), event.data));
        break;
      case 'tool_call_start':
        out = writer.toolStart(event.id, event.name, event.signature, event.signedBy);
        break;
      case 'tool_call_delta':
        out = writer.toolDelta(event.arguments);
        break;
      case 'tool_call_end':
        out = writer.toolEnd();
        break;
      case 'finish':
        finish = event.reason;
        out = writer.close(lastItemEnd(writer.statusOf(event.reason).status));
        break;
      default:
        // start: handled above.
        break;
    }
    if (out) yield out;
  }
  if (!finish) {
    // A decoder that ends without finish or error broke its contract; tell the client rather than feign success.
    yield writer.close('incomplete') + writer.fail(streamEndedError(options.providerId));
    return;
  }
  yield writer.end(finish, usage);
}
