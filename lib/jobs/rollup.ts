import type { KeyStore } from '../store/keys';
import type { TableRef } from '../store/dynamo';
import { DynamoRollups, type DayRollup } from '../store/rollups';
import { listUsage } from '../store/usage';
import { totalsByEndUser, totalsByTeamAndModel, type EndUserRow } from '../usage/rollup';

export interface RollupDeps {
  table: TableRef;
  keys: KeyStore;
  now: () => Date;
}

/** How many keys are summed at once: enough to overlap the table's latency, few enough not to throttle it. */
const PARALLEL_KEYS = 8;

/** The UTC days a scheduled roll-up sums again: yesterday (records written after its last run) and today. */
export function recentDays(now: Date): string[] {
  const today = now.toISOString().slice(0, 10);
  const yesterday = new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10);
  return [yesterday, today];
}

/**
 * Sums the usage records of every key for each day given, per team and model, and writes each key-day that
 * had any as a roll-up, replacing the last one. Idempotent: a run that fails half-way, or two runs
 * at once, leave correct roll-ups behind once one of them completes.
 */
export async function rollUpDays(deps: RollupDeps, days: readonly string[]): Promise<{ keys: number; rollups: number }> {
  const rollups = new DynamoRollups(deps.table);
  const keys = await deps.keys.list();
  let written = 0;
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const key = keys[next++]!;
      for (const day of days) {
        // Taken before the read: whatever is written after it is surely left to the next run.
        const rolledUpAt = deps.now().toISOString();
        const rows = await listUsage(deps.table, key.id, day);
        if (rows.length === 0) continue;
        await rollups.put({ keyId: key.id, day, ...totalsByTeamAndModel(rows), rolledUpAt });
        written++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_KEYS, keys.length) }, worker));
  return { keys: keys.length, rollups: written };
}

/** One key's usage of one day, per team, end user and model, summed from its records. */
export interface DayEndUserRow extends EndUserRow {
  day: string;
  keyId: string;
}

/**
 * Sums the usage records of the keys given over the days given, per team, end user and model: one
 * Query (paged) per key and day, a few at once. Read from the records, not the roll-ups: a
 * roll-up per key and day holds one entry per model, and one per end user and model could make
 * it outgrow DynamoDB's 400 KB item.
 */
export async function endUserDays(table: TableRef, keyIds: readonly string[], days: readonly string[]): Promise<DayEndUserRow[]> {
  const work = keyIds.flatMap((keyId) => days.map((day) => ({ keyId, day })));
  const out: DayEndUserRow[][] = [];
  let next = 0;
  const worker = async () => {
    while (next < work.length) {
      const at = next++;
      const { keyId, day } = work[at]!;
      out[at] = totalsByEndUser(await listUsage(table, keyId, day)).map((row) => ({ day, keyId, ...row }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_KEYS, work.length) }, worker));
  return out.flat();
}

/** What the admin API offers of usage: sum recent days now, read the roll-ups of a range, and sum a range's records per end user. */
export interface UsageReports {
  rollUp(days: readonly string[]): Promise<{ keys: number; rollups: number }>;
  list(from: string, to: string): Promise<DayRollup[]>;
  endUsers(keyIds: readonly string[], days: readonly string[]): Promise<DayEndUserRow[]>;
}

export function usageReports(deps: RollupDeps): UsageReports {
  const rollups = new DynamoRollups(deps.table);
  return { rollUp: (days) => rollUpDays(deps, days), list: (from, to) => rollups.list(from, to), endUsers: (keyIds, days) => endUserDays(deps.table, keyIds, days) };
}
