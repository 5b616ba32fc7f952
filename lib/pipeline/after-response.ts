/**
 * Writes that outlive a response (token counts, budget settlements, shared rests): started without
 * making the client wait, never throwing (a failure goes to `onError`), and waited for by `drain`,
 * which Lambda calls after the stream has closed and before the instance may be frozen.
 */
export class AfterResponse {
  readonly #pending = new Set<Promise<void>>();

  run(write: Promise<unknown>, onError: (err: unknown) => void): void {
    const settled: Promise<void> = write.then(
      () => undefined,
      (err: unknown) => onError(err),
    );
    const tracked = settled.finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }

  async drain(): Promise<void> {
    while (this.#pending.size) await Promise.all([...this.#pending]);
  }
}
