import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { FIXTURE_CONFIG, fixtureApp } from './test-fixtures';

interface ValidationReport {
  pluginReports: { pluginName: string; violations: { ruleName: string }[] }[];
}

type Widget = { type: string; properties: { title?: string; metrics?: unknown[][]; alarms?: unknown[]; query?: string } };

const EMAILS = 'ops@example.com, oncall@example.com';
const PROXY_LOGS = { Ref: Match.stringLikeRegexp('^ProxyLambdaLogs') };
const PROXY_FN = { Ref: Match.stringLikeRegexp('^ProxyLambdaFunction') };
const TOPIC = { Ref: Match.stringLikeRegexp('^ObservabilityAlarmTopic') };

// One synth per stack: the default stack with alarm emails, and a second one without, under another name.
let template: Template;
let violations: string[];
let staging: Template;

beforeAll(() => {
  const { app, stack } = fixtureApp(FIXTURE_CONFIG, { alarmEmail: EMAILS });
  const assembly = app.synth();
  template = Template.fromJSON(assembly.getStackArtifact(stack.artifactId).template as Record<string, unknown>);
  const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as ValidationReport;
  violations = report.pluginReports.flatMap((r) => r.violations.map((v) => `${r.pluginName} ${v.ruleName}`));
  staging = Template.fromStack(fixtureApp(FIXTURE_CONFIG, { stackName: 'Staging' }).stack);
});

describe('Observability metric filters', () => {
  const ACCESS = '($.message = "request")';
  it.each([
    { name: 'Requests', pattern: '{ $.message = "request" }', value: '1', unit: 'Count' },
    { name: 'ServerErrors', pattern: `{ ${ACCESS} && ($.status >= 500) }`, value: '1', unit: 'Count' },
    { name: 'ClientErrors', pattern: `{ ${ACCESS} && ($.status >= 400) && ($.status < 500) }`, value: '1', unit: 'Count' },
    {
      name: 'RateLimited',
      pattern: `{ ${ACCESS} && ($.status = 429) && ($.attempts = 0) && (($.errorCode = "rate_limit_exceeded") || ($.errorCode = "tokens_rate_limit_exceeded")) }`,
      value: '1',
      unit: 'Count',
    },
    { name: 'OverBudget', pattern: `{ ${ACCESS} && ($.errorCode = "insufficient_quota") && ($.attempts = 0) }`, value: '1', unit: 'Count' },
    { name: 'UpstreamErrors', pattern: `{ ${ACCESS} && ($.outcome = "upstream_error") }`, value: '1', unit: 'Count' },
    { name: 'Latency', pattern: `{ ${ACCESS} && ($.latencyMs >= 0) }`, value: '$.latencyMs', unit: 'Milliseconds' },
    { name: 'TimeToFirstToken', pattern: `{ ${ACCESS} && ($.stream IS TRUE) && ($.ttftMs >= 0) }`, value: '$.ttftMs', unit: 'Milliseconds' },
    { name: 'InputTokens', pattern: `{ ${ACCESS} && ($.inputTokens > 0) }`, value: '$.inputTokens', unit: 'Count' },
    { name: 'OutputTokens', pattern: `{ ${ACCESS} && ($.outputTokens > 0) }`, value: '$.outputTokens', unit: 'Count' },
    { name: 'Cost', pattern: `{ ${ACCESS} && ($.costMicros > 0) }`, value: '$.costMicros', unit: 'None' },
    // Not an access line: raw audio cut off upstream, which the Lambda door ends by failing the invocation.
    { name: 'AbortedTransfers', pattern: '{ $.message = "media answer interrupted" }', value: '1', unit: 'Count' },
  ])('publishes $name ($value) from the proxy access lines matching $pattern, without dimensions', ({ name, pattern, value, unit }) => {
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: pattern,
      LogGroupName: PROXY_LOGS,
      MetricTransformations: [{ MetricName: name, MetricNamespace: 'Aigw/Aigw', MetricValue: value, Unit: unit, Dimensions: Match.absent(), DefaultValue: Match.absent() }],
    });
  });

  it('publishes cost by model, the one metric with a dimension', () => {
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ ($.message = "request") && ($.costMicros > 0) }',
      MetricTransformations: [{ MetricName: 'CostByModel', MetricNamespace: 'Aigw/Aigw', MetricValue: '$.costMicros', Dimensions: [{ Key: 'Model', Value: '$.model' }] }],
    });
  });

  it('publishes guardrail hits by rule, from the guardrail lines', () => {
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ ($.message = "guardrail") && ($.count > 0) }',
      MetricTransformations: [{ MetricName: 'GuardrailHits', MetricNamespace: 'Aigw/Aigw', MetricValue: '$.count', Unit: 'Count', Dimensions: [{ Key: 'Rule', Value: '$.rule' }] }],
    });
  });

  it('publishes response-cache hits and what they saved, from the access lines', () => {
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ ($.message = "request") && ($.cache = "hit") }',
      MetricTransformations: [{ MetricName: 'CacheHits', MetricNamespace: 'Aigw/Aigw', MetricValue: '1', Unit: 'Count' }],
    });
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ ($.message = "request") && ($.savedMicros > 0) }',
      MetricTransformations: [{ MetricName: 'CacheSaved', MetricNamespace: 'Aigw/Aigw', MetricValue: '$.savedMicros' }],
    });
  });

  it('filters the proxy log group only, with nothing beyond the table above', () => {
    // Act
    const filters = Object.values(template.findResources('AWS::Logs::MetricFilter')) as { Properties: { LogGroupName: { Ref: string } } }[];

    // Assess: the access-line metrics' 17 (UpstreamUnavailable among them), the guardrails' and raw
    // audio's 2, and the gateway's failures and records lost 7 (gateway-failures.test.ts: one per
    // platform phrase for RuntimeFailures, two for RecordsLost), well under CloudWatch's 100 per log group.
    expect(filters).toHaveLength(24);
    for (const f of filters) expect(f.Properties.LogGroupName.Ref).toMatch(/^ProxyLambdaLogs/);
  });

  it('names the namespace after the stack, so two gateways in one account stay apart', () => {
    staging.allResourcesProperties('AWS::Logs::MetricFilter', { MetricTransformations: [Match.objectLike({ MetricNamespace: 'Aigw/Staging' })] });
  });
});

describe('Observability dashboard', () => {
  let widgets: Widget[];

  beforeAll(() => {
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as { Properties: { DashboardBody: { 'Fn::Join': [string, unknown[]] } } }[];
    // Tokens (Region, ARNs, names) sit inside JSON strings; a placeholder keeps the body parseable.
    const body = dashboard!.Properties.DashboardBody['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('');
    widgets = (JSON.parse(body) as { widgets: Widget[] }).widgets;
  });

  /** Each graphed line of a widget: `namespace name stat[@period]`, or `= expression[@period]`; hidden inputs left out. */
  function linesOf(title: string): string[] {
    const widget = widgets.find((w) => w.properties.title === title);
    expect(widget).toBeDefined();
    return (widget!.properties.metrics ?? []).flatMap((entry) => {
      const options = entry.at(-1) as { stat?: string; period?: number; expression?: string; visible?: boolean };
      if (options.visible === false) return [];
      const at = options.period ? `@${options.period}` : '';
      if (options.expression) return [`= ${options.expression}${at}`];
      return [`${String(entry[0])} ${String(entry[1])} ${options.stat}${at}`];
    });
  }

  it('is one dashboard, named after the stack', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'Aigw' });
    staging.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'Staging' });
  });

  it.each([
    { title: 'Requests (per 5 min)', lines: ['Aigw/Aigw Requests Sum', 'Aigw/Aigw ClientErrors Sum', 'Aigw/Aigw ServerErrors Sum'] },
    { title: 'Refusals and upstream errors (per 5 min)', lines: ['Aigw/Aigw RateLimited Sum', 'Aigw/Aigw OverBudget Sum', 'Aigw/Aigw UpstreamErrors Sum'] },
    { title: 'Latency (ms)', lines: ['Aigw/Aigw Latency p50', 'Aigw/Aigw Latency p90', 'Aigw/Aigw Latency p99'] },
    { title: 'Time to first token, streams (ms)', lines: ['Aigw/Aigw TimeToFirstToken p50', 'Aigw/Aigw TimeToFirstToken p99'] },
    { title: 'Tokens (per hour)', lines: ['Aigw/Aigw InputTokens Sum@3600', 'Aigw/Aigw OutputTokens Sum@3600'] },
    { title: 'Cost (USD per hour)', lines: ['= cost / 1000000@3600'] },
    { title: 'Cost (USD per day)', lines: ['= cost / 1000000@86400'] },
    { title: 'Cost by model (USD per hour)', lines: ['= SEARCH(\'{"Aigw/Aigw",Model} MetricName="CostByModel"\', \'Sum\', 3600) / 1000000@3600'] },
    { title: 'Response cache: hits (per 5 min)', lines: ['Aigw/Aigw CacheHits Sum', 'Aigw/Aigw Requests Sum'] },
    { title: 'Response cache: saved (USD per hour)', lines: ['= saved / 1000000@3600'] },
    { title: 'Guardrail hits by rule (per hour)', lines: ['= SEARCH(\'{"Aigw/Aigw",Rule} MetricName="GuardrailHits"\', \'Sum\', 3600)@3600'] },
    { title: 'Gateway failures (per 5 min)', lines: ['Aigw/Aigw InternalFailures Sum', 'Aigw/Aigw RuntimeFailures Sum', 'Aigw/Aigw UpstreamUnavailable Sum'] },
    { title: 'Proxy function: invocations, errors, throttles', lines: ['AWS/Lambda Invocations Sum', 'AWS/Lambda Errors Sum', 'AWS/Lambda Throttles Sum'] },
    { title: 'Proxy function: duration (ms)', lines: ['AWS/Lambda Duration p50', 'AWS/Lambda Duration p99', 'AWS/Lambda Duration Maximum'] },
    { title: 'Proxy function: concurrent executions', lines: ['AWS/Lambda ConcurrentExecutions Maximum'] },
    { title: 'Table: throttled requests', lines: ['= getitem + putitem + updateitem + deleteitem + query + batchgetitem + batchwriteitem'] },
    { title: 'Table: consumed capacity (units per 5 min)', lines: ['AWS/DynamoDB ConsumedReadCapacityUnits Sum', 'AWS/DynamoDB ConsumedWriteCapacityUnits Sum'] },
  ])('graphs "$title"', ({ title, lines }) => {
    expect(linesOf(title)).toEqual(lines);
  });

  it('reads the cost in micro-dollars for the USD graphs', () => {
    // Assess: the hidden input of `cost / 1000000` is the Cost metric, summed over the graph's period.
    const costWidget = widgets.find((w) => w.properties.title === 'Cost (USD per day)')!;
    expect(costWidget.properties.metrics![1]).toEqual(['Aigw/Aigw', 'Cost', { label: 'Cost', id: 'cost', visible: false, period: 86400, stat: 'Sum' }]);
  });

  it('shows the error-rate alarms with their thresholds, and every alarm\'s state', () => {
    // Act
    const alarmGraphs = widgets.filter((w) => w.type === 'metric' && (w.properties as { annotations?: { alarms?: unknown[] } }).annotations?.alarms);
    const status = widgets.find((w) => w.type === 'alarm');

    // Assess
    expect(alarmGraphs.map((w) => w.properties.title)).toEqual(['Server errors (%)', 'Upstream errors (%)', 'Gateway failures: internal and runtime (ProxyErrors)', 'Records lost: usage and audit (RecordsLost)']);
    expect(status?.properties.alarms).toHaveLength(8);
  });

  it('lists the top keys and models by cost from the access lines (Logs Insights, no custom metric)', () => {
    const query = widgets.find((w) => w.type === 'log')?.properties.query;
    expect(query).toContain('filter message = "request" and attempts > 0');
    expect(query).toContain('by keyId, model');
  });

  it('outputs the dashboard URL in the stack\'s Region', () => {
    template.hasOutput('DashboardUrl', {
      Value: { 'Fn::Join': ['', ['https://', { Ref: 'AWS::Region' }, '.console.aws.amazon.com/cloudwatch/home?region=', { Ref: 'AWS::Region' }, '#dashboards:name=Aigw']] },
    });
  });
});

describe('Observability alarms', () => {
  it.each([
    { name: 'ServerErrorRate', threshold: 5, comparison: 'GreaterThanThreshold', periods: 3, datapoints: 2 },
    { name: 'UpstreamErrorShare', threshold: 20, comparison: 'GreaterThanThreshold', periods: 3, datapoints: 3 },
    { name: 'ProxyThrottles', threshold: 1, comparison: 'GreaterThanOrEqualToThreshold', periods: 1, datapoints: 1 },
    { name: 'ProxyErrors', threshold: 1, comparison: 'GreaterThanOrEqualToThreshold', periods: 1, datapoints: 1 },
    { name: 'RecordsLost', threshold: 1, comparison: 'GreaterThanOrEqualToThreshold', periods: 1, datapoints: 1 },
    { name: 'TableThrottles', threshold: 5, comparison: 'GreaterThanOrEqualToThreshold', periods: 1, datapoints: 1 },
    { name: 'BudgetAlertErrors', threshold: 1, comparison: 'GreaterThanOrEqualToThreshold', periods: 3, datapoints: 3 },
  ])('$name fires $comparison $threshold in $datapoints of $periods periods, ignores missing data and notifies the topic', ({ name, threshold, comparison, periods, datapoints }) => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `Aigw-${name}`,
      Threshold: threshold,
      ComparisonOperator: comparison,
      EvaluationPeriods: periods,
      DatapointsToAlarm: datapoints,
      TreatMissingData: 'notBreaching',
      AlarmActions: [TOPIC],
      OKActions: [TOPIC],
    });
  });

  it('has no alarm beyond those', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 8);
  });

  it('RecordsLost sums the RecordsLost metric over 5 minutes: one record lost pages, apart from ProxyErrors', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Aigw-RecordsLost',
      Metrics: [Match.objectLike({ MetricStat: { Metric: { MetricName: 'RecordsLost', Namespace: 'Aigw/Aigw' }, Period: 300, Stat: 'Sum' }, ReturnData: true })],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [TOPIC],
      OKActions: [TOPIC],
      AlarmDescription: Match.stringLikeRegexp('"usage records could not be written"'),
    });
  });

  it.each([
    { name: 'ServerErrorRate', part: 'ServerErrors' },
    { name: 'UpstreamErrorShare', part: 'UpstreamErrors' },
  ])('$name is $part as a percentage of requests, and 0 under 20 requests in 5 minutes', ({ name, part }) => {
    const metric = (metricName: string) => ({ Metric: { MetricName: metricName, Namespace: 'Aigw/Aigw' }, Period: 300, Stat: 'Sum' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `Aigw-${name}`,
      Metrics: [
        Match.objectLike({ Expression: 'IF(requests >= 20, 100 * FILL(errors, 0) / requests, 0)', ReturnData: true }),
        Match.objectLike({ Id: 'requests', MetricStat: metric('Requests'), ReturnData: false }),
        Match.objectLike({ Id: 'errors', MetricStat: metric(part), ReturnData: false }),
      ],
    });
  });

  it('ProxyErrors sums the gateway\'s own failures over 5 minutes (internal and runtime), not the proxy function\'s Errors', () => {
    // Prepare
    const failures = (name: string) => ({ Metric: { MetricName: name, Namespace: 'Aigw/Aigw' }, Period: 300, Stat: 'Sum' });

    // Act
    const [alarm] = Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: 'Aigw-ProxyErrors' } })) as { Properties: { Metrics: { MetricStat?: { Metric: { MetricName: string } } }[] } }[];

    // Assess: a period without failures publishes nothing, hence FILL; Errors (broken streams included) is not read.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Aigw-ProxyErrors',
      Metrics: [
        Match.objectLike({ Expression: 'FILL(internal, 0) + FILL(runtime, 0)', ReturnData: true }),
        Match.objectLike({ Id: 'internal', MetricStat: failures('InternalFailures'), ReturnData: false }),
        Match.objectLike({ Id: 'runtime', MetricStat: failures('RuntimeFailures'), ReturnData: false }),
      ],
    });
    expect(alarm!.Properties.Metrics.map((m) => m.MetricStat?.Metric.MetricName).filter(Boolean)).toEqual(['InternalFailures', 'RuntimeFailures']);
  });

  it('keeps the proxy function in Lambda\'s plain-text log format, whose timeout and crash lines RuntimeFailures reads', () => {
    // In the JSON log format Lambda reports those as platform records instead, which the phrases would miss.
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^AI gateway proxy'),
      LoggingConfig: { LogGroup: PROXY_LOGS, LogFormat: Match.absent() },
    });
  });

  it.each([{ name: 'ProxyThrottles', metric: 'Throttles' }])('$name sums the proxy function\'s $metric over 5 minutes', ({ name, metric }) => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `Aigw-${name}`,
      Namespace: 'AWS/Lambda',
      MetricName: metric,
      Dimensions: [{ Name: 'FunctionName', Value: PROXY_FN }],
      Statistic: 'Sum',
      Period: 300,
    });
  });

  it('TableThrottles sums the table\'s throttled requests of every operation the gateway calls', () => {
    // Act
    const [alarm] = Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: 'Aigw-TableThrottles' } })) as {
      Properties: { Metrics: { Id: string; Expression?: string; MetricStat?: { Metric: { MetricName: string; Dimensions: { Name: string; Value: unknown }[] } } }[] };
    }[];
    const inputs = alarm!.Properties.Metrics.filter((m) => m.MetricStat);

    // Assess
    expect(alarm!.Properties.Metrics[0]!.Expression).toBe('getitem + putitem + updateitem + deleteitem + query + batchgetitem + batchwriteitem');
    expect(inputs.map((m) => m.MetricStat!.Metric.Dimensions.find((d) => d.Name === 'Operation')!.Value)).toEqual(['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'BatchGetItem', 'BatchWriteItem']);
    for (const m of inputs) {
      expect(m.MetricStat!.Metric.MetricName).toBe('ThrottledRequests');
      expect(m.MetricStat!.Metric.Dimensions).toContainEqual({ Name: 'TableName', Value: { Ref: expect.stringMatching(/^StorageTable/) } });
    }
  });
});

describe('Observability alarm notifications', () => {
  it('publishes to a topic that refuses publishers without TLS', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: [Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })] },
    });
  });

  it('subscribes each address given with -c alarmEmail', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 2);
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: TOPIC });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com', TopicArn: TOPIC });
  });

  it('subscribes nobody without -c alarmEmail, and keeps the topic for other subscribers', () => {
    staging.resourceCountIs('AWS::SNS::Subscription', 0);
    staging.resourceCountIs('AWS::SNS::Topic', 1);
    staging.hasOutput('AlarmTopicArn', { Value: { Ref: Match.stringLikeRegexp('^ObservabilityAlarmTopic') } });
  });

  it('refuses an -c alarmEmail that is not an address, before anything is synthesized', () => {
    expect(() => fixtureApp(FIXTURE_CONFIG, { alarmEmail: 'ops@example.com,oncall' })).toThrow(/-c alarmEmail: not an email address: oncall/);
  });

  it('leaves no AwsSolutions finding unacknowledged with email subscriptions', () => {
    expect(violations).toEqual([]);
  });
});
