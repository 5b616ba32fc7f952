import { Aws, Stack } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { GatewayAlarms, type GatewayAlarmName } from './gateway-alarms';
import { GatewayDashboard } from './gateway-dashboard';
import type { GatewayTable } from './gateway-table';
import { LogMetrics } from './log-metrics';
import type { ProxyFunction } from './proxy-function';

/** The stack's metrics namespace: one per stack, so that two gateways in one account stay apart. */
export const metricsNamespace = (stackName: string) => `Aigw/${stackName}`;

export interface ObservabilityProps {
  proxy: ProxyFunction;
  /** The scheduled usage roll-up, alarmed on when it fails. */
  rollup: IFunction;
  /** The scheduled budget alerts, alarmed on when they cannot be sent. */
  budgetAlerts: IFunction;
  table: GatewayTable;
  /** Who gets the alarms by email (`-c alarmEmail=…`); without any the topic waits for other subscribers. */
  alarmEmails?: readonly string[];
}

/**
 * What the operator watches: metrics read out of the proxy's access log (no cost on the request
 * path), alarms that notify one SNS topic, and one dashboard named after the stack.
 */
export class Observability extends Construct {
  /** Every metric read out of the proxy's log group: what callers got, the gateway's own failures, records lost. */
  readonly metrics: LogMetrics;
  readonly topic: Topic;
  readonly alarms: GatewayAlarms;
  readonly dashboard: GatewayDashboard;
  /** The dashboard in the console of the stack's Region. */
  readonly dashboardUrl: string;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const stackName = Stack.of(this).stackName;
    this.metrics = new LogMetrics(this, 'Metrics', { logGroup: props.proxy.logGroup, namespace: metricsNamespace(stackName) });

    // enforceSSL denies publishing over plain HTTP (cdk-nag AwsSolutions-SNS3). No KMS key: alarm
    // notifications carry alarm names and figures, and CloudWatch cannot publish to a topic
    // encrypted with the AWS-managed SNS key, so encryption would need a key of our own.
    this.topic = new Topic(this, 'AlarmTopic', { displayName: `${stackName} AI gateway alarms`, enforceSSL: true });
    for (const email of props.alarmEmails ?? []) this.topic.addSubscription(new EmailSubscription(email));

    this.alarms = new GatewayAlarms(this, 'Alarms', { metrics: this.metrics, proxy: props.proxy.fn, rollup: props.rollup, budgetAlerts: props.budgetAlerts, table: props.table.table, topic: this.topic });
    const alarm = (name: GatewayAlarmName) => this.alarms.alarms.get(name)!;
    this.dashboard = new GatewayDashboard(this, 'Dashboard', {
      dashboardName: stackName,
      metrics: this.metrics,
      failureAlarm: alarm('ProxyErrors'),
      recordsLostAlarm: alarm('RecordsLost'),
      proxy: props.proxy.fn,
      logGroup: props.proxy.logGroup,
      table: props.table.table,
      rateAlarms: [
        { title: 'Server errors (%)', alarm: alarm('ServerErrorRate') },
        { title: 'Upstream errors (%)', alarm: alarm('UpstreamErrorShare') },
      ],
      alarms: [...this.alarms.alarms.values()],
    });
    this.dashboardUrl = `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards:name=${stackName}`;
  }
}
