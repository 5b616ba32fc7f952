import { BatchGetItemCommand, type AttributeValue, type BatchGetItemCommandOutput, type KeysAndAttributes } from '@aws-sdk/client-dynamodb';
import type { TableRef } from './dynamo';

type Item = Record<string, AttributeValue>;

/** DynamoDB's limit of keys per BatchGetItem. */
export const BATCH_GET_MAX = 100;
/** Unprocessed keys (the table pushed back) are asked for again, a few times, with a growing pause. */
const RETRIES = 5;
const PAUSE_MS = 50;

/**
 * The items of these keys that exist, by `PK` (keys here are unique by partition), read in one
 * BatchGetItem per 100 keys. Eventually consistent: what an admin listing or the alerts job reads
 * may be a second behind, at half the cost of a strong read.
 */
export async function batchGetItems(table: TableRef, keys: readonly { PK: string; SK: string }[]): Promise<Map<string, Item>> {
  const found = new Map<string, Item>();
  for (let start = 0; start < keys.length; start += BATCH_GET_MAX) {
    let request: Record<string, KeysAndAttributes> | undefined = {
      [table.tableName]: { Keys: keys.slice(start, start + BATCH_GET_MAX).map((k) => ({ PK: { S: k.PK }, SK: { S: k.SK } })) },
    };
    for (let attempt = 0; request && Object.keys(request).length; attempt++) {
      if (attempt > RETRIES) throw new Error(`BatchGetItem left keys unread after ${RETRIES} retries`);
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, PAUSE_MS * 2 ** attempt));
      const out: BatchGetItemCommandOutput = await table.client.send(new BatchGetItemCommand({ RequestItems: request }));
      for (const item of out.Responses?.[table.tableName] ?? []) found.set(item.PK!.S!, item);
      request = out.UnprocessedKeys;
    }
  }
  return found;
}
