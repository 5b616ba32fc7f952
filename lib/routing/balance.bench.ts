/**
 * What balancing adds to a call: planning a pool's order by weight (today's draw, the baseline),
 * by calls in flight, by latency and by headroom, for pools of two and eight accounts; what every
 * attempt pays whatever its pool's balance: its place in flight taken and given back, and its time
 * to headers added to the average; and what a headroom pool's attempt pays on top: its answer's
 * rate-limit headers read and kept; and what a sticky conversation's plan pays to check its own
 * account (pinned elsewhere? hung? out of quota?) against the rendezvous hashing it always paid.
 *
 *   npx tsx lib/routing/balance.bench.ts
 */
import type { AccountConfig } from '../config/schema';
import { AccountLoad } from './account-load';
import { planAttempts } from './attempts';
import type { Balance } from './balance';
import type { Target } from './catalog';
import { rendezvousOrder } from './sticky';
import { medianNsPerCall } from '../../bench/measure';

const measure = (fn: () => unknown, n = 20_000) => medianNsPerCall(fn, n);

function targetOf(size: number, balance?: Balance): Target {
  const accounts = Array.from({ length: size }, (_, i) => ({ id: `acct-${i}`, weight: 1 + (i % 3) }) as AccountConfig);
  return { provider: { id: 'openai', type: 'openai', baseUrl: 'https://api.openai.com/v1', accounts }, accounts, model: 'gpt-4o-mini', ...(balance ? { balance } : {}) } as Target;
}

/** An answer's headers as OpenAI sends them, with this many requests left of 1 000. */
function openAIHeaders(remaining: number): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-request-id': 'req_0123456789abcdef',
    'x-ratelimit-limit-requests': '1000',
    'x-ratelimit-limit-tokens': '150000000',
    'x-ratelimit-remaining-requests': String(remaining),
    'x-ratelimit-remaining-tokens': '149999990',
    'x-ratelimit-reset-requests': '6m0s',
    'x-ratelimit-reset-tokens': '20ms',
  };
}

const load = new AccountLoad();
// A busy instance: every account has calls in flight and an average.
for (let i = 0; i < 8; i++) {
  for (let k = 0; k < i % 4; k++) load.begin(`openai/acct-${i}`);
  load.observe(`openai/acct-${i}`, 'gpt-4o-mini', true, 100 + 17 * i);
  load.quota.record(`openai/acct-${i}`, 'gpt-4o-mini', openAIHeaders(1000 - 90 * i), true);
}
const cooling = () => false;

console.log('| pool | weighted (µs) | least-busy (µs) | latency (µs) | headroom (µs) |');
console.log('|---|---|---|---|---|');
for (const size of [2, 8]) {
  const us = (balance?: Balance) => {
    const targets = [targetOf(size, balance)];
    return (measure(() => planAttempts(targets, { cooling, load, stream: true })) / 1000).toFixed(2);
  };
  console.log(`| ${size} accounts | ${us()} | ${us('least-busy')} | ${us('latency')} | ${us('headroom')} |`);
}

let sink = 0;
const perAttempt = measure(() => {
  const ref = 'openai/acct-3';
  const release = load.begin(ref);
  load.observe(ref, 'gpt-4o-mini', true, 120 + (sink++ & 7));
  release();
});
console.log(`\nper attempt, every pool: begin + observe + release = ${(perAttempt / 1000).toFixed(3)} µs`);

const answer = openAIHeaders(640);
const anthropicAnswer = {
  'content-type': 'application/json',
  'anthropic-ratelimit-requests-limit': '4000',
  'anthropic-ratelimit-requests-remaining': '3999',
  'anthropic-ratelimit-requests-reset': '2026-11-27T03:00:01Z',
  'anthropic-ratelimit-tokens-limit': '2000000',
  'anthropic-ratelimit-tokens-remaining': '1999000',
  'anthropic-ratelimit-tokens-reset': '2026-11-27T03:00:01Z',
  'anthropic-ratelimit-input-tokens-limit': '2000000',
  'anthropic-ratelimit-input-tokens-remaining': '1999000',
  'anthropic-ratelimit-input-tokens-reset': '2026-11-27T03:00:01Z',
  'anthropic-ratelimit-output-tokens-limit': '400000',
  'anthropic-ratelimit-output-tokens-remaining': '400000',
  'anthropic-ratelimit-output-tokens-reset': '2026-11-27T03:00:00Z',
};
const perOpenAI = measure(() => load.quota.record('openai/acct-3', 'gpt-4o-mini', answer, true));
const perAnthropic = measure(() => load.quota.record('anthropic/acct-3', 'claude-sonnet-4', anthropicAnswer, true));
console.log(`per attempt, headroom pools: an answer's rate-limit headers read and kept = ${(perOpenAI / 1000).toFixed(3)} µs (OpenAI), ${(perAnthropic / 1000).toFixed(3)} µs (Anthropic)`);

const stickyKey = 'h:AbCdEfGhIjKlMnOpQrStUv';
console.log('\n| sticky pool | rendezvous order alone (µs) | plan, own account kept (µs) | plan, own account hung: yields (µs) |');
console.log('|---|---|---|---|');
for (const size of [2, 8]) {
  const targets = [targetOf(size, 'latency')];
  const alone = measure(() => rendezvousOrder(targets[0]!.accounts, stickyKey));
  const kept = measure(() => planAttempts(targets, { cooling, load, stream: true, stickyKey }));
  // The conversation's own account with a stream waiting far past its average.
  const home = `openai/${rendezvousOrder(targets[0]!.accounts, stickyKey)[0]!.id}`;
  let t = 0;
  const hungLoad = new AccountLoad(() => t);
  hungLoad.observe(home, 'gpt-4o-mini', true, 100);
  const came = hungLoad.waitHeaders(home, 'gpt-4o-mini', true);
  t = 60_000;
  if (!hungLoad.hung(home, 'gpt-4o-mini')) throw new Error('the bench meant the home account to be hung');
  const yields = measure(() => planAttempts(targets, { cooling, load: hungLoad, stream: true, stickyKey }));
  came();
  console.log(`| ${size} accounts | ${(alone / 1000).toFixed(2)} | ${(kept / 1000).toFixed(2)} | ${(yields / 1000).toFixed(2)} |`);
}
