import {
  BatchWriteItemCommand,
  type AttributeValue,
  type BatchWriteItemCommandInput,
  type BatchWriteItemCommandOutput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import type { UsageRecord, UsageSink } from '../usage/record';
import { queryAll, type TableRef } from './dynamo';
import { storedHomeItem, type StoredHome } from './stored-homes';
import { TABLE_SHAPE, storedHomeKey, usageItemKey, usagePartition } from './table';

const BATCH_MAX = 25;
/** How many times a batch is sent again for its unprocessed writes (`batchRetryDelayMs` apart). */
export const MAX_RETRIES = 5;
/** The wait before the batch's `attempt`th retry (1-based): 40 ms, doubling. */
export const batchRetryDelayMs = (attempt: number): number => 20 * 2 ** attempt;
/** Records waiting or in flight from which requests wait (`backlog`): one goes on per record written. */
const BACKLOG_LIMIT = 200;
/** The longest a request waits for the backlog: a stuck store must not stop the gateway. */
const BACKLOG_MAX_WAIT_MS = 1_000;

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

  constructor(
    readonly table: TableRef,
    readonly options: {
      retentionDays: number;
      flushAfterMs?: number;
      backlogLimit?: number;
      backlogMaxWaitMs?: number;
      writeBatch?: BatchWriter;
      /**
       * Writes lost past retries: the calls whose usage records they held, and apart from them the
       * stored objects whose homes they held (each then anyone's on an instance that did not see it made).
       */
      onError?: (err: unknown, lostRequestIds: string[], lostHomes: string[]) => void;
    },
  ) {
    this.#flushAfterMs = options.flushAfterMs ?? 100;
    this.#limit = options.backlogLimit ?? BACKLOG_LIMIT;
    this.#maxWaitMs = options.backlogMaxWaitMs ?? BACKLOG_MAX_WAIT_MS;
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
    const pk = write.PutRequest?.Item?.PK?.S ?? write.DeleteRequest?.Key?.PK?.S;
    const waiting = this.#queue.findIndex((w) => (w.PutRequest?.Item?.PK?.S ?? w.DeleteRequest?.Key?.PK?.S) === pk);
    if (waiting >= 0) this.#queue.splice(waiting, 1);
    else this.#unwritten++;
    this.#queue.push(write);
  }

  backlog(): Promise<void> | undefined {
    if (this.#unwritten < this.#limit && !this.#held.length) return undefined;
    return new Promise((resolve) => {
      const held = { resolve, timer: setTimeout(() => this.#let(held), this.#maxWaitMs).unref() };
      this.#held.push(held);
    });
  }

  async drain(): Promise<void> {
    this.#flush();
    while (this.#pending.size) await Promise.all([...this.#pending]);
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

  async #write(batch: WriteRequest[]): Promise<void> {
    let left = batch;
    try {
      for (let attempt = 0; left.length && attempt <= MAX_RETRIES; attempt++) {
        if (attempt) await new Promise((r) => setTimeout(r, batchRetryDelayMs(attempt)));
        const out = await this.#writeBatch({ RequestItems: { [this.table.tableName]: left } });
        left = out.UnprocessedItems?.[this.table.tableName] ?? [];
      }
      if (left.length) this.options.onError?.(new Error('unprocessed after retries'), requestIds(left), storedIds(left));
    } catch (err) {
      this.options.onError?.(err, requestIds(left), storedIds(left));
    }
  }
}

const STORED_PREFIX = storedHomeKey('').PK;
const storedIdOf = (w: WriteRequest) => {
  const pk = w.PutRequest?.Item?.PK?.S ?? w.DeleteRequest?.Key?.PK?.S;
  return pk?.startsWith(STORED_PREFIX) ? pk.slice(STORED_PREFIX.length) : undefined;
};
// A stored object's home (written or removed) has no request id: it is named by its object's id instead.
const requestIds = (writes: WriteRequest[]) => writes.flatMap((w) => (storedIdOf(w) === undefined ? [w.PutRequest?.Item?.requestId?.S ?? '?'] : []));
const storedIds = (writes: WriteRequest[]) => writes.flatMap((w) => storedIdOf(w) ?? []);

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
