import type { AccountConfig, Price, ProviderConfig } from '../config/schema';
import type { LoadView } from './account-load';
import { balancedOrder, weightedOrder, type BalancedBy, type Pool } from './balance';
import type { Target } from './catalog';
import { quotaScope } from './headroom';
import { accountRef } from './health';
import { rendezvousOrder } from './sticky';

export interface Attempt {
  provider: ProviderConfig;
  account: AccountConfig;
  model: string;
  price?: Price;
  /** What ordered the account's pool, where its target balances other than by weight (the access log says it). */
  balancedBy?: BalancedBy;
  /** Where the pool balances by `headroom`: which of the account's quotas the call draws on, so that its answer's rate-limit headers are kept by it. */
  quotaScope?: string;
}

export interface PlanOptions {
  /** Uniform in [0, 1): the weighted draw's randomness (tests fix it). */
  random?: () => number;
  /** Whether an account (`provider/account`) is resting after a failure: it is tried after every healthy one. */
  cooling?: (ref: string) => boolean;
  /**
   * What identifies the conversation (`stickyKeyOf`): each pool is then ordered by rendezvous
   * hashing on it, so a conversation keeps to one account (and its prompt cache) while it is healthy.
   */
  stickyKey?: string;
  /** This instance's load, for targets that balance by it (`least-busy`, `latency`, `headroom`); they fall back to the weighted draw without it. */
  load?: LoadView;
  /** Whether the call streams (latency is kept apart for streams and whole answers). */
  stream?: boolean;
}

/**
 * The order in which to try (target, account) pairs: targets in config order; within a target,
 * accounts in the order of its balance (`balancedOrder`: weighted random by default, or least busy,
 * or fastest), or in the conversation's own weighted order when it has a sticky key (the sticky
 * order wins over the balance: the provider's prompt cache is per account), so load spreads and a
 * failed account's share moves to its siblings before the next target is tried. Accounts resting
 * after a failure come after all the healthy ones, of every target (a healthy fallback beats a
 * resting first choice), in the same order among themselves: when every account rests, all are
 * still tried. In a `headroom` pool an account whose last answer said a quota of the call's scope
 * had nothing left comes after the healthy ones too, until a band of that quota has come back: its next call would
 * be a 429.
 */
export function planAttempts(targets: readonly Target[], options: PlanOptions = {}): Attempt[] {
  const random = options.random ?? Math.random;
  const healthy: Attempt[] = [];
  const resting: Attempt[] = [];
  for (const t of targets) {
    const sticky = options.stickyKey !== undefined && t.accounts.length > 1;
    let order: AccountConfig[];
    let balancedBy: BalancedBy | undefined;
    const scope = t.balance === 'headroom' ? quotaScope(t.provider.type, t.model) : undefined;
    if (sticky) {
      order = rendezvousOrder(t.accounts, options.stickyKey!);
      if (t.balance) balancedBy = 'sticky';
    } else if (t.balance && options.load) {
      const pool: Pool = { providerId: t.provider.id, model: t.model, accounts: t.accounts };
      if (scope !== undefined) pool.quotaScope = scope;
      ({ order, by: balancedBy } = balancedOrder(t.balance, pool, options.stream === true, options.load, random));
    } else {
      order = weightedOrder(t.accounts, random);
    }
    for (const account of order) {
      const attempt: Attempt = { provider: t.provider, account, model: t.model, ...(t.price ? { price: t.price } : {}), ...(balancedBy ? { balancedBy } : {}) };
      if (scope !== undefined) attempt.quotaScope = scope;
      const ref = accountRef(t.provider.id, account.id);
      // An account out of quota by its own last word is benched only here, per scope and instance:
      // not a rest (`health.ts` rests the whole account, for every model, and shares it through the
      // table), since each instance reads the same word from its own answers.
      const benched = options.cooling?.(ref) || (scope !== undefined && options.load?.exhausted(ref, scope) === true);
      (benched ? resting : healthy).push(attempt);
    }
  }
  return resting.length ? [...healthy, ...resting] : healthy;
}
