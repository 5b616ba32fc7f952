import type { TableRef } from '../../lib/store/dynamo';
import { listUsage, type StoredUsage } from '../../lib/store/usage';

const DAY_MS = 86_400_000;

/** The UTC days (`YYYY-MM-DD`) from the one of `from` to the one of `to` (epoch ms), both in, oldest first; none when `to` is before the day of `from`. */
export function utcDaysBetween(from: number, to: number): string[] {
  const days: string[] = [];
  for (let at = Math.floor(from / DAY_MS) * DAY_MS; at <= to; at += DAY_MS) days.push(new Date(at).toISOString().slice(0, 10));
  return days;
}

/**
 * The UTC days a read from `since` to `now` (epoch ms) covers. A `now` before the day of `since` (a
 * clock moved back) is refused: reading no day would find nothing, and a test that expects no
 * record or no spend would pass unseen.
 */
export function utcDaysSince(since: number, now: number): string[] {
  const days = utcDaysBetween(since, now);
  if (days.length === 0) throw new RangeError(`now (${new Date(now).toISOString()}) is before the day of since (${new Date(since).toISOString()}): was a clock moved back?`);
  return days;
}

/**
 * A key's usage records from the UTC day of `since` (epoch ms, taken before the calls) to the day of
 * `now`, oldest first. A record lands on the day its request finished (`usageItemKey`): a run that
 * passes midnight UTC between its calls and this read finds them on the day before, which a read of
 * today's records alone misses. `now` is the gateway's clock when it has its own; one moved back
 * before the day of `since` is refused (`utcDaysSince`).
 *
 * @example
 * const started = Date.now();
 * await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
 * expect(await usageSince(gw.table, keyId, started)).toHaveLength(1);
 */
export async function usageSince(table: TableRef, keyId: string, since: number, now = Date.now()): Promise<StoredUsage[]> {
  return (await Promise.all(utcDaysSince(since, now).map((day) => listUsage(table, keyId, day)))).flat();
}
