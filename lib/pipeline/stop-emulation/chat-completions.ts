/**
 * Stop sequences honoured on a passed-through Chat Completions answer (an OpenAI client's call to
 * o3, o4-mini, codex-mini or GPT-5, whose `stop` mending dropped): each choice's `content` is cut
 * where the first sequence is complete, `finish_reason: "stop"`, as OpenAI does for the models
 * that take `stop`. Choices are independent (`n > 1`). As in `canonical.ts`, a match ends the
 * choice: its tool calls after the text are not the client's, and tool arguments are never searched.
 */
import { SseReader, sseReframed } from '../../http/sse';
import { KEEP_ALIVE_MS, keepAliveOf, QUIET, SendClock, withKeepAlives } from './keep-alive';
import { cutAtStop, StopMatcher } from './matcher';

/** One choice of a chunk as the emulation reads it; every other field goes on as it came. */
interface ChunkChoice {
  index?: number;
  delta?: { content?: unknown; tool_calls?: unknown; function_call?: unknown; [field: string]: unknown } | null;
  finish_reason?: unknown;
  [field: string]: unknown;
}

interface Chunk {
  choices?: unknown;
  usage?: unknown;
  [field: string]: unknown;
}

/**
 * A whole Chat Completions answer's bytes with each choice's `message.content` cut at its first
 * stop sequence (that choice's `finish_reason` then `"stop"`, its tool calls gone); undefined when
 * no choice holds one (or the bytes are no answer), so the upstream's bytes go on as they are.
 *
 * @example
 * stoppedCompletion(Buffer.from('{"choices":[{"index":0,"message":{"role":"assistant","content":"a END b"},"finish_reason":"stop"}]}'), ['END'])
 * // bytes of {"choices":[{"index":0,"message":{"role":"assistant","content":"a "},"finish_reason":"stop"}]}
 */
export function stoppedCompletion(bytes: Uint8Array, sequences: readonly string[]): Uint8Array | undefined {
  let answer: { choices?: unknown };
  try {
    answer = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as { choices?: unknown };
  } catch {
    return undefined;
  }
  if (!Array.isArray(answer?.choices)) return undefined;
  let cut = false;
  const choices = answer.choices.map((choice: { message?: { content?: unknown; [field: string]: unknown }; [field: string]: unknown }) => {
    const content = choice?.message?.content;
    if (typeof content !== 'string') return choice;
    const found = cutAtStop(content, sequences);
    if (found.stop === undefined) return choice;
    cut = true;
    const { tool_calls: _calls, function_call: _call, ...message } = choice.message!;
    return { ...choice, message: { ...message, content: found.text }, ...logprobsOf(choice, found.text), finish_reason: 'stop' };
  });
  return cut ? Buffer.from(JSON.stringify({ ...answer, choices })) : undefined;
}

/** What the stream emulation needs to know of the call. */
export interface ChatStopOptions {
  sequences: readonly string[];
  /** How many choices the client asked for (`n`, 1 when absent). */
  choices: number;
  /** How long the stream may stay quiet while the upstream is drained after the answer, before a keep-alive comment goes (`KEEP_ALIVE_MS`; tests shorten it). */
  keepAliveMs?: number;
}

/** One choice's state: its matcher, and whether it has ended (a sequence, or the upstream's finish). */
interface ChoiceState {
  matcher: StopMatcher;
  ended: boolean;
}

/**
 * The emulation of one stream, event by event (`data` of an SSE event in, the SSE text to send out):
 * content goes on as it comes less a tail that may be a sequence beginning; on a match, the text
 * before it and a finish chunk with `finish_reason: "stop"` for that choice, whose later chunks are
 * dropped. Once every choice has ended the client has its answer, and the upstream is still read to
 * its end: nothing more of it goes on but its usage chunk (the relay has already dropped it when
 * the client did not ask) and `[DONE]`, so the usage metered is the upstream's own count, reasoning
 * tokens included, which no estimate from the text could see. (An early `[DONE]` would not save
 * the wait: the official clients hang up on it, which cancels the upstream call with the client's.)
 *
 * @example
 * const stream = new ChatStopStream({ sequences: ['END'], choices: 1 });
 * stream.event('{"id":"c","choices":[{"index":0,"delta":{"content":"a EN"},"finish_reason":null}]}') // 'data: {…"content":"a "…}\n\n'
 * stream.event('{"id":"c","choices":[{"index":0,"delta":{"content":"D b"},"finish_reason":null}]}') // a finish chunk: {…"delta":{},"finish_reason":"stop"}
 */
export class ChatStopStream {
  readonly #options: ChatStopOptions;
  readonly #choices = new Map<number, ChoiceState>();
  #endedChoices = 0;
  /** The last chunk's envelope (id, created, model…), for text held back when the stream breaks off. */
  #envelope: Chunk | undefined;
  #done = false;

  constructor(options: ChatStopOptions) {
    this.#options = options;
  }

  /** Whether every choice has ended (at a sequence or the upstream's finish): the client has its whole answer. */
  get answered(): boolean {
    return this.#endedChoices >= this.#options.choices;
  }

  /** The SSE text to send for one upstream event (`data`, as the relay sent it); empty to send nothing. */
  event(data: string): string {
    if (data === '[DONE]') this.#done = true;
    if (this.answered) {
      // Every choice has ended: only the usage chunk and [DONE] are still the client's.
      return data === '[DONE]' || isUsageOnly(data) ? sseReframed(data) : '';
    }
    if (data === '[DONE]') return sseReframed(data);
    let chunk: Chunk;
    try {
      chunk = JSON.parse(data) as Chunk;
    } catch {
      return sseReframed(data);
    }
    if (!Array.isArray(chunk?.choices) || chunk.choices.length === 0) return sseReframed(data);
    this.#envelope = chunk;
    const out: ChunkChoice[] = [];
    let changed = false;
    for (const choice of chunk.choices as ChunkChoice[]) {
      const emitted = this.#choice(choice, out);
      if (emitted !== choice) changed = true;
    }
    let text = !changed ? sseReframed(data) : out.map((choice) => sseReframed(JSON.stringify({ ...chunk, choices: [choice] }))).join('');
    // A chunk that carried usage beside choices now dropped keeps its usage.
    if (changed && out.length === 0 && chunk.usage != null) text = sseReframed(JSON.stringify({ ...chunk, choices: [] }));
    return text;
  }

  /** An event with a name (Chat Completions chunks have none: an OpenAI-compatible server's `event: error`): it goes on as it came while the client is still reading. */
  named(name: string, data: string): string {
    return this.answered ? '' : sseReframed(data, name);
  }

  /**
   * At the end of the upstream's events: text still held back (a stream that broke off before its
   * finish); or, for an answer that was whole before the upstream failed (an in-band error, a
   * broken stream), the `[DONE]` the upstream did not send, so the client's stream ends as it would have.
   */
  end(): string {
    if (this.answered) return this.#done ? '' : sseReframed('[DONE]');
    if (!this.#envelope) return '';
    let text = '';
    for (const [index, state] of this.#choices) {
      const held = state.ended ? '' : state.matcher.flush();
      if (held) text += sseReframed(JSON.stringify({ ...this.#envelope, choices: [{ index, delta: { content: held }, logprobs: null, finish_reason: null }] }));
    }
    return text;
  }

  /**
   * One choice of a chunk through its matcher, what is to be sent pushed onto `out`; returns the
   * choice itself when it goes on unchanged (and alone), anything else when it does not.
   */
  #choice(choice: ChunkChoice, out: ChunkChoice[]): unknown {
    const index = typeof choice.index === 'number' ? choice.index : 0;
    let state = this.#choices.get(index);
    if (!state) this.#choices.set(index, (state = { matcher: new StopMatcher(this.#options.sequences), ended: false }));
    if (state.ended) return undefined;
    const delta = choice.delta ?? {};
    let sent: ChunkChoice = choice;
    const content = delta.content;
    if (typeof content === 'string' && content !== '') {
      const heldBefore = state.matcher.heldLength;
      const passed = state.matcher.push(content);
      if (passed.stop !== undefined) {
        this.#end(state);
        // The text before the sequence, with what else the delta carried but tool calls (the choice ends at its text),
        // and the logprobs of this chunk's own tokens before the cut (the held text's went with their chunk).
        const { content: _content, tool_calls: _calls, function_call: _call, ...rest } = delta;
        if (passed.text || Object.keys(rest).length > 0) out.push({ ...choice, delta: { ...rest, ...(passed.text ? { content: passed.text } : {}) }, ...logprobsOf(choice, passed.text.slice(heldBefore)), finish_reason: null });
        out.push({ index, delta: {}, logprobs: null, finish_reason: 'stop' });
        return undefined;
      }
      if (passed.text !== content) sent = { ...choice, delta: { ...delta, content: passed.text } };
    }
    // The text run ends at a tool call or the finish: what it held back was no sequence.
    if (choice.finish_reason != null || delta.tool_calls != null || delta.function_call != null) {
      if (choice.finish_reason != null) this.#end(state);
      const held = state.matcher.flush();
      if (held) sent = { ...sent, delta: { ...sent.delta, content: `${typeof sent.delta?.content === 'string' ? sent.delta.content : ''}${held}` } };
    }
    // Nothing left to say: all of its text held back.
    if (sent !== choice && sent.delta?.content === '' && sent.finish_reason == null && Object.keys(sent.delta).length === 1) return undefined;
    out.push(sent);
    return sent;
  }

  #end(state: ChoiceState): void {
    state.ended = true;
    this.#endedChoices++;
  }
}

/** How a stream with stop sequences emulated ended: whether the client had its whole answer, and the upstream's failure after it. */
export interface ChatStopEnd {
  /** Every choice ended (`ChatStopStream.answered`): what failed after that is the books' alone. */
  answered: boolean;
  /** The error the upstream's stream broke off with after the answer was whole (it is not the client's). */
  failure?: unknown;
}

/**
 * A relayed Chat Completions stream (the relay's bytes, as the client would get them) with stop
 * sequences emulated (`ChatStopStream`), read to its end. A failure of the upstream's stream once
 * the client has its whole answer does not reach it: the stream ends as it would have, and the
 * failure is returned for the books. While the upstream is drained after the answer, a
 * `: keep-alive` comment goes whenever nothing was sent for `keepAliveMs`, so that a proxy's idle
 * timeout does not cut the client off before its usage chunk and `[DONE]`.
 *
 * @example
 * const ended = yield* stoppedChatStream(relay.body, { sequences: ['\nObservation:'], choices: 1 });
 * if (ended.failure) ctx.outcome = 'interrupted';
 */
export async function* stoppedChatStream(source: AsyncIterable<Uint8Array>, options: ChatStopOptions): AsyncGenerator<Uint8Array, ChatStopEnd> {
  const stream = new ChatStopStream(options);
  let out = '';
  let failure: unknown;
  const clock = new SendClock();
  const keepAlive = Buffer.from(keepAliveOf('openai'));
  const reader = new SseReader({
    onEvent: (event) => (out += event.event ? stream.named(event.event, event.data) : stream.event(event.data)),
    // Keep-alive comments keep idle connections open through proxies; they go on.
    onComment: (comment) => (out += `: ${comment}\n\n`),
  });
  try {
    for await (const chunk of withKeepAlives(source, options.keepAliveMs ?? KEEP_ALIVE_MS, clock)) {
      if (chunk === QUIET) {
        yield keepAlive;
        clock.sent();
        continue;
      }
      reader.feed(chunk);
      if (out) {
        yield Buffer.from(out);
        out = '';
        clock.sent();
      }
      // The client has its whole answer (its finish just went): from here the stream is quiet by the gateway's doing.
      if (stream.answered) clock.arm();
    }
    reader.end();
  } catch (err) {
    if (!stream.answered) throw err;
    failure = err;
  }
  out += stream.end();
  if (out) yield Buffer.from(out);
  return { answered: stream.answered, ...(failure !== undefined ? { failure } : {}) };
}

/**
 * A cut choice's `logprobs` (GPT-5.1 takes them at effort none), as a field to spread: only the tokens
 * that begin in `kept`, the text the client keeps of that choice (or chunk), counted in UTF-8 bytes
 * as the tokens' `bytes` are; the tokens of the sequence and after it are not the client's. Empty
 * when the choice has none.
 */
function logprobsOf(choice: Record<string, unknown>, kept: string): { logprobs?: unknown } {
  const logprobs = choice.logprobs as { content?: unknown } | null | undefined;
  if (!Array.isArray(logprobs?.content)) return {};
  const keptBytes = Buffer.byteLength(kept);
  const tokens = logprobs.content as { token?: unknown; bytes?: unknown }[];
  let i = 0;
  for (let at = 0; i < tokens.length && at < keptBytes; i++) at += tokenBytes(tokens[i]);
  return { logprobs: { ...logprobs, content: tokens.slice(0, i) } };
}

/** A token's length in UTF-8 bytes: its `bytes` (a token may be part of a character), else its text's. */
const tokenBytes = (token: { token?: unknown; bytes?: unknown } | undefined) =>
  Array.isArray(token?.bytes) ? token.bytes.length : typeof token?.token === 'string' ? Buffer.byteLength(token.token) : 0;

/** The usage chunk (`choices: []` and a usage), told from the data without parsing all of a content chunk. */
function isUsageOnly(data: string): boolean {
  if (!data.includes('"usage"')) return false;
  try {
    const chunk = JSON.parse(data) as Chunk;
    return Array.isArray(chunk.choices) && chunk.choices.length === 0 && chunk.usage != null;
  } catch {
    return false;
  }
}
