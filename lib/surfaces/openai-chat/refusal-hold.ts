/**
 * A translated model's refusal, told apart from its answer for a Chat Completions client that
 * asked for JSON (`response_format` json_schema or json_object).
 *
 * Anthropic (`stop_reason: "refusal"`), Bedrock (`content_filtered`) and Gemini (`SAFETY`…) say
 * a turn was a refusal only at its end, after its words went out as text. OpenAI puts those
 * words in `refusal`, not `content`, and the `openai` client's `ChatCompletionStream` parses
 * `content` as JSON as it arrives: refusal words sent as content fail it with a JSON error
 * instead of its `ContentFilterFinishReasonError`. So text that cannot be the start of the JSON
 * asked for is held, a short while, until the finish says what it was.
 *
 * The books read the events before the hold (`metered` in `pipeline/answers.ts`): time to first
 * token and the output are the model's, when its words came, as behind a guardrail's window.
 */
import type { FinishReason, StreamEvent } from '../../canonical/types';

/**
 * The most text held back, in UTF-16 code units: refusals are a sentence or two. Past it the text
 * goes out as content, as if never held, and a refusal after it stays content.
 */
export const REFUSAL_HOLD_CAP = 4096;

/** What the Chat encoder is given once the hold has seen the events: theirs, and held words that proved a refusal. */
export type HeldStreamEvent = StreamEvent | { type: 'refusal_delta'; text: string };

/**
 * JSON whitespace, the only text allowed before a JSON text's first value (RFC 8259 §2), after a
 * byte order mark, which a reader may ignore (§8.1): JSON behind one is not held for words.
 */
const JSON_WHITESPACE = /^\uFEFF?[ \t\n\r]*/;

/**
 * What text says of itself: `undecided` while it is empty or JSON whitespace only (a byte order
 * mark first), `json` when it starts like the JSON asked for, `words` when it cannot. Only `{` and
 * `[` count: json_object and OpenAI's strict schemas want an object, and a translated schema
 * (Gemini's, Bedrock's) may want an array, but no schema a client writes for structured output has
 * a bare string, number or literal at its root. Text held for nothing is released whole at the
 * finish; text let through wrongly would be a refusal the client cannot read, so the test leans to
 * holding.
 *
 * @example
 * opening('\n ')        // 'undecided'
 * opening(' {"name"')   // 'json'
 * opening("I can't")   // 'words'
 */
export function opening(text: string): 'undecided' | 'json' | 'words' {
  const first = text[JSON_WHITESPACE.exec(text)![0].length];
  if (first === undefined) return 'undecided';
  return first === '{' || first === '[' ? 'json' : 'words';
}

/**
 * Whether a whole answer's text, ended with `finish`, is a refusal in words: the same call the
 * hold makes on a stream, for the non-streamed answer (held text past the cap is content).
 */
export function isWordedRefusal(text: string, finish: FinishReason): boolean {
  return finish === 'content_filter' && opening(text) === 'words' && text.length <= REFUSAL_HOLD_CAP;
}

/** Whether the client's Chat Completions body asked for JSON (a schema or json_object). */
export function asksForJson(body: Record<string, unknown> | undefined): boolean {
  const format = body?.response_format;
  if (typeof format !== 'object' || format === null) return false;
  const type = (format as { type?: unknown }).type;
  return type === 'json_schema' || type === 'json_object';
}

const THINKING: ReadonlySet<StreamEvent['type']> = new Set(['thinking_delta', 'thinking_signature', 'redacted_thinking']);

/**
 * The hold over one stream's events: `push` each, `end` after the last; each returns the events
 * to send now. Text that starts like JSON, and everything after it, goes on at once; text that
 * starts in words waits for the finish: a `content_filter` finish makes it `refusal_delta`s, any
 * other finish, a non-text event (a tool call, thinking), an error, the end of the events or the
 * cap makes it text again, in its pieces, in order. Thinking before the text is let through and
 * the watch goes on; after a tool call nothing is held. `start` and `usage` pass at once (the encoder
 * keeps usage for after the finish).
 */
export class RefusalHold {
  #held: string[] = [];
  #heldLength = 0;
  /** Held until told; once `passing`, nothing is held again. */
  #state: 'watching' | 'holding' | 'passing' = 'watching';

  push(event: StreamEvent): HeldStreamEvent[] {
    if (this.#state === 'passing' || event.type === 'start' || event.type === 'usage') return [event];
    if (event.type === 'text_delta') return this.#text(event.text);
    if (event.type === 'finish' && event.reason === 'content_filter' && this.#state === 'holding') {
      return [...this.#take().map((text) => ({ type: 'refusal_delta' as const, text })), event];
    }
    // Thinking before any text leaves the watch on: the answer's text is still to come. A tool call
    // ends it, as a whole answer with tool calls is never read as a refusal (`encodeChatCompletion`).
    if (this.#held.length === 0 && THINKING.has(event.type)) return [event];
    return [...this.#release(), event];
  }

  /** The events ended without a finish (the encoder reports the cut): what was held goes out as text. */
  end(): HeldStreamEvent[] {
    return this.#release();
  }

  #text(text: string): HeldStreamEvent[] {
    if (!text) return [];
    this.#held.push(text);
    this.#heldLength += text.length;
    if (this.#state === 'watching') {
      const said = opening(this.#held.join(''));
      if (said === 'json') return this.#release();
      if (said === 'words') this.#state = 'holding';
    }
    return this.#heldLength > REFUSAL_HOLD_CAP ? this.#release() : [];
  }

  #release(): HeldStreamEvent[] {
    return this.#take().map((text) => ({ type: 'text_delta' as const, text }));
  }

  #take(): string[] {
    const held = this.#held;
    this.#held = [];
    this.#heldLength = 0;
    this.#state = 'passing';
    return held;
  }
}

/**
 * The events through a `RefusalHold`, for the encoder of a client that asked for JSON.
 *
 * @example
 * for await (const event of withRefusalsHeld(events)) … // text_delta "I can't…", finish content_filter → refusal_delta "I can't…", finish
 */
export async function* withRefusalsHeld(events: AsyncIterable<StreamEvent>): AsyncGenerator<HeldStreamEvent> {
  const hold = new RefusalHold();
  try {
    for await (const event of events) yield* hold.push(event);
  } catch (err) {
    // The encoder's caller may still tell the client in band: the words go out before it, as unheld.
    yield* hold.end();
    throw err;
  }
  yield* hold.end();
}
