import {
  BatchWriteItemCommand,
  type AttributeValue,
  type BatchWriteItemCommandInput,
  type BatchWriteItemCommandOutput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import type { UsageRecord, UsageSink } from '../usage/record';
import { isMalformed, sendBatch, type Loss } from './batch-halving';
import { queryAll, type TableRef } from './dynamo';
import { storedHomeItem, type StoredHome } from './stored-homes';
import { TABLE_SHAPE, storedHomeKey, usageItemKey, usagePartition } from './table';

export { MAX_SPLIT_CALLS } from './batch-halving';

const BATCH_MAX = 25;
/** How many times a batch is sent again for its unprocessed writes (`batchRetryDelayMs` apart). */
export const MAX_RETRIES = 5;
/** The wait before the batch's `attempt`th retry (1-based): 40 ms, doubling. */
export const batchRetryDelayMs = (attempt: number): number => 20 * 2 ** attempt;
/** Records waiting or in flight from which requests wait (`backlog`): one goes on per record written. */
const BACKLOG_LIMIT = 200;
/** The longest a request waits for the backlog: a stuck store must not stop the gateway. */
const BACKLOG_MAX_WAIT_MS = 1_000;
/**
 * The most stored objects' writes (a home, or its removal) kept to be written again after their
 * batch lost them (`DynamoUsageSink`): about 1.3 KB each (6 MB at the cap). Past it the oldest kept is dropped, named
 * in an `onError` call as lost for good.
 */
export const MAX_KEPT_HOMES = 5_000;
/** The wait before a kept home's `round`th write again (1-based): 1 s, doubling, at most 60 s. */
export const keptHomeRetryDelayMs = (round: number): number => Math.min(1_000 * 2 ** (round - 1), 60_000);
/**
 * The most kept writes put back in the queue at once (four batches), oldest first; the rest due wait
 * a first round's delay: a table that recovers, or still fails, is not sent 200 batches together.
 */
export const KEPT_PER_WAKE = 100;

export function usageItem(u: UsageRecord, retentionDays: number): Record<string, AttributeValue> {
  const key = usageItemKey(u.keyId, u.at, u.requestId);
  const n = (v: number) => ({ N: String(v) });
  const item: Record<string, AttributeValue> = {
    PK: { S: key.PK },
    SK: { S: key.SK },
    requestId: { S: u.requestId },
    at: { S: u.at.toISOString() },
    keyId: { S: u.keyId },
    surface: { S: u.surface },
    model: { S: u.model },
    stream: { BOOL: u.stream },
    status: n(u.status),
    outcome: { S: u.outcome },
    inputTokens: n(u.inputTokens),
    outputTokens: n(u.outputTokens),
    cacheReadTokens: n(u.cacheReadTokens),
    cacheWriteTokens: n(u.cacheWriteTokens),
    reasoningTokens: n(u.reasoningTokens),
    latencyMs: n(u.latencyMs),
    attempts: n(u.attempts),
    [TABLE_SHAPE.ttlAttribute]: n(Math.floor(u.at.getTime() / 1000) + retentionDays * 86_400),
  };
  if (u.teamId) item.teamId = { S: u.teamId };
  if (u.endUser) item.endUser = { S: u.endUser };
  if (u.provider) item.provider = { S: u.provider };
  if (u.account) item.account = { S: u.account };
  if (u.upstreamModel) item.upstreamModel = { S: u.upstreamModel };
  if (u.balancedBy) item.balancedBy = { S: u.balancedBy };
  if (u.errorCode) item.errorCode = { S: u.errorCode };
  if (u.ttftMs !== undefined) item.ttftMs = n(u.ttftMs);
  if (u.costMicros !== undefined) item.costMicros = n(u.costMicros);
  if (u.estimated) item.estimated = { BOOL: true };
  if (u.billedUnits !== undefined) item.billedUnits = n(u.billedUnits);
  if (u.cache) item.cache = { S: u.cache };
  if (u.savedMicros !== undefined) item.savedMicros = n(u.savedMicros);
  if (u.guardrails) item.guardrails = { L: u.guardrails.map((h) => ({ M: { rule: { S: h.rule }, action: { S: h.action }, count: n(h.count), ...(h.side ? { side: { S: h.side } } : {}) } })) };
  // A list, not a string set: it keeps the order the policy applied them in.
  if (u.params) item.params = { L: u.params.map((p) => ({ S: p })) };
  return item;
}

/** One BatchWriteItem call: the table's client by default, or one on another thread (lib/local/dynalite). */
export type BatchWriter = (input: BatchWriteItemCommandInput) => Promise<Pick<BatchWriteItemCommandOutput, 'UnprocessedItems'>>;

/** A stored object's write lost with its batch, kept to be written again. */
interface KeptWrite {
  write: WriteRequest;
  /** When it goes into the queue again (ms, `performance.now()`). */
  dueAt: number;
}

/**
 * Writes usage records to DynamoDB off the response path, and the homes of the stored Responses
 * objects calls made or built on (`lib/store/stored-homes.ts`) as soon as they are named
 * (`storeHomes`), with whatever waits; the removals of those a call deleted go in its record's
 * batch. In batches of up to 25: a batch leaves
 * when it is full or `flushAfterMs` after its first write, so a busy instance spends one SDK
 * call per 25 requests rather than one per request. `drain` sends whatever waits at once (Lambda
 * calls it after each response; the local server on shutdown), so nothing is lost. Past
 * `backlogLimit` unwritten records, `backlog()` holds new requests back and lets them go in order,
 * one per record written, so the gateway takes requests no faster than the store takes records (the
 * embedded store runs at low priority and falls behind under load).
 *
 * A stored object's write (a home, or its removal) that its batch lost past the retries is kept and
 * written again in a later batch (`keptHomeRetryDelayMs` after, doubling), and at once by `drain`:
 * another instance that finds no home settles the object as anyone's for a while
 * (`ownerlessWatch`). Only the latest write of an object is kept or retried: one queued after it
 * replaces it, so a home lost before its object's delete does not come back after. At most
 * `keptLimit` are kept, the oldest dropped past it. A batch the table refuses as malformed
 * (`ValidationException`: most often one write over 400 KB) is sent again in halves down to the
 * writes refused alone (`sendBatch`, `sendHalving`: at most `MAX_SPLIT_CALLS` more calls), so the
 * writes beside a bad one are written; a write refused alone
 * is not kept: it would be refused again.
 * Usage records lost are not kept: reported (`onError`, once per part lost) as before.
 */
export class DynamoUsageSink implements UsageSink {
  #queue: WriteRequest[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #pending = new Set<Promise<void>>();
  readonly #flushAfterMs: number;
  readonly #limit: number;
  readonly #maxWaitMs: number;
  readonly #writeBatch: BatchWriter;
  /** Records recorded and not yet written (or given up on). */
  #unwritten = 0;
  /** Requests held back, oldest first. */
  readonly #held: { resolve: () => void; timer: NodeJS.Timeout }[] = [];
  /** By stored object's key (PK), its latest write queued, in flight or kept: an older one is neither retried nor kept. */
  readonly #latest = new Map<string, WriteRequest>();
  /** By stored object's key (PK), its write lost with its batch and kept to be written again, oldest first. */
  readonly #kept = new Map<string, KeptWrite>();
  /** Of each kept write, how many times it has been lost, and when first (`performance.now()`). */
  readonly #losses = new WeakMap<WriteRequest, { rounds: number; since: number }>();
  #keptTimer: NodeJS.Timeout | undefined;
  /** No wake before this (`performance.now()`): set when a wake left writes due behind (`KEPT_PER_WAKE`). */
  #keptWakeNotBefore = 0;
  /** Drains under way: kept writes wait for their end (`drain`). */
  #draining = 0;
  readonly #keptLimit: number;
  readonly #keptDelayMs: (round: number) => number;

  constructor(
    readonly table: TableRef,
    readonly options: {
      retentionDays: number;
      flushAfterMs?: number;
      backlogLimit?: number;
      backlogMaxWaitMs?: number;
      writeBatch?: BatchWriter;
      /** The most stored objects' writes kept to be written again (`MAX_KEPT_HOMES`). */
      keptLimit?: number;
      /** The wait before a kept write's `round`th try (`keptHomeRetryDelayMs`). */
      keptDelayMs?: (round: number) => number;
      /**
       * Writes lost past retries: the calls whose usage records they held; apart from them the
       * stored objects whose homes (or removals) are lost for good (each then anyone's on an
       * instance that did not see it made, once settled there: a write refused as malformed, or
       * the oldest kept dropped past `keptLimit`); and those kept to be written again.
       */
      onError?: (err: unknown, lostRequestIds: string[], lostHomes: string[], keptHomes: string[]) => void;
    },
  ) {
    this.#flushAfterMs = options.flushAfterMs ?? 100;
    this.#limit = options.backlogLimit ?? BACKLOG_LIMIT;
    this.#maxWaitMs = options.backlogMaxWaitMs ?? BACKLOG_MAX_WAIT_MS;
    this.#keptLimit = options.keptLimit ?? MAX_KEPT_HOMES;
    this.#keptDelayMs = options.keptDelayMs ?? keptHomeRetryDelayMs;
    this.#writeBatch = options.writeBatch ?? ((input) => table.client.send(new BatchWriteItemCommand(input)));
  }

  record(usage: UsageRecord, forgotten?: readonly string[]): void {
    // A call's record and the removals of what it deleted leave in one batch: the batch before goes first if they would not fit in it.
    if (forgotten?.length && this.#queue.length + 1 + forgotten.length > BATCH_MAX) this.#flush();
    this.#queue.push({ PutRequest: { Item: usageItem(usage, this.options.retentionDays) } });
    this.#unwritten++;
    if (forgotten) {
      for (const id of forgotten) {
        const key = storedHomeKey(id);
        this.#queueStored({ DeleteRequest: { Key: { PK: { S: key.PK }, SK: { S: key.SK } } } });
      }
    }
    this.#flushSoon();
  }

  storeHomes(homes: readonly StoredHome[]): void {
    for (const home of homes) this.#queueStored({ PutRequest: { Item: storedHomeItem(home) } });
    this.#flushSoon();
  }

  /** Sends the queue once it fills a batch, else `flushAfterMs` after the first write waiting. */
  #flushSoon(): void {
    if (this.#queue.length >= BATCH_MAX) this.#flush();
    else if (!this.#timer) this.#timer = setTimeout(() => this.#flush(), this.#flushAfterMs);
  }

  /**
   * Queues a stored object's home write, in place of one of the same object still waiting: a batch
   * that names a key twice is refused whole (with the usage records in it), and the later write
   * (a conversation's next call, a delete) is the one that holds. The queue is under a batch long.
   */
  #queueStored(write: WriteRequest): void {
    const pk = pkOf(write)!;
    const waiting = this.#queue.findIndex((w) => pkOf(w) === pk);
    if (waiting >= 0) this.#queue.splice(waiting, 1);
    else this.#unwritten++;
    this.#queue.push(write);
    this.#latest.set(pk, write);
    // A kept write of the object is older than this one: it must not be written after it.
    if (this.#kept.size) this.#kept.delete(pk);
  }

  backlog(): Promise<void> | undefined {
    if (this.#unwritten < this.#limit && !this.#held.length) return undefined;
    return new Promise((resolve) => {
      const held = { resolve, timer: setTimeout(() => this.#let(held), this.#maxWaitMs).unref() };
      this.#held.push(held);
    });
  }

  /**
   * Sends whatever waits, and the oldest kept writes (`KEPT_PER_WAKE`, due or not: on Lambda the
   * drain may be the last chance), and waits for them. The drain stands for a wake: none puts kept
   * writes back while it runs, and the next comes a first round's delay after it, or a table that
   * throttles on would have each wake's batches overlap the last's and the drain (a Lambda
   * invocation) run until its time is up.
   */
  async drain(): Promise<void> {
    this.#draining++;
    try {
      this.#requeueKept(true);
      this.#flush();
      while (this.#pending.size) await Promise.all([...this.#pending]);
    } finally {
      if (--this.#draining === 0 && this.#kept.size) {
        this.#keptWakeNotBefore = performance.now() + this.#keptDelayMs(1);
        this.#scheduleKept();
      }
    }
  }

  /**
   * Drains, then stops: the kept writes the drain did not get in are reported lost (`onError`, as
   * `lostHomes`) and their timer cleared, so nothing is sent to a store closed after it (the local
   * server's embedded one) nor reported once its logger is gone.
   */
  async close(): Promise<void> {
    await this.drain();
    clearTimeout(this.#keptTimer);
    this.#keptTimer = undefined;
    if (!this.#kept.size) return;
    const lost: string[] = [];
    for (const [pk, kept] of this.#kept) {
      if (this.#latest.get(pk) === kept.write) this.#latest.delete(pk);
      lost.push(storedIdOf(pk));
    }
    this.#kept.clear();
    this.#report(new Error('closed with stored homes kept unwritten'), [], lost, []);
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#queue.length) {
      const batch = this.#queue.splice(0, BATCH_MAX);
      const p = this.#write(batch).finally(() => {
        this.#pending.delete(p);
        this.#unwritten -= batch.length;
        const room = this.#unwritten < this.#limit ? this.#held.length : batch.length;
        for (const held of this.#held.slice(0, room)) this.#let(held);
      });
      this.#pending.add(p);
    }
  }

  #let(held: { resolve: () => void; timer: NodeJS.Timeout }): void {
    const at = this.#held.indexOf(held);
    if (at >= 0) this.#held.splice(at, 1);
    clearTimeout(held.timer);
    held.resolve();
  }

  /**
   * Sends a batch, and again its unprocessed writes (`MAX_RETRIES` times, `batchRetryDelayMs`
   * apart), then settles it: each write ends written, replaced meanwhile (not sent again), or lost
   * with the failure that lost it (`#settled`).
   */
  async #write(batch: WriteRequest[]): Promise<void> {
    const losses = await sendBatch(batch, {
      send: (writes) => this.#send(writes),
      // A call recorded twice: only its later record is sent again (a stored object's write is queued once per batch already).
      keyOf,
      // A write replaced while its batch was out (a delete after a home) is not sent again: it would land after its replacement.
      wanted: (w) => this.#isLatest(w),
      retries: MAX_RETRIES,
      retryDelayMs: batchRetryDelayMs,
    });
    this.#settled(batch, losses);
  }

  /** One BatchWriteItem call: the writes handed back unprocessed, a stored object's as queued. */
  async #send(writes: WriteRequest[]): Promise<WriteRequest[]> {
    const out = await this.#writeBatch({ RequestItems: { [this.table.tableName]: writes } });
    // DynamoDB hands back copies: a stored object's write is found again among those sent by its key (a batch names a key once).
    return (out.UnprocessedItems?.[this.table.tableName] ?? []).map((w) => (pkOf(w)?.startsWith(STORED_PREFIX) && writes.find((b) => pkOf(b) === pkOf(w))) || w);
  }

  /** Whether the write is not a stored object's, or is its latest. */
  #isLatest(w: WriteRequest): boolean {
    const pk = pkOf(w);
    return !pk?.startsWith(STORED_PREFIX) || this.#latest.get(pk) === w;
  }

  /**
   * After a batch: its stored objects' writes written are done with; those lost that are still
   * their object's latest are kept to be written again (unless refused as malformed: they would be
   * refused again); the calls whose records were lost, and the homes lost or kept, are reported,
   * one report per loss (a part of the batch and the failure that lost it).
   */
  #settled(batch: WriteRequest[], losses: Loss<WriteRequest>[]): void {
    if (!losses.length) {
      // The common case, once per batch: only a usage record's PK is never in `#latest`.
      for (const w of batch) {
        const pk = pkOf(w);
        if (pk !== undefined && this.#latest.get(pk) === w) this.#latest.delete(pk);
      }
      return;
    }
    const lostSet = new Set(losses.flatMap((loss) => loss.writes));
    for (const w of batch) {
      const pk = pkOf(w);
      if (pk?.startsWith(STORED_PREFIX) && !lostSet.has(w) && this.#latest.get(pk) === w) this.#latest.delete(pk);
    }
    const reports = losses.map(({ writes, failure }) => {
      const keepable = !isMalformed(failure);
      const [lostHomes, keptHomes] = [[] as string[], [] as string[]];
      for (const w of writes) {
        const pk = pkOf(w);
        if (!pk?.startsWith(STORED_PREFIX) || this.#latest.get(pk) !== w) continue;
        if (keepable) {
          this.#keep(pk, w);
          keptHomes.push(storedIdOf(pk));
        } else {
          this.#latest.delete(pk);
          lostHomes.push(storedIdOf(pk));
        }
      }
      return { failure, lostRequests: requestIds(writes), lostHomes, keptHomes };
    });
    const kept = reports.some((r) => r.keptHomes.length);
    if (kept) this.#scheduleKept();
    for (const r of reports) if (r.lostRequests.length || r.lostHomes.length || r.keptHomes.length) this.#report(r.failure, r.lostRequests, r.lostHomes, r.keptHomes);
    if (kept) this.#dropPastLimit();
  }

  /**
   * Reports writes lost (`onError`). A reporter that throws (a broken logger) must not cost the
   * reports after it, nor leave the batch's promise rejected with nothing to catch it, which would
   * bring the process down: its throw is told as a process warning, the one channel left.
   */
  #report(err: unknown, lostRequestIds: string[], lostHomes: string[], keptHomes: string[]): void {
    try {
      this.options.onError?.(err, lostRequestIds, lostHomes, keptHomes);
    } catch (thrown) {
      process.emitWarning(`usage sink: reporting ${lostRequestIds.length} records and ${lostHomes.length + keptHomes.length} homes lost or kept failed: ${(thrown as Error)?.message ?? String(thrown)}`);
    }
  }

  #keep(pk: string, write: WriteRequest): void {
    const now = performance.now();
    const losses = this.#losses.get(write) ?? { rounds: 0, since: now };
    losses.rounds++;
    this.#losses.set(write, losses);
    this.#kept.delete(pk);
    this.#kept.set(pk, { write, dueAt: now + this.#keptDelayMs(losses.rounds) });
  }

  /** Past `keptLimit`, drops the kept writes first lost longest ago, reported as lost for good. */
  #dropPastLimit(): void {
    if (this.#kept.size <= this.#keptLimit) return;
    // Sorted only past the limit (an outage of thousands of homes): the map's order is the last loss's, not the first's.
    const since = (kept: KeptWrite) => this.#losses.get(kept.write)?.since ?? 0;
    const oldest = [...this.#kept].sort(([, a], [, b]) => since(a) - since(b)).slice(0, this.#kept.size - this.#keptLimit);
    const dropped: string[] = [];
    for (const [pk, kept] of oldest) {
      this.#kept.delete(pk);
      if (this.#latest.get(pk) === kept.write) this.#latest.delete(pk);
      dropped.push(storedIdOf(pk));
    }
    this.#report(new Error(`more than ${this.#keptLimit} stored homes kept to be written again: the oldest dropped`), [], dropped, []);
  }

  /** Wakes when the first kept write is due (never holding the process open). */
  #scheduleKept(): void {
    clearTimeout(this.#keptTimer);
    this.#keptTimer = undefined;
    if (!this.#kept.size) return;
    let due = Infinity;
    for (const kept of this.#kept.values()) due = Math.min(due, kept.dueAt);
    this.#keptTimer = setTimeout(() => {
      // The drain's end schedules the next wake.
      if (this.#draining) return;
      this.#requeueKept(false);
      // Sent now, not `flushAfterMs` later: that timer holds the process open, and this wake must not.
      this.#flush();
    }, Math.max(0, due - performance.now(), this.#keptWakeNotBefore - performance.now())).unref();
  }

  /** Puts the oldest kept writes due (or any, for `drain`) back in the queue, at most `KEPT_PER_WAKE`, in the batches that leave next. */
  #requeueKept(any: boolean): void {
    if (!this.#kept.size) return;
    const now = performance.now();
    const due: WriteRequest[] = [];
    for (const [pk, kept] of this.#kept) {
      if (!any && kept.dueAt > now) continue;
      if (due.length === KEPT_PER_WAKE) {
        this.#keptWakeNotBefore = now + this.#keptDelayMs(1);
        break;
      }
      this.#kept.delete(pk);
      due.push(kept.write);
    }
    // Ahead of what waits, oldest first: lost again, they are kept in that order (`#dropPastLimit` drops the oldest).
    // Never beside a write of the same object: `#queueStored` drops the kept one when it queues another.
    this.#queue.unshift(...due);
    this.#unwritten += due.length;
    this.#scheduleKept();
  }
}

const STORED_PREFIX = storedHomeKey('').PK;
const pkOf = (w: WriteRequest) => w.PutRequest?.Item?.PK?.S ?? w.DeleteRequest?.Key?.PK?.S;
const keyOf = (w: WriteRequest) => `${pkOf(w)}\u0000${w.PutRequest?.Item?.SK?.S ?? w.DeleteRequest?.Key?.SK?.S}`;
/** The stored object's id in its home's key (PK). */
const storedIdOf = (pk: string) => pk.slice(STORED_PREFIX.length);
// A stored object's home (written or removed) has no request id: it is named by its object's id instead.
const requestIds = (writes: WriteRequest[]) => writes.flatMap((w) => (pkOf(w)?.startsWith(STORED_PREFIX) ? [] : [w.PutRequest?.Item?.requestId?.S ?? '?']));

/** A usage item read back, as stored (numbers as numbers; the guardrails' hits as a list). */
export type StoredUsage = Record<string, string | number | boolean | StoredValue[]>;
type StoredValue = string | number | boolean | { [field: string]: StoredValue } | StoredValue[];

function storedValue(v: AttributeValue): StoredValue {
  if (v.N !== undefined) return Number(v.N);
  if (v.BOOL !== undefined) return v.BOOL;
  if (v.L) return v.L.map(storedValue);
  if (v.M) return Object.fromEntries(Object.entries(v.M).map(([k, inner]) => [k, storedValue(inner)]));
  return v.S ?? '';
}

/** Usage items of one key on one UTC day (`YYYY-MM-DD`), oldest first. */
export async function listUsage(table: TableRef, keyId: string, day: string): Promise<StoredUsage[]> {
  const items = await queryAll(table, { KeyConditionExpression: 'PK = :pk', ExpressionAttributeValues: { ':pk': { S: usagePartition(keyId, day) } } });
  return items.map((item) => {
    const row: StoredUsage = {};
    for (const [k, v] of Object.entries(item)) row[k] = v.L ? v.L.map(storedValue) : (storedValue(v) as string | number | boolean);
    return row;
  });
}
