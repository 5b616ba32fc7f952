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

/** One key's records of one day, to be read. */
export interface KeyDay {
  keyId: string;
  day: string;
}

/**
 * How long after a day has ended records may still be written under it: a call's record is filed
 * under the day it began and written when it ends (a stream begun before midnight), well within this.
 */
const LATE_RECORDS_MS = 3_600_000;

const closesAt = (day: string) => Date.parse(`${day}T00:00:00Z`) + 86_400_000 + LATE_RECORDS_MS;

/**
 * The key-days a report by end user must read, given the roll-ups of its days. A day is closed
 * when one of its roll-ups was summed at least an hour after it ended: that run read every key's
 * records of the day, so a key without a roll-up of it had none, and is skipped. A day not closed
 * (today, yesterday until the first hourly run after its end, a day no key used and so with no
 * roll-up at all) is read for every key.
 *
 * @example
 * keyDaysToRead(['a', 'b'], ['2026-11-20'], [{ keyId: 'a', day: '2026-11-20', rolledUpAt: '2026-11-21T01:05:00Z' }])
 * // [{ keyId: 'a', day: '2026-11-20' }]
 */
export function keyDaysToRead(keyIds: readonly string[], days: readonly string[], rollups: readonly Pick<DayRollup, 'keyId' | 'day' | 'rolledUpAt'>[]): KeyDay[] {
  const closed = new Set(rollups.filter((r) => Date.parse(r.rolledUpAt) >= closesAt(r.day)).map((r) => r.day));
  const used = new Set(rollups.map((r) => `${r.keyId}#${r.day}`));
  return keyIds.flatMap((keyId) => days.filter((day) => !closed.has(day) || used.has(`${keyId}#${day}`)).map((day) => ({ keyId, day })));
}

/**
 * Sums the usage records of the key-days given, per team, end user and model: one Query (paged)
 * per key and day, a few at once. Read from the records, not the roll-ups: a roll-up per key and
 * day holds one entry per model, and one per end user and model could make it outgrow DynamoDB's
 * 400 KB item (the roll-ups only say which key-days to skip, `keyDaysToRead`).
 */
export async function endUserDays(table: TableRef, work: readonly KeyDay[]): Promise<DayEndUserRow[]> {
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
  return {
    rollUp: (days) => rollUpDays(deps, days),
    list: (from, to) => rollups.list(from, to),
    async endUsers(keyIds, days) {
      // The roll-ups of the days that can be closed, in one index query; none asked for when no day can be yet.
      const now = deps.now().getTime();
      const closable = days.filter((day) => closesAt(day) <= now).sort();
      const listed = closable.length > 0 ? await rollups.list(closable[0]!, closable[closable.length - 1]!) : [];
      return endUserDays(deps.table, keyDaysToRead(keyIds, days, listed));
    },
  };
}
