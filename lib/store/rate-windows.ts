import { ConditionalCheckFailedException, GetItemCommand, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { exhaustedLimit, type RateLimitKind, type RateLimits, type RateWindow } from '../access/rate-limits';
import type { TableRef } from './dynamo';
import { TABLE_SHAPE, rateWindowKey } from './table';

/** A scope's counters in a minute, as a `take` left them (the call counted in `requests` when admitted). */
export interface MinuteCounts {
  requests: number;
  tokens: number;
}

export type TakeResult = { admitted: true; counts: MinuteCounts } | { admitted: false; exhausted: RateLimitKind | undefined; counts: MinuteCounts };

/**
 * Per-key (and per-team: `scopeId` is either's id), per-minute counters that every gateway
 * instance shares: a request is counted only if the scope's limits still allow it, in one atomic
 * step, so concurrent instances cannot let more through between them than the limit.
 */
export interface RateWindowStore {
  /**
   * Counts one request in the window unless a limit is already reached there; a refusal says which.
   * Either way it says what the counters hold, read by the same write (for the rate-limit headers).
   */
  take(scopeId: string, window: RateWindow, limits: RateLimits): Promise<TakeResult>;
  /** Uncounts a request that was counted here and then refused by another scope. */
  giveBack(scopeId: string, window: RateWindow): Promise<void>;
  /** Adds a finished request's tokens to the window it was admitted in (for tokens-per-minute limits). */
  addTokens(scopeId: string, window: RateWindow, tokens: number): Promise<void>;
}

/** Counters outlive their minute by an hour before TTL may remove them (they are not read after it). */
const KEEP_AFTER_WINDOW_S = 3_600;

export class DynamoRateWindows implements RateWindowStore {
  constructor(readonly table: TableRef) {}

  async take(scopeId: string, window: RateWindow, limits: RateLimits): Promise<TakeResult> {
    const conditions: string[] = [];
    const values: Record<string, AttributeValue> = { ':one': { N: '1' }, ':ttl': ttlOf(window) };
    if (limits.requestsPerMinute !== undefined) {
      conditions.push('(attribute_not_exists(requests) OR requests < :rpm)');
      values[':rpm'] = { N: String(limits.requestsPerMinute) };
    }
    if (limits.tokensPerMinute !== undefined) {
      conditions.push('(attribute_not_exists(tokens) OR tokens < :tpm)');
      values[':tpm'] = { N: String(limits.tokensPerMinute) };
    }
    try {
      const out = await this.table.client.send(
        new UpdateItemCommand({
          TableName: this.table.tableName,
          Key: this.#key(scopeId, window),
          UpdateExpression: 'ADD requests :one SET #ttl = if_not_exists(#ttl, :ttl)',
          ...(conditions.length ? { ConditionExpression: conditions.join(' AND ') } : {}),
          ExpressionAttributeNames: { '#ttl': TABLE_SHAPE.ttlAttribute },
          ExpressionAttributeValues: values,
          // The whole (small) item, not UPDATED_NEW: the tokens count is not written here but is told too. Same write, same cost.
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { admitted: true, counts: countsOf(out.Attributes) };
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      // DynamoDB hands back the item that failed the check; stores that do not (dynalite) are read once.
      const counts = countsOf(err.Item ?? (await this.#read(scopeId, window)));
      return { admitted: false, exhausted: exhaustedLimit(counts, limits), counts };
    }
  }

  async giveBack(scopeId: string, window: RateWindow): Promise<void> {
    await this.#add(scopeId, window, 'requests', -1);
  }

  async addTokens(scopeId: string, window: RateWindow, tokens: number): Promise<void> {
    await this.#add(scopeId, window, 'tokens', tokens);
  }

  async #add(scopeId: string, window: RateWindow, counter: 'requests' | 'tokens', n: number): Promise<void> {
    await this.table.client.send(
      new UpdateItemCommand({
        TableName: this.table.tableName,
        Key: this.#key(scopeId, window),
        UpdateExpression: `ADD ${counter} :n SET #ttl = if_not_exists(#ttl, :ttl)`,
        ExpressionAttributeNames: { '#ttl': TABLE_SHAPE.ttlAttribute },
        ExpressionAttributeValues: { ':n': { N: String(n) }, ':ttl': ttlOf(window) },
      }),
    );
  }

  #key(scopeId: string, window: RateWindow): Record<string, AttributeValue> {
    const key = rateWindowKey(scopeId, window.id);
    return { PK: { S: key.PK }, SK: { S: key.SK } };
  }

  async #read(scopeId: string, window: RateWindow): Promise<Record<string, AttributeValue> | undefined> {
    const out = await this.table.client.send(new GetItemCommand({ TableName: this.table.tableName, Key: this.#key(scopeId, window), ConsistentRead: true }));
    return out.Item;
  }
}

const ttlOf = (window: RateWindow): AttributeValue => ({ N: String(Math.floor(window.endsAt / 1000) + KEEP_AFTER_WINDOW_S) });

function countsOf(item: Record<string, AttributeValue> | undefined): MinuteCounts {
  const n = (name: string) => Number(item?.[name]?.N ?? 0);
  return { requests: n('requests'), tokens: n('tokens') };
}

/** The same contract in memory, for unit tests of code that uses a RateWindowStore (one process only). */
export class MemoryRateWindows implements RateWindowStore {
  readonly #counts = new Map<string, { requests: number; tokens: number }>();

  async take(scopeId: string, window: RateWindow, limits: RateLimits): Promise<TakeResult> {
    const counts = this.#at(scopeId, window);
    const exhausted = exhaustedLimit(counts, limits);
    if (exhausted) return { admitted: false, exhausted, counts: { ...counts } };
    counts.requests++;
    return { admitted: true, counts: { ...counts } };
  }

  async giveBack(scopeId: string, window: RateWindow): Promise<void> {
    this.#at(scopeId, window).requests--;
  }

  async addTokens(scopeId: string, window: RateWindow, tokens: number): Promise<void> {
    this.#at(scopeId, window).tokens += tokens;
  }

  #at(scopeId: string, window: RateWindow) {
    const id = `${scopeId}#${window.id}`;
    let counts = this.#counts.get(id);
    if (!counts) this.#counts.set(id, (counts = { requests: 0, tokens: 0 }));
    return counts;
  }
}
