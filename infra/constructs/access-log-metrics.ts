import { Duration } from 'aws-cdk-lib';
import { Metric, Unit, type MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import { FilterPattern, MetricFilter, type ILogGroup, type JsonPattern } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { MEDIA_INTERRUPTED } from '../../lib/pipeline/raw-media';

/**
 * The proxy's access log line (`lib/pipeline/finish.ts`): Powertools puts the message and the
 * request's fields at the top level of one JSON object. Other lines carry some of the same fields
 * (`upstream answered with an error` has a `status`), so every metric starts from this message.
 */
const ACCESS_MESSAGE = 'request';

/** One metric read out of the access log lines by a metric filter. */
export interface AccessLogMetricSpec {
  /** What it counts or measures, for readers of the dashboard and of this table. */
  readonly description: string;
  /** The message of the log line it reads, when not the access line (`request`): `guardrail`, one line per rule that matched a body (`lib/pipeline/guardrails.ts`). */
  readonly line?: string;
  /** Which access lines it takes, besides being one (an empty list takes them all). */
  readonly where: readonly JsonPattern[];
  /** The line's field to publish; each matching line counts 1 when absent. */
  readonly value?: `$.${string}`;
  readonly unit: Unit;
  /** Dimension name to the line's field. Each distinct value is a custom metric billed monthly. */
  readonly dimensions?: Readonly<Record<string, `$.${string}`>>;
}

/** Our own refusals are made before any upstream is tried; an upstream's 429 passed on has attempts >= 1. */
const REFUSED_BEFORE_UPSTREAM = FilterPattern.numberValue('$.attempts', '=', 0);

/**
 * Every metric the gateway publishes, by metric name. They cost nothing on the request path: the
 * Lambda writes the access line it writes anyway, and CloudWatch Logs derives the metrics from it.
 * They need the INFO level (`POWERTOOLS_LOG_LEVEL`), where the access line is written.
 *
 * Dimensions are kept off but for one metric: each distinct dimension value is a custom metric
 * billed every month, and a value taken from a request (a key id, a client's model name) would
 * let callers mint metrics (and get the filter disabled at 1,000 values an hour). Per-key and
 * per-status figures come from Logs Insights and the usage records instead.
 */
export const ACCESS_LOG_METRICS = {
  Requests: { description: 'Requests answered, of any kind (model calls, model lists, health checks, refusals)', where: [], unit: Unit.COUNT },
  ServerErrors: { description: 'Requests answered with a 5xx', where: [FilterPattern.numberValue('$.status', '>=', 500)], unit: Unit.COUNT },
  ClientErrors: {
    description: 'Requests answered with a 4xx (the caller\'s mistakes and our refusals, 429s included)',
    where: [FilterPattern.numberValue('$.status', '>=', 400), FilterPattern.numberValue('$.status', '<', 500)],
    unit: Unit.COUNT,
  },
  RateLimited: {
    description: 'Calls refused with a 429 by a key\'s own requests or tokens per minute limit',
    where: [
      FilterPattern.numberValue('$.status', '=', 429),
      REFUSED_BEFORE_UPSTREAM,
      FilterPattern.any(FilterPattern.stringValue('$.errorCode', '=', 'rate_limit_exceeded'), FilterPattern.stringValue('$.errorCode', '=', 'tokens_rate_limit_exceeded')),
    ],
    unit: Unit.COUNT,
  },
  OverBudget: {
    description: 'Calls refused because they did not fit in a key\'s spend limit (429 insufficient_quota)',
    where: [FilterPattern.stringValue('$.errorCode', '=', 'insufficient_quota'), REFUSED_BEFORE_UPSTREAM],
    unit: Unit.COUNT,
  },
  UpstreamErrors: {
    description: 'Calls whose last upstream answered with an error (after failover, or an upstream 4xx passed on)',
    where: [FilterPattern.stringValue('$.outcome', '=', 'upstream_error')],
    unit: Unit.COUNT,
  },
  Latency: {
    description: 'Time from the request\'s arrival to the end of its response, in ms (a stream\'s whole length)',
    where: [FilterPattern.numberValue('$.latencyMs', '>=', 0)],
    value: '$.latencyMs',
    unit: Unit.MILLISECONDS,
  },
  TimeToFirstToken: {
    description: 'Time from a streamed call\'s arrival to its first token, in ms',
    // Whole answers have a ttftMs too (the time to the whole answer): it is not a first token.
    where: [FilterPattern.booleanValue('$.stream', true), FilterPattern.numberValue('$.ttftMs', '>=', 0)],
    value: '$.ttftMs',
    unit: Unit.MILLISECONDS,
  },
  // Calls without tokens (refusals, model lists) publish nothing rather than zeros: sums are the same.
  InputTokens: { description: 'Prompt tokens, cache reads and writes included', where: [FilterPattern.numberValue('$.inputTokens', '>', 0)], value: '$.inputTokens', unit: Unit.COUNT },
  OutputTokens: { description: 'Output tokens, reasoning included', where: [FilterPattern.numberValue('$.outputTokens', '>', 0)], value: '$.outputTokens', unit: Unit.COUNT },
  Cost: {
    description: 'What calls cost at the config\'s prices, in micro-dollars (1e-6 USD)',
    where: [FilterPattern.numberValue('$.costMicros', '>', 0)],
    value: '$.costMicros',
    // CloudWatch has no currency unit; the dashboard divides by 1e6 and says USD.
    unit: Unit.NONE,
  },
  CostByModel: {
    description: 'Cost in micro-dollars by the model name the client asked for',
    // The one dimension, worth its price: "which model is the money going to" is the first question
    // when the cost graph jumps, and it must be answerable for longer than the logs are kept. It is
    // bounded by the config: a line has a cost only once a priced target was tried, which needs
    // a model name or alias from the config (unknown names are refused before any attempt).
    where: [FilterPattern.numberValue('$.costMicros', '>', 0)],
    value: '$.costMicros',
    unit: Unit.NONE,
    dimensions: { Model: '$.model' },
  },
  CacheHits: {
    description: 'Model calls answered from the response cache (no upstream, no cost)',
    where: [FilterPattern.stringValue('$.cache', '=', 'hit')],
    unit: Unit.COUNT,
  },
  CacheSaved: {
    description: 'What the response cache\'s hits would have cost, in micro-dollars (the stored answers\' cost when they were made)',
    where: [FilterPattern.numberValue('$.savedMicros', '>', 0)],
    value: '$.savedMicros',
    unit: Unit.NONE,
  },
  GuardrailHits: {
    description: 'Matches of a guardrail rule in request bodies (blocked, redacted or flagged), by rule id',
    // The second dimension, bounded as the first: rule ids come from the config (`guardrails.rules`),
    // never from a request. Read from the `guardrail` line, one per rule that matched a body, since
    // a metric filter cannot count inside the list an access line would hold.
    line: 'guardrail',
    where: [FilterPattern.numberValue('$.count', '>', 0)],
    value: '$.count',
    unit: Unit.COUNT,
    dimensions: { Rule: '$.rule' },
  },
  AbortedTransfers: {
    description: 'Audio answers cut off upstream after their first byte, whose transfer the gateway aborted so the client sees it fail (on Lambda by failing the invocation: counted in the function\'s Errors too)',
    line: MEDIA_INTERRUPTED,
    where: [],
    unit: Unit.COUNT,
  },
} as const satisfies Record<string, AccessLogMetricSpec>;

export type AccessLogMetricName = keyof typeof ACCESS_LOG_METRICS;

/** The metric names, in the table's order. */
export const ACCESS_LOG_METRIC_NAMES = Object.keys(ACCESS_LOG_METRICS) as AccessLogMetricName[];

/** The filter pattern of one metric: its line (the access line unless it says otherwise), and its own conditions. */
export function accessLogFilter(spec: AccessLogMetricSpec): JsonPattern {
  return FilterPattern.all(FilterPattern.stringValue('$.message', '=', spec.line ?? ACCESS_MESSAGE), ...spec.where);
}

export interface AccessLogMetricsProps {
  /** The proxy's log group. */
  logGroup: ILogGroup;
  /** CloudWatch namespace, one per stack so that two gateways in an account do not mix. */
  namespace: string;
}

/**
 * The metric filters on the proxy's log group that turn access lines into the gateway's metrics
 * (`ACCESS_LOG_METRICS`), and the metrics to graph and alarm on.
 *
 * @example
 * const metrics = new AccessLogMetrics(this, 'Metrics', { logGroup: proxy.logGroup, namespace: 'Aigw/Prod' });
 * metrics.metric('Latency', { statistic: 'p99' });
 */
export class AccessLogMetrics extends Construct {
  readonly namespace: string;

  constructor(scope: Construct, id: string, props: AccessLogMetricsProps) {
    super(scope, id);
    this.namespace = props.namespace;
    for (const name of ACCESS_LOG_METRIC_NAMES) {
      const spec: AccessLogMetricSpec = ACCESS_LOG_METRICS[name];
      new MetricFilter(this, name, {
        logGroup: props.logGroup,
        filterPattern: accessLogFilter(spec),
        metricNamespace: this.namespace,
        metricName: name,
        metricValue: spec.value ?? '1',
        unit: spec.unit,
        ...(spec.dimensions ? { dimensions: spec.dimensions } : {}),
      });
    }
  }

  /** A metric without dimensions (all but `CostByModel` and `GuardrailHits`, which are graphed by a search). Sum over 5 minutes unless told. */
  metric(name: Exclude<AccessLogMetricName, 'CostByModel' | 'GuardrailHits'>, options: MetricOptions = {}): Metric {
    return new Metric({ namespace: this.namespace, metricName: name, statistic: 'Sum', period: Duration.minutes(5), label: name, ...options });
  }
}
