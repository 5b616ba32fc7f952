import { QuotaReadings, type HeadroomView } from './headroom';
import { ResponseHomes } from './response-homes';
import { ConversationPins } from './sticky-pins';

/** How the smoothed latency forgets (`AccountLoad.observe`). */
export const LATENCY_SMOOTHING = Object.freeze({
  /** The least weight a new sample gets, however soon after the last one it comes: the average follows the last few calls. */
  minWeight: 0.3,
  /** An average this old (ms) weighs about a third against a new sample, and fades on from there: an account slow a minute ago is judged by how it answers now. */
  fadeMs: 10_000,
  /**
   * A sample counts for at most this many times the average (of 1 ms at least): one slow answer (a
   * pause, a fresh connection's TLS handshake) barely moves the fastest account's average, which
   * would otherwise lose it its traffic until exploring found it again; a lasting slowdown still
   * shows within a few calls, which the fastest account gets most of.
   */
  spikeFactor: 3,
  /** The most (account, model, kind of call) averages kept: models a pattern resolves are named by clients, so the count must be bounded. */
  maxAverages: 4096,
});

/**
 * When an account counts as hung (`AccountLoad.hung`): a call to it still waiting for its headers
 * far longer than its calls take, while none of its calls to that model has answered for as long. A sticky conversation's account that is hung yields the call to
 * the balancer (`planAttempts`), which costs the conversation its prompt cache there, so "far" is
 * well past anything the average allows for.
 */
export const HUNG = Object.freeze({
  /**
   * Times the average a wait must pass: a sample counts for at most `LATENCY_SMOOTHING.spikeFactor`
   * times the average, so a wait past this is more than one slow answer the average shrugs off.
   */
  factor: 5,
  /**
   * The shortest wait that counts (ms), whatever the average: a stream's first token comes in well
   * under a second, but a whole answer's headers wait for its last token, and an average of short
   * answers says little of how long the next, longer one may take.
   */
  minMs: 5_000,
});

/** Gives back a call's place in flight; calling it again does nothing. */
export type Release = () => void;

/** What balancing reads of an instance's load (`balancedOrder`): in-flight counts, smoothed latencies, and the upstreams' reports of quota left. */
export interface LoadView extends HeadroomView {
  /** Calls in flight on the account (`provider/account`) from this instance. */
  inFlight(ref: string): number;
  /**
   * The smoothed time to response headers (ms) of the account's calls to this upstream model,
   * streamed or not, if any has answered yet; or, when longer, how long the oldest such call still
   * waiting for its headers has waited (an account that has stopped answering is seen as slow while
   * its calls hang, not only once they end).
   */
  latencyMs(ref: string, model: string, stream: boolean): number | undefined;
  /** Whether a call to this upstream model on the account, streamed or not, is still waiting for its response headers. */
  awaitingHeaders(ref: string, model: string): boolean;
  /**
   * Whether a call to this upstream model on the account, streamed or not, has waited for its
   * headers more than `HUNG.factor` times the average of its kind (and at least `HUNG.minMs`), and
   * no call to the model on it has answered for as long; an account never timed is never judged hung.
   */
  hung(ref: string, model: string): boolean;
  /** The account a sticky conversation was moved to in the provider's pool for the upstream model (`ConversationPins`), if it was. */
  pinned(stickyKey: string, providerId: string, model: string): string | undefined;
}

/** An average: its value (ms) and when its last sample came (epoch ms). */
interface Average {
  ms: number;
  at: number;
}

/**
 * This instance's load on each account, in memory: calls in flight (each `begin` given back once
 * by its `Release`, whichever way the call ends) and an exponentially weighted moving average of
 * each account's time to the upstream's response headers, which is what a client waits for before
 * the first token (a stream's total time depends on how much it writes), kept per upstream model (a
 * small model answers sooner than a large one on the same account) and per kind of call (a whole
 * answer's headers come only once its last token is written, a stream's with its first). The
 * average weighs a sample more the older the average is, so a rarely tried account's old
 * reputation fades quickly, and takes a sample far above it as only a few times it
 * (`LATENCY_SMOOTHING`), so one slow answer does not send a pool's traffic away. It also holds
 * the upstreams' last reports of each account's quota (`quota`, read by `headroom` pools). Nothing
 * here is shared with other instances, and nothing reads the table.
 *
 * @example
 * const load = new AccountLoad();
 * const release = load.begin('openai/a');
 * load.inFlight('openai/a'); // 1
 * load.observe('openai/a', 'gpt-4o', true, 180);
 * release(); release();
 * load.inFlight('openai/a'); // 0
 */
export class AccountLoad implements LoadView {
  readonly #inFlight = new Map<string, number>();
  /**
   * By account, then by model, then streamed ([0]) or whole ([1]): looked up by the config's own
   * strings, whose hashes are computed once, rather than by a key built for each look-up.
   */
  readonly #latency = new Map<string, Map<string, [Average | undefined, Average | undefined]>>();
  #averages = 0;
  /** When each call still waiting for its headers was sent (epoch ms, oldest first), keyed as `#latency`; only calls waiting now. */
  readonly #waiting = new Map<string, Map<string, [number[] | undefined, number[] | undefined]>>();

  /** What the upstreams' rate-limit headers last said of each account's quota (`headroom` pools record and read them). */
  readonly quota: QuotaReadings;
  /** The sticky conversations moved off their own account, and where to (`tryTargets` notes who served each). */
  readonly pins = new ConversationPins();
  /** Which account holds each stored Responses object this instance has seen (`previous_response_id`, `conversation`): a call building on one goes there first. */
  readonly homes = new ResponseHomes();

  constructor(readonly now: () => number = Date.now) {
    this.quota = new QuotaReadings(now);
  }

  headroom(ref: string, scope: string): number | undefined {
    return this.quota.headroom(ref, scope);
  }

  exhausted(ref: string, scope: string): boolean {
    return this.quota.exhausted(ref, scope);
  }

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

  /** Adds a sample (ms to response headers) to the average of the account's calls to the model, streamed or not. */
  observe(ref: string, model: string, stream: boolean, ms: number): void {
    const now = this.now();
    const i = stream ? 0 : 1;
    const last = this.#latency.get(ref)?.get(model)?.[i];
    if (last) {
      const weight = Math.max(LATENCY_SMOOTHING.minWeight, 1 - Math.exp(-(now - last.at) / LATENCY_SMOOTHING.fadeMs));
      last.ms += weight * (Math.min(ms, LATENCY_SMOOTHING.spikeFactor * Math.max(last.ms, 1)) - last.ms);
      last.at = now;
      return;
    }
    // Bounded crudely but surely: at the cap every average is forgotten and learnt again.
    if (this.#averages >= LATENCY_SMOOTHING.maxAverages) this.clearLatency();
    let byModel = this.#latency.get(ref);
    if (!byModel) this.#latency.set(ref, (byModel = new Map()));
    let pair = byModel.get(model);
    if (!pair) byModel.set(model, (pair = [undefined, undefined]));
    pair[i] = { ms, at: now };
    this.#averages++;
  }

  /**
   * Marks a call to the model sent on the account until its headers come (or it fails): the
   * returned function, once counts, more do nothing. While it waits longer than the account's
   * average, `latencyMs` reads its wait instead.
   */
  waitHeaders(ref: string, model: string, stream: boolean): () => void {
    const i = stream ? 0 : 1;
    let byModel = this.#waiting.get(ref);
    if (!byModel) this.#waiting.set(ref, (byModel = new Map()));
    let pair = byModel.get(model);
    if (!pair) byModel.set(model, (pair = [undefined, undefined]));
    const sent = (pair[i] ??= []);
    const at = this.now();
    sent.push(at);
    let waiting = true;
    return () => {
      if (!waiting) return;
      waiting = false;
      sent.splice(sent.indexOf(at), 1);
      if (sent.length) return;
      pair[i] = undefined;
      // Gone when empty, so the maps hold only calls waiting now.
      if (pair[1 - i]) return;
      byModel.delete(model);
      if (!byModel.size) this.#waiting.delete(ref);
    };
  }

  latencyMs(ref: string, model: string, stream: boolean): number | undefined {
    const i = stream ? 0 : 1;
    const average = this.#latency.get(ref)?.get(model)?.[i]?.ms;
    if (average === undefined) return undefined;
    const oldest = this.#waiting.get(ref)?.get(model)?.[i]?.[0];
    return oldest === undefined ? average : Math.max(average, this.now() - oldest);
  }

  awaitingHeaders(ref: string, model: string): boolean {
    return this.#waiting.get(ref)?.has(model) === true;
  }

  hung(ref: string, model: string): boolean {
    const waiting = this.#waiting.get(ref)?.get(model);
    if (!waiting) return false;
    const averages = this.#latency.get(ref)?.get(model);
    const now = this.now();
    // An account that answered the model lately, either kind, is not hung: its long wait is one long
    // call (a reasoning model's minutes among its seconds), and yielding would cost every other
    // conversation on it its cache for nothing.
    const lastAnswer = Math.max(averages?.[0]?.at ?? -Infinity, averages?.[1]?.at ?? -Infinity);
    // Each kind against its own average: a whole answer's headers wait for its last token, a stream's only for its first.
    for (let i = 0; i < 2; i++) {
      const oldest = waiting[i]?.[0];
      const average = averages?.[i]?.ms;
      if (oldest === undefined || average === undefined) continue;
      const limit = Math.max(HUNG.factor * average, HUNG.minMs);
      if (now - oldest > limit && now - lastAnswer > limit) return true;
    }
    return false;
  }

  pinned(stickyKey: string, providerId: string, model: string): string | undefined {
    return this.pins.pinned(stickyKey, providerId, model);
  }

  /** Forgets every average (tests that share one gateway start each case afresh); calls in flight stay counted. */
  clearLatency(): void {
    this.#latency.clear();
    this.#averages = 0;
  }
}
