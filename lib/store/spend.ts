import { ConditionalCheckFailedException, GetItemCommand, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { SpendPeriod } from '../access/spend-limits';
import type { Micros } from '../usage/cost';
import type { TableRef } from './dynamo';
import { TABLE_SHAPE, spendItemKey } from './table';

/** A reservation held, with the counter's total after it (`total`), or refused, with what was used. */
export type ReserveResult = { reserved: true; total: Micros } | { reserved: false; used: Micros | undefined };

/**
 * What each key, and each team (`scopeId` is either's id), has spent per period, shared by every gateway instance. A call first holds its
 * worst case, only if that still fits under the limit, in one atomic step; when it ends, the
 * difference to what it really cost is given back. So concurrent calls can never spend past a
 * budget between them.
 */
export interface SpendStore {
  reserve(scopeId: string, period: SpendPeriod, micros: Micros): Promise<ReserveResult>;
  /**
   * Adds (or, negative, gives back) an amount: a call's settlement, or a reservation undone.
   * Resolves to the counter's total after it, or undefined when there was nothing to add (0: no write).
   */
  adjust(scopeId: string, period: SpendPeriod, micros: Micros): Promise<Micros | undefined>;
}

/** A day's counter is kept a month past its day, a month's for a year: they are also the key's spend history. */
const KEEP_AFTER_S = { day: 35 * 86_400, month: 400 * 86_400 } as const;

export class DynamoSpendStore implements SpendStore {
  constructor(readonly table: TableRef) {}

  async reserve(scopeId: string, period: SpendPeriod, micros: Micros): Promise<ReserveResult> {
    const room = period.limit - micros;
    if (room < 0) return { reserved: false, used: await this.#used(scopeId, period) };
    try {
      const total = await this.#add(scopeId, period, micros, { ConditionExpression: 'attribute_not_exists(micros) OR micros <= :room', room });
      return { reserved: true, total };
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      // DynamoDB hands back the item that failed the check; stores that do not (dynalite) are read once.
      return { reserved: false, used: microsOf(err.Item) ?? (await this.#used(scopeId, period)) };
    }
  }

  async adjust(scopeId: string, period: SpendPeriod, micros: Micros): Promise<Micros | undefined> {
    return micros === 0 ? undefined : this.#add(scopeId, period, micros);
  }

  /** One `ADD`; resolves to the new total, which the write hands back for nothing (`UPDATED_NEW`: no read, no extra capacity). */
  async #add(scopeId: string, period: SpendPeriod, micros: Micros, condition?: { ConditionExpression: string; room: Micros }): Promise<Micros> {
    const values: Record<string, AttributeValue> = { ':n': { N: String(micros) }, ':ttl': { N: String(Math.floor(period.endsAt / 1000) + KEEP_AFTER_S[period.kind]) } };
    if (condition) values[':room'] = { N: String(condition.room) };
    const out = await this.table.client.send(
      new UpdateItemCommand({
        TableName: this.table.tableName,
        Key: this.#key(scopeId, period),
        UpdateExpression: 'ADD micros :n SET #ttl = if_not_exists(#ttl, :ttl)',
        // End users' budget alerts see from it whether this write crossed a threshold (lib/alerts/end-users.ts).
        ReturnValues: 'UPDATED_NEW',
        ...(condition ? { ConditionExpression: condition.ConditionExpression, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const } : {}),
        ExpressionAttributeNames: { '#ttl': TABLE_SHAPE.ttlAttribute },
        ExpressionAttributeValues: values,
      }),
    );
    return microsOf(out.Attributes) ?? micros;
  }

  async #used(scopeId: string, period: SpendPeriod): Promise<Micros | undefined> {
    const out = await this.table.client.send(new GetItemCommand({ TableName: this.table.tableName, Key: this.#key(scopeId, period), ConsistentRead: true }));
    return microsOf(out.Item) ?? 0;
  }

  #key(scopeId: string, period: SpendPeriod): Record<string, AttributeValue> {
    const key = spendItemKey(scopeId, period.id);
    return { PK: { S: key.PK }, SK: { S: key.SK } };
  }
}

const microsOf = (item: Record<string, AttributeValue> | undefined): Micros | undefined => (item?.micros?.N === undefined ? undefined : Number(item.micros.N));

/** The same contract in memory, for unit tests of code that uses a SpendStore (one process only). */
export class MemorySpendStore implements SpendStore {
  readonly #used = new Map<string, Micros>();

  async reserve(scopeId: string, period: SpendPeriod, micros: Micros): Promise<ReserveResult> {
    const used = this.used(scopeId, period);
    if (used + micros > period.limit) return { reserved: false, used };
    this.#used.set(`${scopeId}#${period.id}`, used + micros);
    return { reserved: true, total: used + micros };
  }

  async adjust(scopeId: string, period: SpendPeriod, micros: Micros): Promise<Micros | undefined> {
    if (micros === 0) return undefined;
    const total = this.used(scopeId, period) + micros;
    this.#used.set(`${scopeId}#${period.id}`, total);
    return total;
  }

  /** What the key has spent or holds in the period. */
  used(scopeId: string, period: Pick<SpendPeriod, 'id'>): Micros {
    return this.#used.get(`${scopeId}#${period.id}`) ?? 0;
  }
}
