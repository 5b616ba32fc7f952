import { RecentlyUsed } from './recently-used';

/** How many conversations this instance remembers moving off their rendezvous account (`ConversationPins`). */
export const MAX_PINS = 10_000;

/**
 * The conversations this instance has moved off their own account (the first of their rendezvous
 * order, `rendezvousOrder`), each with the account that served it since: a sticky conversation
 * whose account hung, ran out of quota or rested went to the balancer's choice, and its prompt
 * cache is now there, so it keeps to that account (it is "pinned") until that one must yield in
 * turn. A conversation served by its own account again needs no pin and its entry goes. Only moved
 * conversations are kept, by (sticky key, provider, upstream model), in memory: a provider caches
 * prompts per model, so a conversation moved in one model (Claude Code's main model) keeps its other
 * models' calls (its small model's, under the same `metadata.user_id`) where their caches are, and
 * their calls leave its pin alone; reading a pin costs no table read,
 * and nothing when none are held. Bounded by `MAX_PINS`: the pin served least recently goes first,
 * and a conversation that loses its pin only goes back to its own account.
 *
 * @example
 * const pins = new ConversationPins();
 * pins.served('s:abc', 'openai', 'gpt-4o', 'b', 'a'); // served by b, its own account is a: pinned to b
 * pins.pinned('s:abc', 'openai', 'gpt-4o'); // 'b'
 * pins.pinned('s:abc', 'openai', 'gpt-4o-mini'); // undefined: another model's cache is elsewhere
 * pins.served('s:abc', 'openai', 'gpt-4o', 'a', 'a'); // back on its own account: the pin goes
 * pins.pinned('s:abc', 'openai', 'gpt-4o'); // undefined
 */
export class ConversationPins {
  /** By sticky key, provider and upstream model, the account; the pin served least recently forgotten first. */
  readonly #pins: RecentlyUsed<string, string>;

  constructor(readonly max: number = MAX_PINS) {
    this.#pins = new RecentlyUsed(max);
  }

  /** The account the conversation was moved to in this provider's pool for the upstream model, if it was. */
  pinned(stickyKey: string, providerId: string, model: string): string | undefined {
    // Nearly always empty: no key is built then.
    return this.#pins.size === 0 ? undefined : this.#pins.peek(pinKey(stickyKey, providerId, model));
  }

  /**
   * Notes which account served a call of the conversation: pinned there when it is not the
   * conversation's own account (`home`), unpinned when it is.
   */
  served(stickyKey: string, providerId: string, model: string, accountId: string, home: string): void {
    if (accountId === home && this.#pins.size === 0) return;
    const key = pinKey(stickyKey, providerId, model);
    if (accountId === home) this.#pins.delete(key);
    else this.#pins.set(key, accountId);
  }

  /** How many conversations are pinned. */
  get size(): number {
    return this.#pins.size;
  }

  /** Forgets every pin (tests that share one gateway start each case afresh). */
  clear(): void {
    this.#pins.clear();
  }
}

// NUL cannot occur in a sticky key (`k:` and a base64url digest) or a provider id, and the model (which a pattern may take from the client) comes last, so the parts cannot run together.
const pinKey = (stickyKey: string, providerId: string, model: string) => `${stickyKey}\u0000${providerId}\u0000${model}`;
