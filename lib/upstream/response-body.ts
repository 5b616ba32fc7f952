/**
 * An upstream answer as undici's dispatcher delivers it, without the stream machinery of
 * `undici.request()`: every request passes through here, so the per-request cost is kept to a
 * queue of chunks. Reading it whole (`bytes`, `text`), chunk by chunk (`for await`), or not at all
 * (`dump`) are the three ways the pipeline uses an answer.
 */

import type { StartScan } from './answer-start';
import { answerTooLarge, eventBound, upstreamLimits, type EventBound, type UpstreamFraming, type UpstreamLimits } from './event-bound';

/** Above this many unread chunks the socket stops being read until the reader catches up. */
const HIGH_WATER_CHUNKS = 64;

/**
 * A watch for the answer's start (a stream's, always; any answer's under a first-answer deadline,
 * `timeouts.firstByteMs`): `scan` reads the chunks until it says the answer started, then
 * `onStart` (which clears the deadline's timer, if any) is called once.
 */
export interface StartWatch {
  readonly scan: StartScan;
  readonly onStart: () => void;
  /**
   * How long a reader's wait for the start (`started`) may last when no deadline bounds it: past
   * it the wait ends as if the answer had started, and the body is read as it comes (its watch
   * dropped). Undefined: the wait lasts to the start, the end or the failure (a deadline's 504).
   */
  readonly holdMs?: number;
}

export class UpstreamBody implements AsyncIterable<Buffer> {
  readonly #chunks: Buffer[] = [];
  #size = 0;
  #ended = false;
  #error: unknown;
  #discard = false;
  #paused = false;
  #waiter: { resolve: () => void } | undefined;
  #resume: () => void;
  #abort: (reason: Error) => void;
  readonly #limits: UpstreamLimits;
  // Set by the reader of a stream (`frame`): counts the event in progress as chunks arrive.
  #bound: EventBound | undefined;
  // Read whole (`bytes`, `text`): everything is kept, up to `answerBytes`.
  #whole = false;
  // Set while the answer has not started (`StartWatch`); cleared when it has (`started`).
  #start: StartWatch | undefined;
  // The bound of a wait for the start (`StartWatch.holdMs`), set only once a reader waits for it.
  #holdTimer: NodeJS.Timeout | undefined;
  // How many chunks came up to the one the answer started in (`opening`); undefined until it did.
  #openingChunks: number | undefined;

  constructor(resume: () => void, abort: (reason: Error) => void, limits: UpstreamLimits = upstreamLimits(), start?: StartWatch) {
    this.#resume = resume;
    this.#abort = abort;
    this.#limits = limits;
    this.#start = start;
  }

  /**
   * Resolves once the answer has started (its watch's `scan` said so) or ended whole without
   * starting (an empty stream: its reader says what that is); rejects with the body's failure
   * (the deadline passing fails it with a 504) if that came first. Undefined when there is nothing
   * to wait for: nothing watches, or the answer started already. Reads nothing: every chunk
   * stays for the reader (`opening`). With the watch's `holdMs`, resolves at the latest that long
   * after this call (one timer, set here, so not when the start came with the headers; cleared at
   * the start, the end or the failure), the watch then dropped: the answer is read as it comes.
   *
   * @example
   * const start = res.body.started?.();
   * if (start) await start; // throws the upstream's timeout if no event came within timeouts.firstByteMs
   */
  started(): Promise<void> | undefined {
    if (this.#start === undefined) return undefined;
    const { holdMs } = this.#start;
    if (holdMs !== undefined && this.#holdTimer === undefined) this.#holdTimer = setTimeout(() => this.#stopWatching(), holdMs);
    return this.#startOrEnd();
  }

  /** Ends the watch for the start (its wait's bound passed): later chunks are not scanned, the wait resolves. */
  #stopWatching(): void {
    this.#holdTimer = undefined;
    this.#start = undefined;
    this.#wake();
  }

  async #startOrEnd(): Promise<void> {
    while (this.#start !== undefined && !this.#ended) await this.#wait();
    if (this.#start !== undefined && this.#error !== undefined) throw this.#error;
  }

  /**
   * The chunks in hand up to the one the answer started in (every chunk in hand while it has not,
   * or when nothing watched), as they are (not copied, not taken); for a body not read yet. Once
   * `started` has resolved, a stream's first event is whole among them (`earlyFailure` reads it),
   * and the rest of an answer that came all at once is not: its search costs by the opening's
   * size, not the answer's.
   */
  opening(): readonly Buffer[] {
    return this.#openingChunks === undefined ? this.#chunks : this.#chunks.slice(0, this.#openingChunks);
  }

  /**
   * Tells the body how its stream divides into events, so that no event grows past the bound:
   * the chunk that takes one over it is dropped, the upstream is cancelled and the reader gets
   * the refusal (`upstream_event_too_large`) after the chunks before it.
   */
  frame(framing: UpstreamFraming): void {
    const bound = eventBound(framing, this.#limits.eventBytes);
    // The chunks that came in the socket read the headers came in are queued before any writer
    // could call this: counted from the first byte, or a Bedrock frame cut there would have the
    // bytes after it read as a frame's length. (Called before the body is read: none has gone.)
    if (!this.#discard && !this.#chunks.every((chunk) => bound.take(chunk))) {
      this.#refuse(bound.error());
      return;
    }
    this.#bound = bound;
  }

  /** From the dispatcher: a chunk arrived. False asks it to stop reading the socket for now. */
  push(chunk: Buffer): boolean {
    if (this.#discard) return true;
    if (this.#start?.scan.take(chunk)) {
      const { onStart } = this.#start;
      this.#start = undefined;
      this.#openingChunks = this.#chunks.length + 1;
      clearTimeout(this.#holdTimer);
      onStart();
    }
    // Checked as the bytes arrive, not as they are read: the count costs the reader nothing.
    if (this.#bound && !this.#bound.take(chunk)) return this.#refuse(this.#bound.error());
    this.#chunks.push(chunk);
    this.#size += chunk.byteLength;
    if (this.#whole && this.#size > this.#limits.answerBytes) return this.#refuse(answerTooLarge(this.#limits.answerBytes));
    this.#wake();
    // A whole read keeps everything anyway (bounded above): pausing would only stall it. Nor is an
    // answer held for its start (`started`) paused by keep-alives, up to one event's bound: a
    // paused socket would never bring the first event, and the deadline would fail a sound answer.
    if (this.#whole || this.#chunks.length < HIGH_WATER_CHUNKS || (this.#start !== undefined && this.#size <= this.#limits.eventBytes)) return true;
    this.#paused = true;
    return false;
  }

  end(): void {
    this.#ended = true;
    clearTimeout(this.#holdTimer);
    this.#wake();
  }

  fail(err: unknown): void {
    if (this.#ended) return;
    this.#error = err;
    this.#ended = true;
    clearTimeout(this.#holdTimer);
    this.#wake();
  }

  /** The whole body; one over `answerBytes` is refused (`upstream_answer_too_large`) as soon as it passes. */
  async bytes(): Promise<Buffer> {
    if (!this.#whole) {
      this.#whole = true;
      if (this.#size > this.#limits.answerBytes) this.#refuse(answerTooLarge(this.#limits.answerBytes));
      this.#unpause();
    }
    while (!this.#ended) await this.#wait();
    if (this.#error !== undefined) throw this.#error;
    const chunks = this.#chunks.splice(0);
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.#size);
  }

  async text(): Promise<string> {
    return (await this.bytes()).toString('utf8');
  }

  /** Reads and drops the rest, so the connection can be used again. */
  async dump(): Promise<void> {
    this.#discard = true;
    this.#chunks.length = 0;
    this.#unpause();
    while (!this.#ended) await this.#wait();
  }

  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    return {
      next: async (): Promise<IteratorResult<Buffer>> => {
        while (this.#chunks.length === 0 && !this.#ended) await this.#wait();
        const value = this.#chunks.shift();
        if (value !== undefined) {
          this.#size -= value.byteLength;
          if (this.#chunks.length === 0) this.#unpause();
          return { done: false, value };
        }
        if (this.#error !== undefined) throw this.#error;
        return { done: true, value: undefined };
      },
      // The reader left early (the client went away): the rest is not wanted, nor the connection.
      return: async (): Promise<IteratorResult<Buffer>> => {
        if (!this.#ended) {
          const abandoned = new Error('The answer was abandoned by its reader.');
          this.#abort(abandoned);
          this.fail(abandoned);
        }
        this.#chunks.length = 0;
        return { done: true, value: undefined };
      },
    };
  }

  /** Stops reading: what was kept of a whole answer is let go, the upstream cancelled, the reader told why. */
  #refuse(reason: Error): boolean {
    this.#discard = true;
    if (this.#whole) {
      this.#chunks.length = 0;
      this.#size = 0;
    }
    // Even after the end: a whole answer that arrived before it was asked for is refused all the same.
    this.#error ??= reason;
    this.#ended = true;
    clearTimeout(this.#holdTimer);
    this.#wake();
    this.#abort(reason);
    return true;
  }

  #wait(): Promise<void> {
    return new Promise((resolve) => {
      this.#waiter = { resolve };
    });
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.resolve();
  }

  #unpause(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#resume();
  }
}

/** Raw header pairs (`[name, value, …]`) as an object with lower-case names; repeated names collect into arrays. */
export function headersOf(raw: readonly (Buffer | string)[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1').toLowerCase();
    const value = raw[i + 1]!.toString('latin1');
    const seen = out[name];
    out[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return out;
}
