import { recentDays, rollUpDays } from '../lib/jobs/rollup';
import { createLogger } from '../lib/observe/logger';
import { createTableRef } from '../lib/store/dynamo';
import { tableNameFromEnvironment } from '../lib/store/table-name';
import { DynamoKeyStore } from '../lib/store/keys';

const logger = createLogger({ serviceName: 'aigw-rollup' });
const table = createTableRef({
  // A name DynamoDB refuses stops the function at its start (init), naming the variable.
  tableName: tableNameFromEnvironment(process.env),
  // Set only for local runs and tests (dynalite); on AWS the SDK finds DynamoDB itself.
  ...(process.env.DYNAMODB_ENDPOINT ? { endpoint: process.env.DYNAMODB_ENDPOINT } : {}),
});
const keys = new DynamoKeyStore(table);

/**
 * Runs on a schedule (EventBridge): sums yesterday's and today's usage records of every key into
 * the roll-ups that `aigw usage` reads. A failed run throws, so Lambda's retry and the error metric see it.
 */
export async function handler(): Promise<{ days: string[]; keys: number; rollups: number }> {
  const days = recentDays(new Date());
  const result = await rollUpDays({ table, keys, now: () => new Date() }, days);
  logger.info('usage rolled up', { days, ...result });
  return { days, ...result };
}
