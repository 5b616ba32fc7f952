import type { AccountConfig, Price, ProviderConfig } from '../config/schema';
import type { Target } from './catalog';

export interface Attempt {
  provider: ProviderConfig;
  account: AccountConfig;
  model: string;
  price?: Price;
}

/**
 * The order in which to try (target, account) pairs: targets in config order; within a target,
 * accounts in a weighted random order, so load spreads by weight and a failed account's share
 * moves to its siblings before the next target is tried.
 */
export function planAttempts(targets: readonly Target[], random: () => number = Math.random): Attempt[] {
  const plan: Attempt[] = [];
  for (const t of targets) {
    for (const account of weightedOrder(t.accounts, random)) plan.push({ provider: t.provider, account, model: t.model, ...(t.price ? { price: t.price } : {}) });
  }
  return plan;
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
