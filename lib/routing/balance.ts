import type { AccountConfig, ProviderConfig } from '../config/schema';
import type { LoadView } from './account-load';
import { accountRef } from './health';
import { HEADROOM } from './headroom';

/** How a pool's accounts are ordered for a call: the config's `balance`. */
export type Balance = NonNullable<ProviderConfig['balance']>;

/** What ordered the pool a call was served from: its balance, a `latency` pool's exploring draw, the conversation's sticky key, or the account holding the stored response a Responses call builds on (`continuationOrder`). */
export type BalancedBy = Balance | 'explore' | 'sticky' | 'stored';

/**
 * The share of a `latency` pool's calls that take the weighted draw instead of the fastest
 * account: the slower accounts keep being tried, so one that has become fast again is seen to be.
 */
export const EXPLORE_SHARE = 0.05;

/** A pool to order: its accounts, their provider and the upstream model (latency is kept per model). */
export interface Pool {
  providerId: string;
  model: string;
  accounts: readonly AccountConfig[];
  /** Which of the accounts' quotas the model draws on (`quotaScope`); the model when absent. */
  quotaScope?: string;
}

/**
 * The order in which to try a pool's accounts, by its balance:
 * - `weighted`: a weighted random order (each account first with the share of its weight).
 * - `least-busy`: fewest calls in flight on this instance per unit of weight first.
 * - `latency`: lowest smoothed time to the answer's start first (a stream's first event, a whole
 *   answer's headers: `tryTargets` takes the samples), accounts never timed before all
 *   of them (so each gets tried) unless already being tried (then after all of them, until timed);
 *   and `EXPLORE_SHARE` of the calls take the weighted order.
 * - `headroom`: the largest share of upstream quota left first, as the account's last answer
 *   reported it (in bands of `HEADROOM.bandShare`, which tie), accounts never read before all of
 *   them, one call at a time, as `latency` tries accounts never timed.
 * Ties (every account idle, none timed yet) keep the weighted random order, so load still spreads
 * by weight. `random` is uniform in [0, 1); the weighted draw takes one value per account, a
 * `latency` pool's exploring draw one more before it.
 *
 * @example
 * balancedOrder('least-busy', { providerId: 'openai', model: 'gpt-4o', accounts }, false, load, Math.random)
 * // → { order: [b, a], by: 'least-busy' } when a has 2 calls in flight and b none
 */
export function balancedOrder(balance: Balance, pool: Pool, stream: boolean, load: LoadView, random: () => number): { order: AccountConfig[]; by: BalancedBy } {
  const { accounts } = pool;
  if (balance === 'latency' && accounts.length > 1 && random() < EXPLORE_SHARE) return { order: weightedOrder(accounts, random), by: 'explore' };
  const order = weightedOrder(accounts, random);
  if (balance === 'weighted' || order.length <= 1) return { order, by: balance };
  const scores = order.map((account) => scoreOf(balance, pool, account, stream, load));
  // An insertion sort, stable: equal scores keep the weighted draw's order (and pools are a few accounts).
  for (let i = 1; i < order.length; i++) {
    const account = order[i]!;
    const score = scores[i]!;
    let j = i - 1;
    for (; j >= 0 && scores[j]! > score; j--) {
      order[j + 1] = order[j]!;
      scores[j + 1] = scores[j]!;
    }
    order[j + 1] = account;
    scores[j + 1] = score;
  }
  return { order, by: balance };
}

/** How many bands of headroom there are (multiplying by it, not dividing by the share, keeps 0.9 in band 18, not 19). */
const BANDS = Math.round(1 / HEADROOM.bandShare);

/** Each account's `provider/account`, made once: building it on every call would cost more than the look-ups it is for. */
const refs = new WeakMap<AccountConfig, string>();

function scoreOf(balance: Exclude<Balance, 'weighted'>, pool: Pool, account: AccountConfig, stream: boolean, load: LoadView): number {
  let ref = refs.get(account);
  if (ref === undefined) refs.set(account, (ref = accountRef(pool.providerId, account.id)));
  if (balance === 'least-busy') return load.inFlight(ref) / account.weight;
  if (balance === 'headroom') {
    const share = load.headroom(ref, pool.quotaScope ?? pool.model);
    // Never read: first, one call at a time, as `latency` tries an account it has not timed. Only a
    // call to this model waiting for its headers holds it back: those headers bring the reading, while
    // the account's other calls (other models, sticky conversations) would keep it last, unread, for
    // as long as it is never idle (no exploring draw here to find it again).
    if (share === undefined) return load.awaitingHeaders(ref, pool.model) ? Infinity : -Infinity;
    // More left first; within a band, a tie (the weighted draw decides). Ceiling: a full account and
    // one a call short of full share the top band, and only an account with nothing left is in band 0.
    return -Math.ceil(share * BANDS);
  }
  // Never timed: first, so that it is (an account that has not answered yet cannot be judged slow);
  // but one call at a time: while its first call is out, every call arriving would otherwise go to it
  // too (a herd on an account just added, or on all of them once the averages were forgotten).
  return load.latencyMs(ref, pool.model, stream) ?? (load.inFlight(ref) > 0 ? Infinity : -1);
}

/**
 * Accounts in a weighted random order: each draw picks one of those left with the share of its
 * weight, so the first is each account in proportion to its weight and the rest follow likewise.
 *
 * @example
 * weightedOrder([{ id: 'a', weight: 3 }, { id: 'b', weight: 1 }], () => 0.9) // [b, a]
 */
export function weightedOrder(accounts: readonly AccountConfig[], random: () => number): AccountConfig[] {
  if (accounts.length <= 1) return [...accounts];
  const left = [...accounts];
  const out: AccountConfig[] = [];
  while (left.length) {
    let total = 0;
    for (const a of left) total += a.weight;
    let r = random() * total;
    let i = 0;
    while (i < left.length - 1 && r >= left[i]!.weight) r -= left[i++]!.weight;
    out.push(left.splice(i, 1)[0]!);
  }
  return out;
}
