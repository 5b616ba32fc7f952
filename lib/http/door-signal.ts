/**
 * The abort signal of one request at a door that knows both its deadline and when its client
 * has gone (the Lambda door: the remaining time, and its response stream failing). One controller
 * with one timer: `AbortSignal.any` over a client signal and `AbortSignal.timeout` would cost ten
 * times as much a request (`npx tsx lib/http/door-signal.bench.ts`).
 *
 * @example
 * const door = new DoorSignal(deadlineMs);
 * await gateway.handle({ ...request, signal: door.signal });
 * // the response stream failed:
 * door.clientGone(err);
 * // the answer has ended, either way:
 * door.settled();
 */
export class DoorSignal {
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;

  /** `inMs`: how long the request may run; past it the signal aborts as `AbortSignal.timeout` does (a `TimeoutError`). */
  constructor(inMs: number) {
    // unref: a timer of a request already answered must not hold a process (a test's, the local runtime's) open.
    this.#timer = setTimeout(abortAtDeadline, Math.max(0, inMs), this.#controller).unref();
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The client can no longer be answered: what is still running for it is cut short. */
  clientGone(reason?: Error | null): void {
    clearTimeout(this.#timer);
    this.#controller.abort(reason ?? new Error('The client went away.'));
  }

  /** The answer has ended: the deadline no longer applies. */
  settled(): void {
    clearTimeout(this.#timer);
  }
}

function abortAtDeadline(controller: AbortController): void {
  // The reason `AbortSignal.timeout` gives, which `lib/pipeline/signal.ts` reads as the deadline.
  controller.abort(new DOMException('The request ran out of time.', 'TimeoutError'));
}
