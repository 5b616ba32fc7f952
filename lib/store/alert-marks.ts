import { ConditionalCheckFailedException, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { SpendCounterRef } from '../access/budget-status';
import { listIndexPartition, type TableRef } from './dynamo';
import { ALERT_MARK_PREFIX, PENDING_ALERTS_PARTITION, TABLE_SHAPE, alertMarkKey } from './table';

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
  const { index } = TABLE_SHAPE;
  const old = await updateMark(table, ref, {
    // A lower threshold's alert kept for the job (`keepPendingAlert`) is moot once this one is
    // claimed: taken off with the claim, so the job does not send an 80 % after the 100 %.
    UpdateExpression: 'SET announced = :t, #ttl = :ttl REMOVE pending, #gpk, #gsk',
    ConditionExpression: 'attribute_not_exists(announced) OR announced < :t',
    ExpressionAttributeNames: { '#ttl': TABLE_SHAPE.ttlAttribute, '#gpk': index.partitionKey, '#gsk': index.sortKey },
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

/** An alert kept on its budget's mark for the scheduled job to send (`keepPendingAlert`), as `listPendingAlerts` hands it back. */
export interface PendingAlert {
  ref: SpendCounterRef;
  /** The alert as the gateway would have sent it, serialised (`BudgetAlert` as JSON): the job sends it as it is. */
  alert: string;
}

/**
 * Keeps an alert on its budget's mark, for the scheduled job to send, when its claim is still this
 * caller's (`announced = threshold`): the gateway's way out when a notification fails, so that no
 * later call and no living instance is needed for it to go. False when someone claimed higher
 * since (that one announces). The mark joins the index partition the job lists.
 *
 * @example
 * await keepPendingAlert(table, { scopeId: 'key_1@…', periodId: '2026-11-26' }, 0.8, JSON.stringify(alert)); // true
 */
export async function keepPendingAlert(table: TableRef, ref: SpendCounterRef, threshold: number, alert: string): Promise<boolean> {
  const { index } = TABLE_SHAPE;
  const kept = await updateMark(table, ref, {
    UpdateExpression: 'SET pending = :alert, #gpk = :gpk, #gsk = :gsk',
    ConditionExpression: 'announced = :t',
    ExpressionAttributeNames: { '#gpk': index.partitionKey, '#gsk': index.sortKey },
    ExpressionAttributeValues: { ':t': { N: String(threshold) }, ':alert': { S: alert }, ':gpk': { S: PENDING_ALERTS_PARTITION }, ':gsk': { S: counterKey(ref) } },
  });
  return kept !== false;
}

/** Every alert kept for the job to send (from the index: one just kept may show a moment later). */
export async function listPendingAlerts(table: TableRef): Promise<PendingAlert[]> {
  const items = await listIndexPartition(table, PENDING_ALERTS_PARTITION);
  return items.flatMap((item) => {
    const pk = item.PK?.S;
    const alert = item.pending?.S;
    if (!pk?.startsWith(ALERT_MARK_PREFIX) || alert === undefined) return [];
    // The mark's key is `ALERT#<scope>#<period>`; scope ids hold `#` nowhere, period ids never.
    const counter = pk.slice(ALERT_MARK_PREFIX.length);
    const cut = counter.lastIndexOf('#');
    return cut > 0 ? [{ ref: { scopeId: counter.slice(0, cut), periodId: counter.slice(cut + 1) }, alert }] : [];
  });
}

/**
 * Takes a kept alert out before sending it: true for exactly one of any number of runs at once
 * (the alert must still be the one listed). A send that then fails keeps it again.
 */
export async function takePendingAlert(table: TableRef, pending: PendingAlert): Promise<boolean> {
  const { index } = TABLE_SHAPE;
  const taken = await updateMark(table, pending.ref, {
    UpdateExpression: 'REMOVE pending, #gpk, #gsk',
    ConditionExpression: 'pending = :alert',
    ExpressionAttributeNames: { '#gpk': index.partitionKey, '#gsk': index.sortKey },
    ExpressionAttributeValues: { ':alert': { S: pending.alert } },
  });
  return taken !== false;
}

const counterKey = (ref: SpendCounterRef) => `${ref.scopeId}#${ref.periodId}`;
