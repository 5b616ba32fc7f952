import type { TableRef } from '../lib/store/dynamo';
import { DynamoStoredHomes, type StoredHome } from '../lib/store/stored-homes';
import type { UsageRecord } from '../lib/usage/record';
import { startTestTable } from './dynalite';

/** When the usage sink tests' records and homes were made: 2026-11-27 08:00 UTC. */
export const MADE = Date.UTC(2026, 10, 27, 8, 0, 0);

/** A stored response's home, made at `MADE` by key_1 of team_a at account b of openai. */
export const storedHome = (id: string, over: Partial<StoredHome> = {}): StoredHome => ({ ref: { kind: 'response', id }, providerId: 'openai', accountId: 'b', owner: 'team_a', keyId: 'key_1', model: 'gpt-4o', createdAt: MADE, ...over });

/** A served call's usage record, of one token each way, made at `MADE`. */
export const usageRecord = (keyId: string, requestId: string, over: Partial<UsageRecord> = {}): UsageRecord => ({ requestId, at: new Date(MADE), keyId, surface: 'openai-responses', model: 'gpt-4o', stream: false, status: 200, outcome: 'ok', inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, latencyMs: 1, attempts: 1, ...over });

/** Whether `done` came true within `ms`, asked every 10 ms: for what the sink does on its own timers. */
export async function until(done: () => Promise<boolean>, ms = 5_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 10))) if (await done()) return true;
  return false;
}

/** What a sink reported through `onError`, call by call. */
export type SinkReport = { error: string; lostRequests: string[]; lostHomes: string[]; keptHomes: string[] };

/** A sink's `onError` that keeps each report in `reports`. */
export const reporting = (reports: SinkReport[]) => (err: unknown, lostRequests: string[], lostHomes: string[], keptHomes: string[]) => void reports.push({ error: (err as Error).message, lostRequests, lostHomes, keptHomes });

/**
 * A dynalite table for a whole describe block, and its stored homes read at `MADE`: started before
 * its tests, closed after. Filled in by beforeAll, so read its fields inside tests.
 */
export function sinkTableForSuite(): { table: TableRef; homes: DynamoStoredHomes } {
  const suite = {} as { table: TableRef; homes: DynamoStoredHomes; close(): Promise<void> };
  beforeAll(async () => {
    Object.assign(suite, await startTestTable());
    suite.homes = new DynamoStoredHomes(suite.table, () => MADE);
  });
  afterAll(async () => suite.close());
  return suite;
}
