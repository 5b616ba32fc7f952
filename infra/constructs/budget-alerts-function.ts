import { Duration } from 'aws-cdk-lib';
import type { Schedule } from 'aws-cdk-lib/aws-scheduler';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { GatewayFunction } from './gateway-function';
import { scheduledInvoke } from './scheduled-invoke';
import type { GatewayTable } from './gateway-table';

/** How often budgets are checked: how late, at most, an operator hears that one crossed a threshold. */
export const BUDGET_ALERTS_RATE = Duration.minutes(5);

export interface BudgetAlertsFunctionProps {
  table: GatewayTable;
  /** The config's `alerts.budgetThresholds`. */
  thresholds: readonly number[];
}

/**
 * Tells the operator when a key's or a team's spend crosses a threshold of its budget
 * (functions/budget-alerts.ts), every five minutes, off the request path. A run reads the keys,
 * the teams, and the counters and alert marks of those with budgets; it writes only when a
 * threshold is newly crossed. Its own schedule, not the hourly roll-up's: an hour is too late to
 * hear that a budget is about to run out, and the roll-up reads every usage record, too much to
 * repeat every five minutes.
 */
export class BudgetAlertsFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly schedule: Schedule;

  constructor(scope: Construct, id: string, props: BudgetAlertsFunctionProps) {
    super(scope, id);
    this.fn = new GatewayFunction(this, 'Lambda', {
      entry: 'functions/budget-alerts.ts',
      description: 'AI gateway budget alerts (every 5 minutes)',
      memorySize: 256,
      timeout: Duration.minutes(1),
      environment: { GATEWAY_TABLE_NAME: props.table.tableName, GATEWAY_BUDGET_THRESHOLDS: props.thresholds.join(',') },
    }).fn;
    this.schedule = scheduledInvoke(this, 'Every5Minutes', this.fn, {
      description: 'Announces AI gateway budget thresholds that keys and teams crossed',
      every: BUDGET_ALERTS_RATE,
      // A missed run is made up by the next one, five minutes later: no point retrying an old event.
      retryAttempts: 1,
      maxEventAge: BUDGET_ALERTS_RATE,
    });
  }

  /** Publishes the alerts to `topic` (sns:Publish on it alone). */
  publishTo(topic: ITopic): void {
    this.fn.addEnvironment('ALERT_TOPIC_ARN', topic.topicArn);
    topic.grantPublish(this.fn);
  }
}
