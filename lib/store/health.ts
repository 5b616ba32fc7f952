import { ConditionalCheckFailedException, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { queryAll, type TableRef } from './dynamo';
import { HEALTH_PARTITION, TABLE_SHAPE, healthItemKey } from './table';

/** An account resting until an epoch-ms time. */
export interface Rest {
  ref: string;
  until: number;
}

/** Where instances tell each other which accounts rest. */
export interface HealthStore {
  /** Records a rest, unless one lasting longer is already recorded. */
  publish(rest: Rest): Promise<void>;
  /** Every rest recorded that has not ended by `nowMs`. */
  read(nowMs: number): Promise<Rest[]>;
}

export class DynamoHealthStore implements HealthStore {
  constructor(readonly table: TableRef) {}

  async publish({ ref, until }: Rest): Promise<void> {
    const key = healthItemKey(ref);
    try {
      await this.table.client.send(
        new PutItemCommand({
          TableName: this.table.tableName,
          Item: {
            PK: { S: key.PK },
            SK: { S: key.SK },
            until: { N: String(until) },
            // Read rests are filtered by time; TTL only clears them out of the partition.
            [TABLE_SHAPE.ttlAttribute]: { N: String(Math.ceil(until / 1000) + 3_600) },
          },
          ConditionExpression: 'attribute_not_exists(#until) OR #until < :until',
          ExpressionAttributeNames: { '#until': 'until' },
          ExpressionAttributeValues: { ':until': { N: String(until) } },
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
  }

  async read(nowMs: number): Promise<Rest[]> {
    const items = await queryAll(this.table, { KeyConditionExpression: 'PK = :pk', ExpressionAttributeValues: { ':pk': { S: HEALTH_PARTITION } } });
    return items.map((item) => ({ ref: item.SK?.S ?? '', until: Number(item.until?.N) })).filter((rest) => rest.ref && rest.until > nowMs);
  }

}
