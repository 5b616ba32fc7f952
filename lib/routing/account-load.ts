/** How the smoothed latency forgets (`AccountLoad.observe`). */
export const LATENCY_SMOOTHING = Object.freeze({
  /** The least weight a new sample gets, however soon after the last one it comes: the average follows the last few calls. */
  minWeight: 0.3,
  /** An average this old (ms) weighs about a third against a new sample, and fades on from there: an account slow a minute ago is judged by how it answers now. */
  fadeMs: 10_000,
  /** The most (account, model, kind of call) averages kept: names a pattern resolves come from clients, so the count must be bounded. */
  maxKeys: 4096,
});

/** Gives back a call's place in flight; calling it again does nothing. */
export type Release = () => void;

/** What balancing reads of an instance's load (`balancedOrder`): in-flight counts and smoothed latencies. */
export interface LoadView {
  /** Calls in flight on the account (`provider/account`) from this instance. */
  inFlight(ref: string): number;
  /** The smoothed time to response headers (ms) of calls to this key (`latencyKey`), if any answered yet. */
  latencyMs(key: string): number | undefined;
}

/**
 * What latency is kept per: the account, the upstream model (a small model answers sooner than a
 * large one on the same account) and whether the call streams (a whole answer's headers come only
 * once its last token is written, a stream's with its first).
 *
 * @example
 * latencyKey('openai/a', 'gpt-4o-mini', true) // 'openai/a\ngpt-4o-mini\ns'
 */
export const latencyKey = (ref: string, model: string, stream: boolean) => `${ref}\n${model}\n${stream ? 's' : 'w'}`;

/**
 * This instance's load on each account, in memory: calls in flight (each `begin` given back once
 * by its `Release`, whichever way the call ends) and an exponentially weighted moving average of
 * each (account, model, kind of call)'s time to the upstream's response headers, which is what a
 * client waits for before the first token (a stream's total time depends on how much it writes).
 * The average weighs a sample more the older the average is (`LATENCY_SMOOTHING`), so a rarely
 * tried account's old reputation fades quickly. Nothing here is shared with other instances, and
 * nothing reads the table.
 *
 * @example
 * const load = new AccountLoad();
 * const release = load.begin('openai/a');
 * load.inFlight('openai/a'); // 1
 * load.observe(latencyKey('openai/a', 'gpt-4o', true), 180);
 * release(); release();
 * load.inFlight('openai/a'); // 0
 */
export class AccountLoad implements LoadView {
  readonly #inFlight = new Map<string, number>();
  readonly #latency = new Map<string, { ms: number; at: number }>();

  constructor(readonly now: () => number = Date.now) {}

  /** Counts a call in flight on the account until the returned function is called (once counts; more do nothing). */
  begin(ref: string): Release {
    this.#inFlight.set(ref, (this.#inFlight.get(ref) ?? 0) + 1);
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      const left = this.#inFlight.get(ref)! - 1;
      // Gone at zero, so the map holds only accounts busy now.
      if (left > 0) this.#inFlight.set(ref, left);
      else this.#inFlight.delete(ref);
    };
  }

  inFlight(ref: string): number {
    return this.#inFlight.get(ref) ?? 0;
  }

  /** Every call in flight, on every account (tests check that each one was given back). */
  totalInFlight(): number {
    let total = 0;
    for (const n of this.#inFlight.values()) total += n;
    return total;
  }

  /** Adds a sample (ms to response headers) to the key's average. */
  observe(key: string, ms: number): void {
    const now = this.now();
    const last = this.#latency.get(key);
    if (!last) {
      if (this.#latency.size >= LATENCY_SMOOTHING.maxKeys) this.#latency.delete(this.#latency.keys().next().value!);
      this.#latency.set(key, { ms, at: now });
      return;
    }
    const weight = Math.max(LATENCY_SMOOTHING.minWeight, 1 - Math.exp(-(now - last.at) / LATENCY_SMOOTHING.fadeMs));
    last.ms += weight * (ms - last.ms);
    last.at = now;
  }

  latencyMs(key: string): number | undefined {
    return this.#latency.get(key)?.ms;
  }

  /** Forgets every average (tests that share one gateway start each case afresh); calls in flight stay counted. */
  clearLatency(): void {
    this.#latency.clear();
  }
}
