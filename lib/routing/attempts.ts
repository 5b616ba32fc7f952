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
  /**
   * What ordered the account's pool, where its target names a balance, or where a sticky
   * conversation's account yielded the call to the balancer (`weighted` when the target names none):
   * the access log, the usage record and the audit record say it.
   */
  balancedBy?: BalancedBy;
  /**
   * Where the call has a sticky key and the pool several accounts: the conversation's own account
   * there (the first of its rendezvous order). `tryTargets` pins the conversation to the account
   * that served it when that is another (`ConversationPins`), and unpins it when it is this one.
   */
  stickyHome?: string;
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
 * or fastest), or in the conversation's own order when it has a sticky key (`stickyOrder`: the
 * sticky order wins over the balance, the provider's prompt cache being per account, unless the
 * conversation's account is hung, out of quota or resting), so load spreads and a
 * failed account's share moves to its siblings before the next target is tried. Accounts resting
 * after a failure come after all the healthy ones, of every target (a healthy fallback beats a
 * resting first choice), in the same order among themselves: when every account rests, all are
 * still tried. Hung accounts (`LoadView.hung`: a call has waited for its headers far longer than
 * the account's calls take) go between the two, whatever the balance: a call given to one would
 * wait for the header timeout before failing over, while the account is not known to have failed. In a `headroom` pool an account whose last answer said a quota of the call's scope
 * had nothing left comes after the healthy ones too, until a band of that quota has come back: its next call would
 * be a 429.
 */
export function planAttempts(targets: readonly Target[], options: PlanOptions = {}): Attempt[] {
  const random = options.random ?? Math.random;
  const healthy: Attempt[] = [];
  const hung: Attempt[] = [];
  const resting: Attempt[] = [];
  for (const t of targets) {
    const sticky = options.stickyKey !== undefined && t.accounts.length > 1;
    let order: AccountConfig[];
    let balancedBy: BalancedBy | undefined;
    const scope = t.balance === 'headroom' ? quotaScope(t.provider.type, t.model) : undefined;
    let stickyHome: string | undefined;
    if (sticky) {
      ({ order, balancedBy, home: stickyHome } = stickyOrder(t, options.stickyKey!, scope, options, random));
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
      if (stickyHome !== undefined) attempt.stickyHome = stickyHome;
      const ref = accountRef(t.provider.id, account.id);
      // An account out of quota by its own last word is benched only here, per scope and instance:
      // not a rest (`health.ts` rests the whole account, for every model, and shares it through the
      // table), since each instance reads the same word from its own answers.
      const benched = options.cooling?.(ref) || (scope !== undefined && options.load?.exhausted(ref, scope) === true);
      (benched ? resting : options.load?.hung(ref, t.model) ? hung : healthy).push(attempt);
    }
  }
  return resting.length || hung.length ? [...healthy, ...hung, ...resting] : healthy;
}

/**
 * A sticky conversation's order in a pool: its own account first (the first of its rendezvous
 * order, or the account this instance moved it to: `LoadView.pinned`), then the rest of its
 * rendezvous order, the same on every call, so its prompt cache builds where it goes next. A
 * merely busier, slower or emptier account keeps the conversation: its cached prefix is worth more
 * than the balance (a cached prefix costs a fraction of the input price: a tenth on Claude). But an account that cannot
 * serve the call well yields it to the balancer's order of the other accounts, and comes last, when
 * one of them can (when none can, the conversation keeps its own order: a move would cost it its
 * cache for an account no better):
 * - hung (`LoadView.hung`: a call to it has waited for its headers far longer than its calls take;
 *   the conversation's call would wait for the header timeout before failing over),
 * - out of quota by its own last word (`exhausted`, in a `headroom` pool: its next call would be a 429),
 * - resting after a failure (`cooling`: it would be tried after every healthy account anyway).
 * The account that then serves the call holds the conversation's cache, so `tryTargets` pins the
 * conversation there (`ConversationPins`). Without a load (and so without pins or hung calls) only
 * rests count. Costs no table read: the pins, waits and readings are this instance's memory.
 */
function stickyOrder(t: Target, stickyKey: string, scope: string | undefined, options: PlanOptions, random: () => number): { order: AccountConfig[]; balancedBy: BalancedBy | undefined; home: string } {
  const rendezvous = rendezvousOrder(t.accounts, stickyKey);
  const home = rendezvous[0]!;
  const pinnedId = options.load?.pinned(stickyKey, t.provider.id, t.model);
  const own = (pinnedId !== undefined && pinnedId !== home.id && rendezvous.find((a) => a.id === pinnedId)) || home;
  const load = options.load;
  const unfit = (account: AccountConfig) => {
    const ref = accountRef(t.provider.id, account.id);
    return options.cooling?.(ref) === true || (load !== undefined && ((scope !== undefined && load.exhausted(ref, scope)) || load.hung(ref, t.model)));
  };
  const kept = () => ({ order: own === home ? rendezvous : [own, ...rendezvous.filter((a) => a !== own)], balancedBy: t.balance ? 'sticky' : undefined, home: home.id }) as const;
  if (!unfit(own)) return kept();
  const others = t.accounts.filter((a) => a !== own);
  const able = others.filter((a) => !unfit(a));
  // Only to an account that can serve: when every other one rests, hangs or is spent too (a
  // provider-wide burst of 429s, an outage), moving would cost the conversation its cache for nothing.
  if (!able.length) return kept();
  // The balancer's order, but the accounts that can serve first: neither the weighted draw nor
  // `headroom` looks at hung calls, and a call given to another hung account would wait there for
  // the header timeout (resting and spent ones are put last by `planAttempts` anyway).
  const ableFirst = (order: AccountConfig[]) => (able.length === others.length ? [...order, own] : [...order.filter((a) => able.includes(a)), ...order.filter((a) => !able.includes(a)), own]);
  if (!t.balance || !load) return { order: ableFirst(weightedOrder(others, random)), balancedBy: 'weighted', home: home.id };
  const pool: Pool = { providerId: t.provider.id, model: t.model, accounts: others };
  if (scope !== undefined) pool.quotaScope = scope;
  const { order, by } = balancedOrder(t.balance, pool, options.stream === true, load, random);
  return { order: ableFirst(order), balancedBy: by, home: home.id };
}
