import { Duration, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, MathExpression, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Operation, type ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { LogMetrics } from './log-metrics';

/** Every alarm looks at 5-minute periods: short enough to page within minutes, long enough to have requests in it. */
export const ALARM_PERIOD = Duration.minutes(5);

/**
 * Below this many requests in a period the rates are not computed (0): on an idle or quiet
 * gateway one failed request is 100 %, which says nothing.
 */
export const MIN_REQUESTS_FOR_RATES = 20;

/** The DynamoDB operations the gateway's functions call (see GatewayTable's grants). */
export const TABLE_OPERATIONS = [Operation.GET_ITEM, Operation.PUT_ITEM, Operation.UPDATE_ITEM, Operation.DELETE_ITEM, Operation.QUERY, Operation.BATCH_GET_ITEM, Operation.BATCH_WRITE_ITEM];

/** Why each alarm fires, and when. */
export const ALARMS = {
  ServerErrorRate: {
    comparison: ComparisonOperator.GREATER_THAN_THRESHOLD,
    threshold: 5,
    evaluationPeriods: 3,
    datapointsToAlarm: 2,
    description: 'More than 5 % of the proxy\'s requests answered 5xx in 2 of the last 3 five-minute periods. Look for "request failed" and upstream_auth_failed/no_upstream lines in the proxy\'s logs.',
  },
  UpstreamErrorShare: {
    // Failover hides a single provider's trouble; what is left is every target failing, or
    // upstream 4xx answers passed on. Sustained for 15 minutes, since a provider's blip passes on its own.
    comparison: ComparisonOperator.GREATER_THAN_THRESHOLD,
    threshold: 20,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    description: 'More than 20 % of the proxy\'s requests ended with an upstream error for 15 minutes. Check the providers\' status and the "upstream answered with an error" lines.',
  },
  ProxyThrottles: {
    comparison: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    threshold: 1,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    description: 'Lambda throttled the proxy: clients got 429s the gateway never saw (no access log line). Raise the account\'s concurrency or reserve some for the proxy.',
  },
  ProxyErrors: {
    // The gateway's own failures (InternalFailures and RuntimeFailures), not the function's Errors:
    // those count every streamed invocation whose response stream broke under it (a client that
    // hung up, the runtime's connection lost), which is no failure of the gateway's, and cannot be
    // taken off reliably (see LogMetrics). One is worth a page: each is a bug, a crash, a timeout
    // or a paying call refused because the gateway's table failed it.
    comparison: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    threshold: 1,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    description: 'The proxy failed by itself: an internal error answered 500, an answer broken after its first byte (by a body that threw or a fault of the gateway\'s), an invocation not answered in time, a call refused because the table could not check its spend limit, or a Lambda timeout, crash or out-of-memory kill. Look for "request failed", "streamed body failed", "gateway fault after the first byte", "invocation failed before the gateway answered", "spend limit not checked", "Task timed out" and "Runtime exited" in the proxy\'s logs. Clients that hang up mid-stream and upstreams that break off are not counted.',
  },
  RecordsLost: {
    // Lost billing data is its own page, apart from failing requests: the callers got their
    // answers, but `aigw usage`, budgets' roll-ups or the audit log will be missing them. Nothing
    // is retried after these lines, so a single one is worth a page.
    comparison: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    threshold: 1,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    description: 'Usage or audit records were lost: calls were answered but their records are missing from the table (and from `aigw usage`) or from the audit bucket. Look for "usage records could not be written" (its requestIds are the calls whose records are missing), "audit record could not be written" and "writes after the answer failed" in the proxy\'s logs.',
  },
  RollupErrors: {
    // The hourly roll-up failing leaves `aigw usage` behind; its next run sums both days again.
    comparison: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    threshold: 1,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    description: 'The usage roll-up function failed (its retries included): `aigw usage` shows figures from before. Look in its logs; the next hourly run sums yesterday and today again.',
  },
  BudgetAlertErrors: {
    // The alerts job throws when an alert could not be published; it tries again every five
    // minutes, so a lasting failure is worth a page, a single one is not.
    comparison: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    threshold: 1,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    description: 'The budget alerts function failed for 15 minutes: operators are not told when keys and teams near their budgets. Look in its logs ("budget alert could not be sent").',
  },
  TableThrottles: {
    // The SDK retries a throttled call, so a few are absorbed; five in five minutes means the table
    // keeps pushing back (a hot key's counters), and spend checks fail closed when retries run out.
    comparison: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    threshold: 5,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    description: 'DynamoDB throttled the gateway\'s table repeatedly. Rate limits fail open and spend limits fail closed when the store fails.',
  },
} as const satisfies Record<string, { comparison: ComparisonOperator; threshold: number; evaluationPeriods: number; datapointsToAlarm: number; description: string }>;

export type GatewayAlarmName = keyof typeof ALARMS;

export interface GatewayAlarmsProps {
  /** The proxy's log metrics: rates, the gateway's own failures (ProxyErrors), records lost. */
  metrics: LogMetrics;
  proxy: IFunction;
  /** The scheduled usage roll-up. */
  rollup: IFunction;
  /** The scheduled budget alerts. */
  budgetAlerts: IFunction;
  table: ITable;
  /** Every alarm notifies it when it fires and when it recovers. */
  topic: ITopic;
}

/**
 * The gateway's alarms (`ALARMS`). Missing data never breaches: an idle gateway publishes no
 * access-log metrics at all, and that is not an outage.
 */
export class GatewayAlarms extends Construct {
  readonly alarms = new Map<GatewayAlarmName, Alarm>();

  constructor(scope: Construct, id: string, props: GatewayAlarmsProps) {
    super(scope, id);
    const { metrics, proxy, table } = props;
    const sum = { statistic: 'Sum', period: ALARM_PERIOD };
    this.#add('ServerErrorRate', percentOfRequests(metrics, 'ServerErrors', 'Server errors (% of requests)'), props.topic);
    this.#add('UpstreamErrorShare', percentOfRequests(metrics, 'UpstreamErrors', 'Upstream errors (% of requests)'), props.topic);
    this.#add('ProxyThrottles', proxy.metricThrottles(sum), props.topic);
    this.#add('ProxyErrors', metrics.ownFailures(ALARM_PERIOD), props.topic);
    this.#add('RecordsLost', metrics.metric('RecordsLost', { period: ALARM_PERIOD }), props.topic);
    this.#add('RollupErrors', props.rollup.metricErrors(sum), props.topic);
    this.#add('BudgetAlertErrors', props.budgetAlerts.metricErrors(sum), props.topic);
    this.#add('TableThrottles', table.metricThrottledRequestsForOperations({ operations: TABLE_OPERATIONS, period: ALARM_PERIOD }), props.topic);
  }

  #add(name: GatewayAlarmName, metric: IMetric, topic: ITopic): void {
    const { comparison, threshold, evaluationPeriods, datapointsToAlarm, description } = ALARMS[name];
    const alarm = new Alarm(this, name, {
      alarmName: `${Stack.of(this).stackName}-${name}`,
      alarmDescription: description,
      metric,
      threshold,
      evaluationPeriods,
      datapointsToAlarm,
      comparisonOperator: comparison,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new SnsAction(topic));
    alarm.addOkAction(new SnsAction(topic));
    this.alarms.set(name, alarm);
  }
}

/**
 * `part` as a percentage of Requests in each 5-minute period, or 0 below MIN_REQUESTS_FOR_RATES.
 * `part` is FILLed with 0: a period with requests and no errors publishes no error datapoint.
 */
export function percentOfRequests(metrics: LogMetrics, part: 'ServerErrors' | 'UpstreamErrors', label: string): MathExpression {
  return new MathExpression({
    expression: `IF(requests >= ${MIN_REQUESTS_FOR_RATES}, 100 * FILL(errors, 0) / requests, 0)`,
    usingMetrics: { requests: metrics.metric('Requests', { period: ALARM_PERIOD }), errors: metrics.metric(part, { period: ALARM_PERIOD }) },
    period: ALARM_PERIOD,
    label,
  });
}
