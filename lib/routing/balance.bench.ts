/**
 * What balancing adds to a call: planning a pool's order by weight (today's draw, the baseline),
 * by calls in flight and by latency, for pools of two and eight accounts; and what every attempt
 * pays whatever its pool's balance: its place in flight taken and given back, and its time to
 * headers added to the average.
 *
 *   npx tsx lib/routing/balance.bench.ts
 */
import type { AccountConfig } from '../config/schema';
import { AccountLoad } from './account-load';
import { planAttempts } from './attempts';
import type { Balance } from './balance';
import type { Target } from './catalog';

/** Median ns per call of `fn` over `rounds` rounds of `n` calls, after a warm-up. */
function measure(fn: () => unknown, n = 20_000, rounds = 15): number {
  for (let i = 0; i < n; i++) fn();
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    times.push(Number(process.hrtime.bigint() - start) / n);
  }
  return times.sort((a, b) => a - b)[Math.floor(rounds / 2)]!;
}

function targetOf(size: number, balance?: Balance): Target {
  const accounts = Array.from({ length: size }, (_, i) => ({ id: `acct-${i}`, weight: 1 + (i % 3) }) as AccountConfig);
  return { provider: { id: 'openai', type: 'openai', baseUrl: 'https://api.openai.com/v1', accounts }, accounts, model: 'gpt-4o-mini', ...(balance ? { balance } : {}) } as Target;
}

const load = new AccountLoad();
// A busy instance: every account has calls in flight and an average.
for (let i = 0; i < 8; i++) {
  for (let k = 0; k < i % 4; k++) load.begin(`openai/acct-${i}`);
  load.observe(`openai/acct-${i}`, 'gpt-4o-mini', true, 100 + 17 * i);
}
const cooling = () => false;

console.log('| pool | weighted (µs) | least-busy (µs) | latency (µs) |');
console.log('|---|---|---|---|');
for (const size of [2, 8]) {
  const us = (balance?: Balance) => {
    const targets = [targetOf(size, balance)];
    return (measure(() => planAttempts(targets, { cooling, load, stream: true })) / 1000).toFixed(2);
  };
  console.log(`| ${size} accounts | ${us()} | ${us('least-busy')} | ${us('latency')} |`);
}

let sink = 0;
const perAttempt = measure(() => {
  const ref = 'openai/acct-3';
  const release = load.begin(ref);
  load.observe(ref, 'gpt-4o-mini', true, 120 + (sink++ & 7));
  release();
});
console.log(`\nper attempt, every pool: begin + observe + release = ${(perAttempt / 1000).toFixed(3)} µs`);
