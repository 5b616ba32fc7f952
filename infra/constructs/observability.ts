import { Aws, Stack } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { AccessLogMetrics } from './access-log-metrics';
import { GatewayAlarms, type GatewayAlarmName } from './gateway-alarms';
import { GatewayDashboard } from './gateway-dashboard';
import { GatewayFailureMetrics } from './gateway-failures';
import type { GatewayTable } from './gateway-table';
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
  readonly metrics: AccessLogMetrics;
  /** The gateway's own failures (ProxyErrors' inputs), read from the same log group. */
  readonly failures: GatewayFailureMetrics;
  readonly topic: Topic;
  readonly alarms: GatewayAlarms;
  readonly dashboard: GatewayDashboard;
  /** The dashboard in the console of the stack's Region. */
  readonly dashboardUrl: string;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const stackName = Stack.of(this).stackName;
    this.metrics = new AccessLogMetrics(this, 'Metrics', { logGroup: props.proxy.logGroup, namespace: metricsNamespace(stackName) });
    this.failures = new GatewayFailureMetrics(this, 'Failures', { logGroup: props.proxy.logGroup, namespace: metricsNamespace(stackName) });

    // enforceSSL denies publishing over plain HTTP (cdk-nag AwsSolutions-SNS3). No KMS key: alarm
    // notifications carry alarm names and figures, and CloudWatch cannot publish to a topic
    // encrypted with the AWS-managed SNS key, so encryption would need a key of our own.
    this.topic = new Topic(this, 'AlarmTopic', { displayName: `${stackName} AI gateway alarms`, enforceSSL: true });
    for (const email of props.alarmEmails ?? []) this.topic.addSubscription(new EmailSubscription(email));

    this.alarms = new GatewayAlarms(this, 'Alarms', { metrics: this.metrics, failures: this.failures, proxy: props.proxy.fn, rollup: props.rollup, budgetAlerts: props.budgetAlerts, table: props.table.table, topic: this.topic });
    const alarm = (name: GatewayAlarmName) => this.alarms.alarms.get(name)!;
    this.dashboard = new GatewayDashboard(this, 'Dashboard', {
      dashboardName: stackName,
      metrics: this.metrics,
      failures: this.failures,
      failureAlarm: alarm('ProxyErrors'),
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
