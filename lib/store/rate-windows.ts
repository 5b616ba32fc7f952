import { ConditionalCheckFailedException, GetItemCommand, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { exhaustedLimit, type RateLimitKind, type RateLimits, type RateWindow } from '../access/rate-limits';
import type { TableRef } from './dynamo';
import { TABLE_SHAPE, rateWindowKey } from './table';

export type TakeResult = { admitted: true } | { admitted: false; exhausted: RateLimitKind | undefined };

/**
 * Per-key, per-minute counters that every gateway instance shares: a request is counted only if
 * the key's limits still allow it, in one atomic step, so concurrent instances cannot let more
 * through between them than the limit.
 */
export interface RateWindowStore {
  /** Counts one request in the window unless a limit is already reached there; a refusal says which. */
  take(keyId: string, window: RateWindow, limits: RateLimits): Promise<TakeResult>;
  /** Adds a finished request's tokens to the window it was admitted in (for tokens-per-minute limits). */
  addTokens(keyId: string, window: RateWindow, tokens: number): Promise<void>;
}

/** Counters outlive their minute by an hour before TTL may remove them (they are not read after it). */
const KEEP_AFTER_WINDOW_S = 3_600;

export class DynamoRateWindows implements RateWindowStore {
  constructor(readonly table: TableRef) {}

  async take(keyId: string, window: RateWindow, limits: RateLimits): Promise<TakeResult> {
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
      await this.table.client.send(
        new UpdateItemCommand({
          TableName: this.table.tableName,
          Key: this.#key(keyId, window),
          UpdateExpression: 'ADD requests :one SET #ttl = if_not_exists(#ttl, :ttl)',
          ...(conditions.length ? { ConditionExpression: conditions.join(' AND ') } : {}),
          ExpressionAttributeNames: { '#ttl': TABLE_SHAPE.ttlAttribute },
          ExpressionAttributeValues: values,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { admitted: true };
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      // DynamoDB hands back the item that failed the check; stores that do not (dynalite) are read once.
      const item = err.Item ?? (await this.#read(keyId, window));
      return { admitted: false, exhausted: exhaustedLimit(countsOf(item), limits) };
    }
  }

  async addTokens(keyId: string, window: RateWindow, tokens: number): Promise<void> {
    await this.table.client.send(
      new UpdateItemCommand({
        TableName: this.table.tableName,
        Key: this.#key(keyId, window),
        UpdateExpression: 'ADD tokens :n SET #ttl = if_not_exists(#ttl, :ttl)',
        ExpressionAttributeNames: { '#ttl': TABLE_SHAPE.ttlAttribute },
        ExpressionAttributeValues: { ':n': { N: String(tokens) }, ':ttl': ttlOf(window) },
      }),
    );
  }

  #key(keyId: string, window: RateWindow): Record<string, AttributeValue> {
    const key = rateWindowKey(keyId, window.id);
    return { PK: { S: key.PK }, SK: { S: key.SK } };
  }

  async #read(keyId: string, window: RateWindow): Promise<Record<string, AttributeValue> | undefined> {
    const out = await this.table.client.send(new GetItemCommand({ TableName: this.table.tableName, Key: this.#key(keyId, window), ConsistentRead: true }));
    return out.Item;
  }
}

const ttlOf = (window: RateWindow): AttributeValue => ({ N: String(Math.floor(window.endsAt / 1000) + KEEP_AFTER_WINDOW_S) });

function countsOf(item: Record<string, AttributeValue> | undefined): { requests?: number; tokens?: number } {
  const n = (name: string) => (item?.[name]?.N === undefined ? undefined : Number(item[name].N));
  const requests = n('requests');
  const tokens = n('tokens');
  return { ...(requests !== undefined ? { requests } : {}), ...(tokens !== undefined ? { tokens } : {}) };
}

/** The same contract in memory, for unit tests of code that uses a RateWindowStore (one process only). */
export class MemoryRateWindows implements RateWindowStore {
  readonly #counts = new Map<string, { requests: number; tokens: number }>();

  async take(keyId: string, window: RateWindow, limits: RateLimits): Promise<TakeResult> {
    const counts = this.#at(keyId, window);
    const exhausted = exhaustedLimit(counts, limits);
    if (exhausted) return { admitted: false, exhausted };
    counts.requests++;
    return { admitted: true };
  }

  async addTokens(keyId: string, window: RateWindow, tokens: number): Promise<void> {
    this.#at(keyId, window).tokens += tokens;
  }

  #at(keyId: string, window: RateWindow) {
    const id = `${keyId}#${window.id}`;
    let counts = this.#counts.get(id);
    if (!counts) this.#counts.set(id, (counts = { requests: 0, tokens: 0 }));
    return counts;
  }
}
