/**
 * What stored Responses objects' homes and owners add to a Responses call:
 * - a call that builds on nothing (most calls): `continuationOf` finds no stored object (two
 *   property reads, no promise, no read of the table);
 * - a call whose answer names a stored response: `madeAt` remembers it with its owner and hands
 *   its home to the usage sink, which maps it to its table item (`storedHomeItem`) and queues it
 *   (`DynamoUsageSink.storeHomes`, its writes answered at once here); the item goes in the sink's
 *   next BatchWriteItem, off the answer's path;
 * - a warm continuation: the home and owner found in memory and checked (`homeOf`, `mayUse`);
 * - a warm continuation of a response the table has no owner for, once settled
 *   (`settledOwnerless`): no read, against one consistent GetItem per continuation before.
 *
 *   npx tsx lib/pipeline/stored-objects.bench.ts
 */
import type { Caller } from '../access/caller';
import { AccountLoad } from '../routing/account-load';
import type { Attempt } from '../routing/attempts';
import { mayUse, monotonicNow, OWNERLESS_AFTER_SECONDS } from '../routing/response-homes';
import type { TableRef } from '../store/dynamo';
import { storedHomeItem } from '../store/stored-homes';
import { DynamoUsageSink } from '../store/usage';
import type { ProxyDeps } from './deps';
import { callerOwner, continuationOf, madeAt, namedStoredRef } from './stored-objects';
import { medianNsPerCall } from '../../bench/measure';

const measure = (fn: () => unknown, n = 200_000) => medianNsPerCall(fn, n);

const deps = { load: new AccountLoad(), providers: {}, storedHomes: { read: async () => undefined }, usage: new DynamoUsageSink({} as TableRef, { retentionDays: 90, writeBatch: async () => ({}) }), now: Date.now, monotonicNow, config: { routing: { ownerlessAfterSeconds: OWNERLESS_AFTER_SECONDS } } } as unknown as ProxyDeps;
let sink = 0;
const call = { caller: { key: { id: 'key_0123456789abcdef' }, team: { id: 'team_0123456789abcdef' } } as unknown as Caller, body: { model: 'gpt-4o-mini', input: 'Summarise the meeting notes below.', stream: true } as Record<string, unknown>, model: 'gpt-4o-mini' };
const attempt = { provider: { id: 'pool' }, account: { id: 'two' } } as unknown as Attempt;
// A full memory: the cost with the most entries an instance keeps.
for (let i = 0; i < 10_000; i++) deps.load.homes.remember(`resp_${i.toString(16).padStart(48, '0')}`, 'pool', `acct-${i % 3}`, `team_${i % 50}`);

const plain = measure(() => {
  if (continuationOf(call, deps) === undefined) sink++;
});
// New ids each time, made beforehand: each call evicts the least recently used, as on a busy instance.
const fresh = (prefix: string) => Array.from({ length: 40_000 }, (_, i) => `resp_${prefix}${i.toString(16).padStart(47, '0')}`);
const madeIds = fresh('f');
let n = 0;
const made = measure(() => {
  madeAt({ kind: 'response', id: madeIds[n++ % madeIds.length]! }, attempt, callerOwner(call), call, deps);
}, 40_000);
// The memory alone, which every stored response paid before owners and the table.
const rememberIds = fresh('e');
let m = 0;
const rememberOnly = measure(() => deps.load.homes.remember(rememberIds[m++ % rememberIds.length]!, 'pool', 'two', 'team_0123456789abcdef'), 40_000);
const home = { ref: { kind: 'response' as const, id: `resp_${'a'.repeat(48)}` }, providerId: 'pool', accountId: 'two', owner: 'team_0123456789abcdef', keyId: 'key_0123456789abcdef', model: 'gpt-4o-mini', createdAt: Date.now() };
const item = measure(() => (sink += Object.keys(storedHomeItem(home)).length));
const warmId = `resp_${(1234).toString(16).padStart(48, '0')}`;
const warm = measure(() => {
  const found = deps.load.homes.homeOf(warmId);
  if (found && mayUse(found, 'team_34')) sink++;
});
// A response found by asking the pool, read twice the settle time apart with no item, the second read now: settled for the
// settle time (longer than the bench runs), as ownerless ids (a few) among a full memory. Its check reads the clock, as the pipeline's does.
const settledId = `resp_${'5'.repeat(48)}`;
const settleMs = OWNERLESS_AFTER_SECONDS * 1000;
deps.load.homes.remember(settledId, 'pool', 'one');
deps.load.homes.noHomeRead(settledId, monotonicNow() - settleMs, settleMs);
deps.load.homes.noHomeRead(settledId, monotonicNow(), settleMs);
const settled = measure(() => {
  const found = deps.load.homes.homeOf(settledId);
  if (found && (found.owner !== undefined || deps.load.homes.settledOwnerless(settledId, monotonicNow())) && mayUse(found, 'team_34')) sink++;
});
// The whole of continuationOf (its promise included): nothing awaits a read on either path.
const ownId = `resp_${'6'.repeat(48)}`;
deps.load.homes.remember(ownId, 'pool', 'two', callerOwner(call));
const warmBody = { caller: call.caller, body: { ...call.body, previous_response_id: ownId }, model: call.model };
const settledBody = { caller: call.caller, body: { ...call.body, previous_response_id: settledId }, model: call.model };
const warmCall = measure(() => continuationOf(warmBody, deps), 100_000);
const settledCall = measure(() => continuationOf(settledBody, deps), 100_000);
// What every Responses call pays before its limits: the both-ids check, with no read. Measured last: a closure measured after
// another of the same shape is slowed by the harness's call site (10-30 ns either way, whichever comes second).
const named = measure(() => {
  if (namedStoredRef(call.body) === undefined) sink++;
});

console.log('| step | ns per call |');
console.log('|---|---|');
console.log(`| a call that builds on nothing: continuationOf | ${plain.toFixed(1)} |`);
console.log(`| a call that builds on nothing: namedStoredRef (before the limits) | ${named.toFixed(1)} |`);
console.log(`| a response made: madeAt (memory, and its home's item queued in the usage sink) | ${made.toFixed(0)} |`);
console.log(`| of which ResponseHomes.remember alone, a full memory | ${rememberOnly.toFixed(0)} |`);
console.log(`| a response made: its table item (storedHomeItem, when the batch is written) | ${item.toFixed(0)} |`);
console.log(`| a warm continuation: homeOf + mayUse | ${warm.toFixed(1)} |`);
console.log(`| a warm continuation of a settled ownerless response: homeOf + settledOwnerless + mayUse | ${settled.toFixed(1)} |`);
console.log(`| continuationOf, a warm continuation of the caller's own response | ${warmCall.toFixed(0)} |`);
console.log(`| continuationOf, a settled ownerless response | ${settledCall.toFixed(0)} |`);
if (sink < 0) console.log(sink);
