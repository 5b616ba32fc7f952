import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SnsNotifier } from '../lib/alerts/sns';
import { thresholdsFromEnv } from '../lib/alerts/thresholds-env';
import { runBudgetAlerts, type BudgetAlertRun } from '../lib/jobs/budget-alerts';
import { createLogger } from '../lib/observe/logger';
import { createTableRef } from '../lib/store/dynamo';
import { tableNameFromEnvironment } from '../lib/store/table-name';
import { DynamoKeyStore } from '../lib/store/keys';
import { DynamoTeamStore } from '../lib/store/teams';

const logger = createLogger({ serviceName: 'aigw-budget-alerts' });
const table = createTableRef({
  // A name DynamoDB refuses stops the function at its start (init), naming the variable.
  tableName: tableNameFromEnvironment(process.env),
  // Set only for local runs and tests (dynalite); on AWS the SDK finds DynamoDB itself.
  ...(process.env.DYNAMODB_ENDPOINT ? { endpoint: process.env.DYNAMODB_ENDPOINT } : {}),
});
const region = process.env.AWS_REGION ?? 'us-east-1';
const notifier = new SnsNotifier({
  topicArn: process.env.ALERT_TOPIC_ARN!,
  region,
  // The function's role, from the environment Lambda sets; refreshed by the chain when it expires.
  credentials: defaultProvider(),
  // Set only for tests (a fake SNS on loopback).
  ...(process.env.SNS_ENDPOINT ? { endpoint: process.env.SNS_ENDPOINT } : {}),
});
const deps = { table, keys: new DynamoKeyStore(table), teams: new DynamoTeamStore(table), notifier, thresholds: thresholdsFromEnv(process.env.GATEWAY_BUDGET_THRESHOLDS), logger };

/**
 * Runs on a schedule (EventBridge, every 5 minutes): announces each budget threshold that keys and
 * teams reached and that was not announced yet this period. A run with an alert that could not be
 * sent throws after trying the others, so the error metric (and its alarm) sees it; the next run
 * tries that alert again.
 */
export async function handler(): Promise<BudgetAlertRun> {
  const run = await runBudgetAlerts({ ...deps, now: () => new Date() });
  logger.info('budget alerts checked', { ...run });
  if (run.failed > 0) throw new Error(`${run.failed} budget alert(s) could not be published to ${process.env.ALERT_TOPIC_ARN}; the next run tries again`);
  return run;
}
