import { ConditionalCheckFailedException, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { SpendCounterRef } from '../access/budget-status';
import type { TableRef } from './dynamo';
import { TABLE_SHAPE, alertMarkKey } from './table';

/** A mark outlives its period by a week: long enough for a late run, then TTL removes it. */
const KEEP_AFTER_PERIOD_S = 7 * 86_400;

/**
 * Records that a budget's `threshold` is being announced, unless it (or a higher one) already was:
 * one conditional update, so of any number of runs at once exactly one gets true.
 */
export async function claimThreshold(table: TableRef, ref: SpendCounterRef, threshold: number, periodEndsAt: Date): Promise<boolean> {
  return (await claimThresholdOver(table, ref, threshold, periodEndsAt)).claimed;
}

/**
 * `claimThreshold`, also saying what was announced before (`previous`, undefined for none), which
 * the same write hands back (`UPDATED_OLD`): what giving the claim back restores, for a caller
 * that has not read the mark (the gateway, claiming an end user's threshold its call crossed).
 *
 * @example
 * await claimThresholdOver(table, { scopeId: 'key_1@…', periodId: '2026-11-26' }, 1, endsAt); // { claimed: true, previous: 0.8 }
 */
export async function claimThresholdOver(table: TableRef, ref: SpendCounterRef, threshold: number, periodEndsAt: Date): Promise<{ claimed: false } | { claimed: true; previous: number | undefined }> {
  const old = await updateMark(table, ref, {
    UpdateExpression: 'SET announced = :t, #ttl = :ttl',
    ConditionExpression: 'attribute_not_exists(announced) OR announced < :t',
    ExpressionAttributeNames: { '#ttl': TABLE_SHAPE.ttlAttribute },
    ExpressionAttributeValues: { ':t': { N: String(threshold) }, ':ttl': { N: String(Math.floor(periodEndsAt.getTime() / 1000) + KEEP_AFTER_PERIOD_S) } },
    ReturnValues: 'UPDATED_OLD',
  });
  if (old === false) return { claimed: false };
  const previous = old?.announced?.N;
  return { claimed: true, previous: previous === undefined ? undefined : Number(previous) };
}

/**
 * Gives a claim back after its notification could not be sent, so a later run tries again; only
 * if nobody has claimed higher since (`previous`: what was announced before, undefined for none).
 */
export async function releaseThreshold(table: TableRef, ref: SpendCounterRef, threshold: number, previous: number | undefined): Promise<void> {
  await updateMark(table, ref, {
    UpdateExpression: previous === undefined ? 'REMOVE announced' : 'SET announced = :prev',
    ConditionExpression: 'announced = :t',
    ExpressionAttributeValues: { ':t': { N: String(threshold) }, ...(previous === undefined ? {} : { ':prev': { N: String(previous) } }) },
  });
}

interface MarkUpdate {
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues: Record<string, AttributeValue>;
  ReturnValues?: 'UPDATED_OLD';
}

/** One conditional update of a budget period's mark: the attributes it handed back (if asked), or false when its condition did not hold. */
async function updateMark(table: TableRef, ref: SpendCounterRef, update: MarkUpdate): Promise<Record<string, AttributeValue> | undefined | false> {
  const key = alertMarkKey(ref.scopeId, ref.periodId);
  try {
    const out = await table.client.send(new UpdateItemCommand({ TableName: table.tableName, Key: { PK: { S: key.PK }, SK: { S: key.SK } }, ...update }));
    return out.Attributes;
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException) return false;
    throw err;
  }
}
