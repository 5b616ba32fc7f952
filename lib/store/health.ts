import { ConditionalCheckFailedException, PutItemCommand, QueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { TableRef } from './dynamo';
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
    const rests: Rest[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.table.client.send(
        new QueryCommand({ TableName: this.table.tableName, KeyConditionExpression: 'PK = :pk', ExpressionAttributeValues: { ':pk': { S: HEALTH_PARTITION } }, ExclusiveStartKey: start }),
      );
      for (const item of page.Items ?? []) {
        const until = Number(item.until?.N);
        if (item.SK?.S && until > nowMs) rests.push({ ref: item.SK.S, until });
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return rests;
  }
}
