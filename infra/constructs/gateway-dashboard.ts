import { Duration } from 'aws-cdk-lib';
import { AlarmStatusWidget, AlarmWidget, Dashboard, GraphWidget, LogQueryWidget, MathExpression, TextWidget, type Alarm, type IMetric, type IWidget } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { TABLE_OPERATIONS } from './gateway-alarms';
import type { DimensionedMetricName, LogMetrics } from './log-metrics';

export const MICROS_PER_USD = 1_000_000;

export interface GatewayDashboardProps {
  /** The dashboard's name (the stack's). */
  dashboardName: string;
  metrics: LogMetrics;
  /** ProxyErrors, graphed beside the failures it reads. */
  failureAlarm: Alarm;
  /** RecordsLost, graphed with its threshold. */
  recordsLostAlarm: Alarm;
  proxy: IFunction;
  /** The proxy's log group, for the Logs Insights widget. */
  logGroup: ILogGroup;
  table: ITable;
  /** Alarms to graph with their thresholds beside the request counts (the error rates). */
  rateAlarms: readonly { title: string; alarm: Alarm }[];
  /** Every alarm, for the status row. */
  alarms: readonly Alarm[];
}

const FULL = 24;
const THIRD = 8;
const HALF = 12;
const HEIGHT = 6;

/**
 * The gateway's one dashboard: what callers got (requests, errors, refusals), how fast (latency,
 * time to first token), what it cost (tokens, USD), and the proxy function and table under it.
 */
export class GatewayDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: GatewayDashboardProps) {
    super(scope, id);
    const { metrics: m, proxy, table } = props;
    const hour = Duration.hours(1);
    const day = Duration.days(1);

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: day,
      widgets: [
        [
          new TextWidget({
            markdown: `## ${props.dashboardName} AI gateway\nRequest figures come from the proxy's access log lines (CloudWatch Logs metric filters, namespace \`${m.namespace}\`). Cost is counted in micro-dollars and shown here in USD. Per-key figures: the Logs Insights table below, or \`aigw usage\`.`,
            width: FULL,
            height: 2,
          }),
        ],
        [
          graph('Requests (per 5 min)', [m.metric('Requests'), m.metric('ClientErrors'), m.metric('ServerErrors')], THIRD),
          graph('Refusals and upstream errors (per 5 min)', [m.metric('RateLimited', { label: 'RateLimited (key limits)' }), m.metric('OverBudget', { label: 'OverBudget (spend limits)' }), m.metric('UpstreamErrors')], THIRD),
          ...props.rateAlarms.map(({ title, alarm }) => new AlarmWidget({ alarm, title, width: Math.floor(THIRD / props.rateAlarms.length), height: HEIGHT })),
        ],
        [
          graph('Latency (ms)', percentiles(m, 'Latency', ['p50', 'p90', 'p99']), HALF),
          graph('Time to first token, streams (ms)', percentiles(m, 'TimeToFirstToken', ['p50', 'p99']), HALF),
        ],
        [
          graph('Tokens (per hour)', [m.metric('InputTokens', { period: hour }), m.metric('OutputTokens', { period: hour })], THIRD),
          graph('Cost (USD per hour)', [usd(m, hour, 'USD per hour')], THIRD),
          graph('Cost (USD per day)', [usd(m, day, 'USD per day')], THIRD),
        ],
        [
          graph('Cost by model (USD per hour)', [usdByModel(m, hour)], HALF),
          new LogQueryWidget({
            title: 'Top keys and models by cost (Logs Insights, dashboard range)',
            logGroupNames: [props.logGroup.logGroupName],
            queryLines: [
              'filter message = "request" and attempts > 0',
              `stats count(*) as calls, sum(inputTokens) as input, sum(outputTokens) as output, sum(costMicros / ${MICROS_PER_USD}) as usd by keyId, model`,
              'sort usd desc',
              'limit 20',
            ],
            width: HALF,
            height: HEIGHT,
          }),
        ],
        [
          graph('Response cache: hits (per 5 min)', [m.metric('CacheHits'), m.metric('Requests')], THIRD),
          graph('Response cache: saved (USD per hour)', [new MathExpression({ expression: `saved / ${MICROS_PER_USD}`, usingMetrics: { saved: m.metric('CacheSaved', { period: hour }) }, period: hour, label: 'USD saved per hour' })], THIRD),
          graph('Guardrail hits by rule (per hour)', [byDimension(m, 'GuardrailHits', 'Rule', hour)], THIRD),
        ],
        [
          // The function's Errors (below) also count streams whose client or runtime connection went away: these do not.
          graph('Gateway failures (per 5 min)', [m.metric('InternalFailures'), m.metric('RuntimeFailures'), m.metric('UpstreamUnavailable')], THIRD),
          new AlarmWidget({ alarm: props.failureAlarm, title: 'Gateway failures: internal and runtime (ProxyErrors)', width: THIRD, height: HEIGHT }),
          // Apart from the failures: each is a call answered whose usage or audit record is missing.
          new AlarmWidget({ alarm: props.recordsLostAlarm, title: 'Records lost: usage and audit (RecordsLost)', width: THIRD, height: HEIGHT }),
        ],
        [
          graph('Proxy function: invocations, errors, throttles', [proxy.metricInvocations(), proxy.metricErrors(), proxy.metricThrottles()], THIRD),
          // A streamed call's duration is its stream's length, so minutes are normal here.
          graph('Proxy function: duration (ms)', [proxy.metricDuration({ statistic: 'p50' }), proxy.metricDuration({ statistic: 'p99' }), proxy.metricDuration({ statistic: 'Maximum' })], THIRD),
          graph('Proxy function: concurrent executions', [proxy.metric('ConcurrentExecutions', { statistic: 'Maximum' })], THIRD),
        ],
        [
          graph('Table: throttled requests', [table.metricThrottledRequestsForOperations({ operations: TABLE_OPERATIONS })], HALF),
          graph('Table: consumed capacity (units per 5 min)', [table.metricConsumedReadCapacityUnits({ label: 'Read' }), table.metricConsumedWriteCapacityUnits({ label: 'Write' })], HALF),
        ],
        [new AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: FULL, height: 3 })],
      ],
    });
  }
}

function graph(title: string, left: IMetric[], width: number): IWidget {
  return new GraphWidget({ title, left, width, height: HEIGHT });
}

function percentiles(m: LogMetrics, name: 'Latency' | 'TimeToFirstToken', stats: string[]): IMetric[] {
  return stats.map((statistic) => m.metric(name, { statistic, label: `${name} ${statistic}` }));
}

/** The Cost metric (micro-dollars) in USD per `period`. */
function usd(m: LogMetrics, period: Duration, label: string): MathExpression {
  return new MathExpression({ expression: `cost / ${MICROS_PER_USD}`, usingMetrics: { cost: m.metric('Cost', { period }) }, period, label });
}

/** CostByModel in USD per `period`, one line per model. */
function usdByModel(m: LogMetrics, period: Duration): MathExpression {
  return byDimension(m, 'CostByModel', 'Model', period, ` / ${MICROS_PER_USD}`);
}

/** A metric with a dimension, one line per value: a search, since the values (models, rule ids) come from the config. */
function byDimension(m: LogMetrics, name: DimensionedMetricName, dimension: string, period: Duration, scale = ''): MathExpression {
  const search = `SEARCH('{"${m.namespace}",${dimension}} MetricName="${name}"', 'Sum', ${period.toSeconds()})`;
  // A dynamic label: each line is named by its value (without one, the expression's text).
  return new MathExpression({ expression: `${search}${scale}`, usingMetrics: {}, period, label: `\${PROP('Dim.${dimension}')}` });
}
