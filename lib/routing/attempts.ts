import type { AccountConfig, Price, ProviderConfig } from '../config/schema';
import type { Target } from './catalog';
import { accountRef } from './health';
import { rendezvousOrder } from './sticky';

export interface Attempt {
  provider: ProviderConfig;
  account: AccountConfig;
  model: string;
  price?: Price;
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
}

/**
 * The order in which to try (target, account) pairs: targets in config order; within a target,
 * accounts in a weighted random order, or in the conversation's own weighted order when it has a
 * sticky key, so load spreads by weight and a failed account's share moves to its siblings before
 * the next target is tried. Accounts resting after a failure come
 * after all the healthy ones, of every target (a healthy fallback beats a resting first choice),
 * in the same order among themselves: when every account rests, all are still tried.
 */
export function planAttempts(targets: readonly Target[], options: PlanOptions = {}): Attempt[] {
  const random = options.random ?? Math.random;
  const healthy: Attempt[] = [];
  const resting: Attempt[] = [];
  for (const t of targets) {
    const order = options.stickyKey !== undefined && t.accounts.length > 1 ? rendezvousOrder(t.accounts, options.stickyKey) : weightedOrder(t.accounts, random);
    for (const account of order) {
      const attempt: Attempt = { provider: t.provider, account, model: t.model, ...(t.price ? { price: t.price } : {}) };
      (options.cooling?.(accountRef(t.provider.id, account.id)) ? resting : healthy).push(attempt);
    }
  }
  return resting.length ? [...healthy, ...resting] : healthy;
}

function weightedOrder(accounts: readonly AccountConfig[], random: () => number): AccountConfig[] {
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
