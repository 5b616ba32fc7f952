import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { TeamSplit, UsageTotals } from '../usage/rollup';
import { queryAll, type TableRef } from './dynamo';
import { ROLLUP_LIST_PARTITION, TABLE_SHAPE, rollupItemKey } from './table';

/** One key's usage of one UTC day, per team it was made in and model, as the last roll-up found it. */
export interface DayRollup extends TeamSplit {
  keyId: string;
  /** `YYYY-MM-DD`, UTC. */
  day: string;
  /** When it was summed: usage after that is not in it yet. */
  rolledUpAt: string;
}

/** Roll-ups outlive the usage records they sum (kept `usage.retentionDays`) by a year. */
const KEEP_AFTER_S = 400 * 86_400;

export class DynamoRollups {
  constructor(readonly table: TableRef) {}

  /** Writes a day's roll-up, replacing any earlier one: a roll-up is always the whole day summed again. */
  async put(rollup: DayRollup): Promise<void> {
    const key = rollupItemKey(rollup.keyId, rollup.day);
    await this.table.client.send(
      new PutItemCommand({
        TableName: this.table.tableName,
        Item: {
          PK: { S: key.PK },
          SK: { S: key.SK },
          [TABLE_SHAPE.index.partitionKey]: { S: key.GSI1PK },
          [TABLE_SHAPE.index.sortKey]: { S: key.GSI1SK },
          keyId: { S: rollup.keyId },
          day: { S: rollup.day },
          byModel: { S: JSON.stringify(rollup.byModel) },
          ...(rollup.byTeam ? { byTeam: { S: JSON.stringify(rollup.byTeam) } } : {}),
          rolledUpAt: { S: rollup.rolledUpAt },
          [TABLE_SHAPE.ttlAttribute]: { N: String(Math.floor(Date.parse(`${rollup.day}T00:00:00Z`) / 1000) + KEEP_AFTER_S) },
        },
      }),
    );
  }

  /** Every key's roll-ups of the days from `from` to `to` (inclusive, `YYYY-MM-DD`), by day then key. */
  async list(from: string, to: string): Promise<DayRollup[]> {
    const { index } = TABLE_SHAPE;
    const items = await queryAll(this.table, {
      IndexName: index.name,
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
      ExpressionAttributeNames: { '#pk': index.partitionKey, '#sk': index.sortKey },
      // `#` sorts before every character of a key id, `~` after: the whole of both end days.
      ExpressionAttributeValues: { ':pk': { S: ROLLUP_LIST_PARTITION }, ':from': { S: `${from}#` }, ':to': { S: `${to}#~` } },
    });
    return items.map((item) => ({
      keyId: item.keyId!.S!,
      day: item.day!.S!,
      byModel: JSON.parse(item.byModel!.S!) as Record<string, UsageTotals>,
      ...(item.byTeam?.S ? { byTeam: JSON.parse(item.byTeam.S) as Record<string, Record<string, UsageTotals>> } : {}),
      rolledUpAt: item.rolledUpAt!.S!,
    }));
  }

}
