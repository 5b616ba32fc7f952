import { Readable } from 'node:stream';

/** What a door does when a body it pipes ends early, before the pipe may settle. */
export interface EarlyEndHooks {
  /**
   * The consumer went away before the body's end (the response stream failed and the pipe
   * destroyed its source): called at once, before the body's iterator is ended, so that what the
   * body is waiting on (the upstream's next chunk) can be cancelled rather than waited for.
   */
  left(reason: Error | null): void;
  /** The body threw, while it was read or while it was ended early (its cleanup). */
  threw(err: unknown): void;
  /**
   * The door's last work, awaited before the stream reports an early end (its body threw, or the
   * consumer went away): once the pipe settles, the invocation may end and its instance be frozen.
   */
  beforeEarlyEnd(): Promise<void>;
}

/**
 * A response body as a Readable for `pipeline()` into a response stream, which holds back the
 * pipe's failure until the door has done its last work:
 * - the body throws (raw audio cut off, or a broken promise to end in-band): `beforeEarlyEnd`
 *   runs, then the stream is destroyed with the body's error;
 * - the consumer destroys it before its end (its write failed): `left` runs, the body's iterator
 *   is ended (its cleanup closes the request's books, as the client's leaving), then
 *   `beforeEarlyEnd`; only then does the destroy complete, and `pipeline()` waits for that
 *   before it rejects. (`Readable.from` would throw the consumer's error into the body instead,
 *   which books it as the upstream breaking off.)
 *
 * @example
 * await pipeline(bodyReadable(res.body, { left: () => signal.clientGone(), threw: (err) => log(err), beforeEarlyEnd: () => drain() }), responseStream);
 */
export function bodyReadable(body: AsyncIterable<Uint8Array>, hooks: EarlyEndHooks): Readable {
  return new BodyReadable(body[Symbol.asyncIterator](), hooks);
}

const EMPTY = new Uint8Array(0);

type BodyState = 'reading' | 'ended' | 'threw';

class BodyReadable extends Readable {
  readonly #chunks: AsyncIterator<Uint8Array>;
  readonly #hooks: EarlyEndHooks;
  #state: BodyState = 'reading';
  #pulling = false;
  #wrote = false;
  /** The door's last work, begun once whichever way the body ended early. */
  #lastWork?: Promise<void>;

  constructor(chunks: AsyncIterator<Uint8Array>, hooks: EarlyEndHooks) {
    // Object mode, as `Readable.from`: each chunk is one write, a zero-length one included.
    super({ objectMode: true });
    this.#chunks = chunks;
    this.#hooks = hooks;
  }

  override _read(): void {
    if (this.#pulling) return;
    this.#pulling = true;
    void this.#pull();
  }

  /** Reads chunks until the consumer has enough, the body ends, or the stream is destroyed. */
  async #pull(): Promise<void> {
    try {
      for (;;) {
        const next = await this.#chunks.next();
        if (next.done) {
          this.#state = 'ended';
          if (this.destroyed) return;
          // Lambda sends the status and headers with the first write: a body with none would lose them.
          if (!this.#wrote) this.push(EMPTY);
          this.push(null);
          return;
        }
        // Destroyed meanwhile: `_destroy` ends the body; this chunk has nowhere to go.
        if (this.destroyed) return;
        this.#wrote = true;
        if (!this.push(next.value)) return;
      }
    } catch (err) {
      this.#state = 'threw';
      this.#hooks.threw(err);
      if (this.destroyed) return;
      await this.#earlyEnd();
      this.destroy(err instanceof Error ? err : new Error(String(err)));
    } finally {
      this.#pulling = false;
    }
  }

  #earlyEnd(): Promise<void> {
    // A failing hook must not leave the pipe hanging: the door logs its own failures.
    return (this.#lastWork ??= this.#hooks.beforeEarlyEnd().catch(() => undefined));
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    if (this.#state === 'threw') {
      void this.#earlyEnd().then(() => process.nextTick(done, err));
      return;
    }
    // Destroyed after the body's end: by `autoDestroy` once all was read (nothing to do), or by a
    // consumer that failed with the last chunks still to write (the body's books are closed: only
    // the last work is left).
    if (this.#state === 'ended' && !err) return done(err);
    const reading = this.#state === 'reading';
    this.#state = 'ended';
    this.#hooks.left(err);
    // Queued behind a `next()` still pending, which `left` has cut short.
    const ended = Promise.resolve()
      .then(() => (reading ? this.#chunks.return?.() : undefined))
      .catch((cleanupError: unknown) => this.#hooks.threw(cleanupError));
    // `done` on the next tick, outside the promise: were it to throw, it would not become a rejection.
    void ended.then(() => this.#earlyEnd()).then(() => process.nextTick(done, err));
  }
}
