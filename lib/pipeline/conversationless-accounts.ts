import type { Target } from '../routing/catalog';
import { accountRef } from '../routing/health';

/**
 * How long an account that answered 404 to a conversation's create is left out of the next
 * creates, in one instance: long enough that a model whose accounts serve no conversations costs
 * its callers no upstream call (one per account per instance per hour), short enough that an
 * account that gains the Conversations API (Azure rolls it out per resource) is found within it.
 */
export const NO_CONVERSATIONS_FOR_MS = 60 * 60_000;

/**
 * The accounts this instance saw answer 404 to a conversation's create (an Azure OpenAI resource
 * that does not serve conversations, an OpenAI-compatible server without the Conversations API),
 * each until its memory lapses. Not a rest: their model calls are fine, only creates pass them by.
 * Bounded by the config's accounts.
 *
 * @example
 * const accounts = new ConversationlessAccounts(monotonicNow); // an interval: a wall clock set back must not lengthen it
 * accounts.remember('az-old/west');
 * accounts.askable(model.targets) // the targets without az-old/west (a target left with no account, left out)
 */
export class ConversationlessAccounts {
  /** Account ref (`accountRef`) → when its memory lapses (ms, on `now`: a monotonic clock in production). */
  readonly #until = new Map<string, number>();
  readonly #now: () => number;
  readonly #forMs: number;

  constructor(now: () => number, forMs = NO_CONVERSATIONS_FOR_MS) {
    this.#now = now;
    this.#forMs = forMs;
  }

  /**
   * The account answered a create's 404: left out of creates for the next `forMs`. False when it
   * was remembered already (creates racing to it, each hearing the 404), so that it is told once.
   */
  remember(providerId: string, accountId: string): boolean {
    const known = this.remembers(providerId, accountId);
    this.#until.set(accountRef(providerId, accountId), this.#now() + this.#forMs);
    return !known;
  }

  /** Whether the account answered a create's 404 within the last `forMs`. */
  remembers(providerId: string, accountId: string): boolean {
    const ref = accountRef(providerId, accountId);
    const until = this.#until.get(ref);
    if (until === undefined) return false;
    if (this.#now() < until) return true;
    this.#until.delete(ref);
    return false;
  }

  /**
   * The targets with only the accounts a create may ask (none remembered); a target left with no
   * account is left out. The targets themselves, not copies, while nothing is remembered (the usual case).
   */
  askable(targets: readonly Target[]): readonly Target[] {
    if (this.#until.size === 0) return targets;
    // Lapsed memories of accounts no create asks about (another model's) would keep every create off the quick path.
    const now = this.#now();
    for (const [ref, until] of this.#until) if (now >= until) this.#until.delete(ref);
    if (this.#until.size === 0) return targets;
    const askable: Target[] = [];
    for (const target of targets) {
      const accounts = target.accounts.filter((account) => !this.remembers(target.provider.id, account.id));
      if (accounts.length === target.accounts.length) askable.push(target);
      else if (accounts.length > 0) askable.push({ ...target, accounts });
    }
    return askable;
  }
}
